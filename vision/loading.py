"""Bytes from the patient's phone -> an upright RGB uint8 array, or a typed refusal.

Phones send JPEG (often with an EXIF rotation instead of rotated pixels), HEIC
(iPhones sending the file), PNG screenshots, WebP and the odd 16-bit, CMYK,
grayscale, transparent or animated file. Everything is refused *before* decoding
when the header announces too many pixels, so a decompression bomb never gets
its memory.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from backcare.vision.errors import PhotoRejected, Reason

try:  # HEIC/HEIF from iPhones; optional so a slim install still reads JPEG and PNG.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    pillow_heif = None

_ORIENTATION = 0x0112
MAX_BYTES = 30_000_000  # over Telegram's 20 MB file limit; anything bigger is not a photo
MAX_PIXELS = 50_000_000  # a 48 MP phone sensor fits; a bomb does not
# File names the product takes for pictures (the loader itself goes by the bytes).
IMAGE_SUFFIXES = frozenset(
    (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".gif")
)
MIN_SIDE = 160  # below this the pose model has nothing to work with
WORK_SIDE = 1600  # longest side we analyse at: the model sees 256 px anyway

# Pillow's own bomb guard raises at twice this; we check ourselves first, so
# keep its guard as a backstop only for formats whose size we cannot read early.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def load_image(
    data: bytes,
    *,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
    min_side: int = MIN_SIDE,
    max_side: int | None = WORK_SIDE,
) -> np.ndarray:
    """Decode ``data`` into an upright RGB uint8 array of shape (H, W, 3).

    EXIF orientation is applied; transparency is flattened on white; 16-bit and
    float images are rescaled, CMYK and palette images converted; an animation
    gives its first frame. Images larger than ``max_side`` are shrunk (JPEGs are
    decoded straight at a reduced scale, which is also much faster).

    Raises ``PhotoRejected`` with NOT_IMAGE, CORRUPT, TOO_LARGE or TOO_SMALL.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise PhotoRejected(Reason.NOT_IMAGE, "empty file")
    if len(data) > max_bytes:
        raise PhotoRejected(Reason.TOO_LARGE, f"{len(data)} bytes, limit {max_bytes}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(bytes(data)))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise PhotoRejected(Reason.TOO_LARGE, str(err)) from None
    except UnidentifiedImageError:
        raise PhotoRejected(Reason.NOT_IMAGE, "not a picture file") from None
    except Exception as err:  # a header that announces a format and then breaks
        raise PhotoRejected(Reason.CORRUPT, f"unreadable header: {err}") from None

    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise PhotoRejected(Reason.TOO_LARGE, f"{width}x{height} pixels, limit {max_pixels}")
        if min(width, height) < min_side:
            raise PhotoRejected(
                Reason.TOO_SMALL, f"{width}x{height} pixels, need {min_side} on the short side"
            )
        try:
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            fast = _plain_jpeg(data, image, max_side)
            rgb = fast if fast is not None else _decode(image, width, height, max_side)
        except PhotoRejected:
            raise
        except Exception as err:  # truncated data, bad Huffman tables, broken chunks ...
            raise PhotoRejected(Reason.CORRUPT, f"cannot decode: {err}") from None

    if max_side and max(rgb.shape[:2]) > max_side:
        rgb = _shrink(rgb, max_side)
    if min(rgb.shape[:2]) < min_side:
        raise PhotoRejected(Reason.TOO_SMALL, f"{rgb.shape[1]}x{rgb.shape[0]} pixels after scaling")
    return np.ascontiguousarray(rgb)


def _decode(image: Image.Image, width: int, height: int, max_side: int | None) -> np.ndarray:
    """Pillow's decoding, for every format and every JPEG the fast path leaves alone."""
    if max_side and image.format == "JPEG" and max(width, height) > 2 * max_side:
        # DCT-domain downscale: a 12 MP JPEG decodes 4-8x faster at 1/2 or 1/4 scale.
        image.draft("RGB", _fit(width, height, max_side))
    image.load()
    # most photos need no turning: skip exif_transpose's copy for them
    turned = image.getexif().get(_ORIENTATION, 1) not in (1, None)
    upright = ImageOps.exif_transpose(image) if turned else image
    return _to_rgb(upright)


# EXIF orientation -> the numpy view that shows the stored pixels upright (as ImageOps.exif_transpose)
_UPRIGHT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


def _plain_jpeg(data: bytes, image: Image.Image, max_side: int | None) -> np.ndarray | None:
    """The common case -- a complete colour or grey JPEG at working size, as Telegram
    sends photos -- decoded by OpenCV straight into an array (same libjpeg-turbo, same
    pixels, without Pillow's chunked reads and copy into numpy). None for anything
    else: Pillow then decodes it, and reports truncation and damage as it finds them
    (a JPEG that does not end with its end-of-image marker never comes here)."""
    if image.format != "JPEG" or image.mode not in ("RGB", "L"):
        return None
    if max_side and max(image.size) > 2 * max_side:  # Pillow decodes those at a reduced scale
        return None
    tail = bytes(data[-64:]).rstrip(b"\x00")
    if not tail.endswith(b"\xff\xd9"):
        return None
    import cv2  # only needed here; keeps `import vision.loading` light

    rgb = cv2.imdecode(
        np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    )
    if rgb is None or rgb.shape[1::-1] != image.size:
        return None
    turn = _UPRIGHT.get(image.getexif().get(_ORIENTATION, 1))
    return np.ascontiguousarray(turn(rgb)) if turn else rgb


def _fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(rgb: np.ndarray, max_side: int) -> np.ndarray:
    import cv2  # only needed here; keeps `import vision.loading` light

    height, width = rgb.shape[:2]
    new_w, new_h = _fit(width, height, max_side)
    return cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)


