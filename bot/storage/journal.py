"""The write-ahead journal: one commit (the new images of the partitions it changed) a record.

A commit is durable once its record is appended and fsynced: one small write,
whatever the number of partitions it touched or of users in the database, and
all or nothing across them. The partition files are brought up to date later
(a checkpoint, when the journal has grown past a limit, at close, and before
an erase) and the journal is then emptied. At start the records are read back
in order; a record cut short by a crash was never confirmed to anyone and is
ignored, as is anything after it.

Record: ``b"BCJ1"``, payload length and CRC-32 (big-endian, 4 bytes each), payload
(JSON: partition key -> its TinyDB data, or null once it is gone).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import zlib
from pathlib import Path

from backcare.bot.storage.atomic import FILE_MODE

MAGIC = b"BCJ1"
HEADER = struct.Struct(">4sII")


def encode(images: dict[str, bytes | None]) -> bytes:
    """The payload of one record; images are already JSON, so they are not encoded again."""
    parts = [
        json.dumps(k).encode() + b":" + (v if v is not None else b"null") for k, v in images.items()
    ]
    payload = b"{" + b",".join(parts) + b"}"
    return HEADER.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def read(path: Path) -> tuple[list[dict[str, dict | None]], int, int]:
    """(the whole records in order, the length they take, the bytes ignored after them)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return [], 0, 0
    records, at = [], 0
    while at + HEADER.size <= len(raw):
        magic, length, crc = HEADER.unpack_from(raw, at)
        payload = raw[at + HEADER.size : at + HEADER.size + length]
        if magic != MAGIC or len(payload) != length or zlib.crc32(payload) != crc:
            break
        try:
            records.append(json.loads(payload))
        except ValueError:
            break
        at += HEADER.size + length
    return records, at, len(raw) - at


class Journal:
    """Appends records to ``path``; ``size`` is the length of the whole records in it."""

    def __init__(self, path: Path, size: int = 0) -> None:
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        self.size = size

    def append(self, record: bytes) -> None:
        """Write and fsync one record. On failure the journal is cut back to what it held,
        so no torn record stays in front of the next one."""
        try:
            view = memoryview(record)
            at = self.size
            while view:
                n = os.pwrite(self._fd, view, at)
                view, at = view[n:], at + n
            os.fsync(self._fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            raise
        self.size += len(record)

    def reset(self) -> None:
        """Empty it (every record is in the partition files)."""
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)
        self.size = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
