"""Storage that lives and dies with the process: tests and the console chat."""

from __future__ import annotations

from backcare.bot.storage.documents import DocumentStorage
from backcare.bot.storage.photos import MemoryPhotos


class MemoryStorage(DocumentStorage):
    def __init__(self) -> None:
        super().__init__(photos=MemoryPhotos())
