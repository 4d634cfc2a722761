"""Taking a photo from a message: which file, whether it may be downloaded, the download.

Sizes are checked before anything is downloaded (Telegram's 20 MB bot limit and
the configured cap), and again on the bytes received. Whether the bytes are a
usable picture is vision's call (corrupt files and bombs come back as a refusal
the dialogs explain).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from telegram import Bot, Message
from telegram.error import BadRequest, NetworkError

from backcare.vision.loading import IMAGE_SUFFIXES

log = logging.getLogger(__name__)

MIN_PHOTO_WIDTH = 320  # a smaller rendition than this is not worth analysing


@dataclass(frozen=True)
class PhotoRef:
    file_id: str
    size: int | None
    filename: str
    media_group_id: str | None = None


@dataclass(frozen=True)
class Refusal:
    """Why a photo is not taken: a key of bot/locale/texts.yaml and its values."""

    key: str
    values: dict = field(default_factory=dict)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def too_large(size: int, limit: int) -> Refusal:
    return Refusal("too_large", {"size": megabytes(size), "limit": megabytes(limit)})


def pick_photo(message: Message, max_bytes: int) -> PhotoRef | Refusal:
    """The file to analyse in ``message``, or why there is none (pure)."""
    group = message.media_group_id
    if message.photo:
        # Telegram offers several renditions: the largest that fits the cap, but never a
        # thumbnail in place of a photo too large to take (unless the photo is that small).
        renditions = [p for p in message.photo if p.width >= MIN_PHOTO_WIDTH] or list(message.photo)
        usable = [p for p in renditions if (p.file_size or 0) <= max_bytes]
        if not usable:
            largest = max(renditions, key=lambda p: p.file_size or 0)
            return too_large(largest.file_size or 0, max_bytes)
        best = max(usable, key=lambda p: p.width * p.height)
        return PhotoRef(best.file_id, best.file_size, f"photo-{message.message_id}.jpg", group)
    document = message.document
    if document is not None:
        name = document.file_name or f"file-{message.message_id}"
        suffix = PurePosixPath(name).suffix.lower()
        mime = (document.mime_type or "").lower()
        if not (mime.startswith("image/") or suffix in IMAGE_SUFFIXES):
            return Refusal("not_an_image")
        if document.file_size is not None and document.file_size > max_bytes:
            return too_large(document.file_size, max_bytes)
        return PhotoRef(document.file_id, document.file_size, _safe_name(name), group)
    return Refusal("not_an_image")


def _safe_name(name: str) -> str:
    """A label for logs and results, never a path (names come from the user)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base)[:64]
    return cleaned or "image"


class DownloadRefused(Exception):
    def __init__(self, refusal: Refusal):
        self.refusal = refusal
        super().__init__(refusal.key)


async def download(bot: Bot, ref: PhotoRef, max_bytes: int) -> bytes:
    """The file's bytes, or DownloadRefused (too large, or the download failed)."""
    try:
        file = await bot.get_file(ref.file_id)
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            raise DownloadRefused(too_large(ref.size or max_bytes + 1, max_bytes)) from None
        log.warning("getFile refused: %s", exc.message)
        raise DownloadRefused(Refusal("download_failed")) from None
    except NetworkError as exc:
        log.warning("getFile failed: %s", exc.message)
        raise DownloadRefused(Refusal("download_failed")) from None
    if file.file_size is not None and file.file_size > max_bytes:
        raise DownloadRefused(too_large(file.file_size, max_bytes))
    try:
        data = bytes(await file.download_as_bytearray())
    except NetworkError as exc:
        log.warning("photo download failed: %s", exc.message)
        raise DownloadRefused(Refusal("download_failed")) from None
    if len(data) > max_bytes:
        raise DownloadRefused(too_large(len(data), max_bytes))
    return data