def _to_rgb(image: Image.Image) -> np.ndarray:
    """Any Pillow mode -> RGB uint8, scaling deep images instead of clipping them."""
    mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    if mode.startswith("I;16") or mode in ("I", "F"):
        return np.repeat(_deep_to_u8(np.asarray(image))[..., None], 3, axis=2)
    if mode == "RGB":
        return np.asarray(image)
    return np.asarray(image.convert("RGB"))  # L, 1, P, CMYK, YCbCr, LAB, HSV


def _deep_to_u8(values: np.ndarray) -> np.ndarray:
    """16-bit, 32-bit or float pixels -> uint8, keeping the picture's brightness."""
    floating = np.issubdtype(values.dtype, np.floating)
    values = values.astype(np.float64)
    lo, hi = float(values.min(initial=0)), float(values.max(initial=0))
    if lo >= 0 and hi <= 1.0 and floating and hi > 0:
        top = 1.0  # float images in 0..1
    elif lo >= 0 and hi <= 255:
        top = 255.0
    elif lo >= 0 and hi <= 65535:
        top = 65535.0  # the usual 16-bit PNG/TIFF
    else:  # anything else: stretch what is there
        values, top = values - lo, max(hi - lo, 1e-9)
    return np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)


_EXIF_IFD = 0x8769
_FOCAL_35MM_TAG = 0xA405


def focal_35mm(data: bytes) -> float | None:
    """The lens's 35 mm-equivalent focal length from EXIF, when the file kept it.

    Telegram's compressed photos drop EXIF; files sent as documents keep it. It
    lets the geometry undo perspective with the real lens instead of a typical one.
    """
    try:
        # only the header is read here: a picture too large to decode is load_image's to
        # refuse, so Pillow's warning about its size would only be noise in the logs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(bytes(data))) as image:
                value = image.getexif().get_ifd(_EXIF_IFD).get(_FOCAL_35MM_TAG)
    except Exception:
        return None
    try:
        focal = float(value)
    except (TypeError, ValueError, ArithmeticError):  # a rational 0/0 divides by zero
        return None
    return focal if 8.0 <= focal <= 300.0 else None  # also refuses NaN
