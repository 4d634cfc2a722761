"""Picture files a phone, a computer or an attacker might send, built from one real photo.

Each builder takes the original JPEG's bytes and returns the bytes of a file.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

_ORIENTATION, _EXIF_IFD, _FOCAL_35MM = 0x0112, 0x8769, 0xA405


def _open(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return image.convert("RGB")


def _save(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kw)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def header_bomb(jpeg: bytes) -> bytes:
    """~100 bytes whose PNG header announces 3.6 gigapixels."""
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


def zeros_bomb(jpeg: bytes) -> bytes:
    """A real PNG of 7000 x 7000 black pixels (49 MP, just under the cap) in ~50 kB."""
    return _save(Image.new("L", (7000, 7000)), "PNG", optimize=False, compress_level=9)


def huge(jpeg: bytes) -> bytes:
    """The photo blown up to 48 megapixels (a phone's full sensor), as a JPEG file."""
    return _save(_open(jpeg).resize((6000, 8000), Image.Resampling.BILINEAR), "JPEG", quality=80)


def truncated(jpeg: bytes) -> bytes:
    return jpeg[: len(jpeg) * 6 // 10]


def tiny(jpeg: bytes) -> bytes:
    return _save(_open(jpeg).resize((40, 60)), "JPEG")


def animated(jpeg: bytes) -> bytes:
    """A GIF whose first frame is the photo, then two black frames."""
    first = _open(jpeg)
    black = Image.new("RGB", first.size)
    return _save(first, "GIF", save_all=True, append_images=[black, black], duration=200, loop=0)


def sixteen_bit(jpeg: bytes) -> bytes:
    grey = np.asarray(_open(jpeg).convert("L"), dtype=np.uint16) * 257
    image = Image.fromarray(grey)
    assert image.mode == "I;16"
    return _save(image, "PNG")


def cmyk(jpeg: bytes) -> bytes:
    return _save(_open(jpeg).convert("CMYK"), "JPEG", quality=90)


def grayscale(jpeg: bytes) -> bytes:
    return _save(_open(jpeg).convert("L"), "JPEG", quality=90)


def alpha(jpeg: bytes) -> bytes:
    """RGBA with a transparent band down each side."""
    rgba = _open(jpeg).convert("RGBA")
    values = np.asarray(rgba).copy()
    band = values.shape[1] // 8
    values[:, :band, 3] = 0
    values[:, -band:, 3] = 0
    return _save(Image.fromarray(values, "RGBA"), "PNG")


def heic(jpeg: bytes) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _save(_open(jpeg), "HEIF", quality=80)


def _with_exif(image: Image.Image, exif: Image.Exif) -> bytes:
    return _save(image, "JPEG", quality=90, exif=exif.tobytes())


def rotated_exif(jpeg: bytes) -> bytes:
    """Pixels stored sideways with the EXIF orientation (6) that turns them upright, as phones do."""
    exif = Image.Exif()
    exif[_ORIENTATION] = 6
    return _with_exif(_open(jpeg).transpose(Image.Transpose.ROTATE_90), exif)


def invalid_orientation(jpeg: bytes) -> bytes:
    exif = Image.Exif()
    exif[_ORIENTATION] = 65535
    return _with_exif(_open(jpeg), exif)


def odd_focal_length(jpeg: bytes) -> bytes:
    """A 35 mm focal length of 0/0 (a division by zero for whoever reads it)."""
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    exif.get_ifd(_EXIF_IFD)[_FOCAL_35MM] = IFDRational(0, 0)
    return _with_exif(_open(jpeg), exif)


def garbage_exif(jpeg: bytes) -> bytes:
    """An APP1 "Exif" segment full of noise right after the JPEG's start marker."""
    noise = bytes((i * 73 + 41) % 256 for i in range(600))
    body = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08" + noise
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return jpeg[:2] + segment + jpeg[2:]


def pdf(jpeg: bytes) -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def empty(jpeg: bytes) -> bytes:
    return b""
