"""Loading: every format a phone sends becomes an upright RGB array; everything else a typed refusal."""

from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.loading import focal_35mm, load_image


def _gradient(w: int = 320, h: int = 240) -> np.ndarray:
    """An asymmetric test picture: red grows to the right, green downwards, a blue block top-left."""
    x = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    img = np.stack([x, y, np.full_like(x, 40)], axis=2).astype(np.uint8)
    img[:40, :60] = (0, 0, 255)
    return img


def _encode(img: np.ndarray | Image.Image, fmt: str, **kw) -> bytes:
    pil = img if isinstance(img, Image.Image) else Image.fromarray(img)
    buf = io.BytesIO()
    pil.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    "fmt, kw, tolerance",
    [
        ("JPEG", {"quality": 95}, 12),
        ("PNG", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("HEIF", {"quality": 95}, 16),
        ("BMP", {}, 0),
        ("TIFF", {}, 0),
    ],
)
def test_formats_decode_to_the_same_rgb_picture(fmt, kw, tolerance):
    img = _gradient()
    out = load_image(_encode(img, fmt, **kw))
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.abs(out.astype(int) - img.astype(int)).mean() <= tolerance


def test_exif_orientation_is_applied():
    img = _gradient(320, 240)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": phones store landscape pixels with this tag
    out = load_image(_encode(Image.fromarray(img), "JPEG", quality=95, exif=exif.tobytes()))
    assert out.shape == (320, 240, 3)
    # the blue block (top-left in the stored pixels) must now be top-right
    assert out[:50, -35:, 2].mean() > 200 and out[:50, :35, 2].mean() < 120


def test_sixteen_bit_grayscale_keeps_its_tones():
    ramp = np.linspace(0, 65535, 300 * 200).reshape(200, 300).astype(np.uint16)
    out = load_image(_encode(Image.fromarray(ramp), "PNG"))
    assert out.shape == (200, 300, 3)
    # a naive 8-bit conversion clips everything above 255 to white
    assert 100 < out.mean() < 155
    assert out[0, 0, 0] < 5 and out[-1, -1, 0] > 250


def test_cmyk_jpeg_becomes_rgb():
    img = _gradient()
    out = load_image(_encode(Image.fromarray(img).convert("CMYK"), "JPEG", quality=95))
    assert out.shape == img.shape
    assert np.abs(out.astype(int) - img.astype(int)).mean() < 20


def test_grayscale_and_palette_become_three_channels():
    gray = Image.fromarray(_gradient()).convert("L")
    out = load_image(_encode(gray, "PNG"))
    assert out.shape == (240, 320, 3) and np.array_equal(out[..., 0], out[..., 2])
    pal = Image.fromarray(_gradient()).convert("P")
    assert load_image(_encode(pal, "PNG")).shape == (240, 320, 3)


def test_transparency_is_flattened_on_white():
    rgba = np.zeros((200, 200, 4), dtype=np.uint8)
    rgba[50:150, 50:150] = (200, 30, 30, 255)
    out = load_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert tuple(out[0, 0]) == (255, 255, 255)
    assert tuple(out[100, 100]) == (200, 30, 30)


def test_animation_gives_its_first_frame():
    frames = [Image.new("RGB", (200, 200), c) for c in ((250, 0, 0), (0, 250, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    out = load_image(buf.getvalue())
    assert out[100, 100, 0] > 200 and out[100, 100, 1] < 50


def test_big_photos_are_shrunk_to_the_working_size():
    img = np.zeros((3000, 4000, 3), dtype=np.uint8)
    img[:, 2000:] = 255
    out = load_image(_encode(img, "JPEG", quality=90), max_side=1600)
    assert max(out.shape[:2]) == 1600 and out.shape[:2] == (1200, 1600)
    assert out[:, 1000:].mean() > 240 and out[:, :600].mean() < 15


def test_focal_length_is_read_from_exif_when_present():
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 13  # an ultra-wide lens
    assert focal_35mm(_encode(Image.fromarray(_gradient()), "JPEG", exif=exif.tobytes())) == 13.0
    assert focal_35mm(_encode(_gradient(), "PNG")) is None
    assert focal_35mm(b"not an image") is None


def test_focal_length_of_a_picture_too_large_to_decode_is_read_without_a_warning():
    # the header alone is read; refusing the picture for its size is load_image's job
    bomb = _png_header_claiming(9000, 7000)  # 63 MP: over the cap, under Pillow's own error
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert focal_35mm(bomb) is None
    assert [str(w.message) for w in caught] == []
    with pytest.raises(PhotoRejected) as err:
        load_image(bomb)
    assert err.value.reason is Reason.TOO_LARGE


# ------------------------------------------------------------------ refusals, each with its reason


def test_empty_file_is_not_an_image():
    with pytest.raises(PhotoRejected) as err:
        load_image(b"")
    assert err.value.reason is Reason.NOT_IMAGE


def test_text_is_not_an_image():
    with pytest.raises(PhotoRejected) as err:
        load_image(b"%PDF-1.7 this is a document, not a photo" * 20)
    assert err.value.reason is Reason.NOT_IMAGE


def test_truncated_jpeg_is_corrupt():
    data = _encode(_gradient(640, 480), "JPEG", quality=90)
    with pytest.raises(PhotoRejected) as err:
        load_image(data[: len(data) // 3])
    assert err.value.reason is Reason.CORRUPT


def test_garbled_png_is_corrupt():
    data = bytearray(_encode(_gradient(), "PNG"))
    data[60:200] = bytes(140)  # zero out part of the compressed stream
    with pytest.raises(PhotoRejected) as err:
        load_image(bytes(data))
    assert err.value.reason is Reason.CORRUPT


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header announces a huge picture (a decompression bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_from_its_header():
    bomb = _png_header_claiming(60000, 60000)  # 3.6 gigapixels announced in ~100 bytes
    start = time.perf_counter()
    with pytest.raises(PhotoRejected) as err:
        load_image(bomb)
    assert err.value.reason is Reason.TOO_LARGE
    assert time.perf_counter() - start < 0.5  # refused before any decoding


def test_pixel_cap_is_configurable():
    data = _encode(_gradient(640, 480), "PNG")
    with pytest.raises(PhotoRejected) as err:
        load_image(data, max_pixels=100_000)
    assert err.value.reason is Reason.TOO_LARGE


def test_oversized_file_is_too_large():
    with pytest.raises(PhotoRejected) as err:
        load_image(b"\xff\xd8" + bytes(2000), max_bytes=1000)
    assert err.value.reason is Reason.TOO_LARGE


def test_tiny_picture_is_too_small():
    with pytest.raises(PhotoRejected) as err:
        load_image(_encode(_gradient(120, 90), "PNG"))
    assert err.value.reason is Reason.TOO_SMALL


def test_refusals_cross_process_boundaries_intact():
    import pickle

    err = pickle.loads(pickle.dumps(PhotoRejected(Reason.CROPPED, "feet")))
    assert err.reason is Reason.CROPPED and err.detail == "feet"


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_the_fast_jpeg_path_gives_pillows_pixels(orientation, mode):
    """Complete JPEGs are decoded by OpenCV (faster); every EXIF orientation and grey
    pictures must come out exactly as Pillow's own decoding and exif_transpose give them."""
    from PIL import ImageOps

    img = Image.fromarray(_gradient(320, 240)).convert(mode)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(img, "JPEG", quality=90, exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as pil:
        expected = np.asarray(ImageOps.exif_transpose(pil).convert("RGB"))
    out = load_image(data)
    assert out.shape == expected.shape and out.flags.c_contiguous
    assert np.array_equal(out, expected)


def test_a_jpeg_with_data_after_its_end_marker_still_loads():
    """Motion photos append a video after the JPEG; the picture is still the JPEG."""
    data = _encode(_gradient(), "JPEG", quality=90) + b"ftypmp42" + bytes(5000)
    assert load_image(data).shape == (240, 320, 3)
