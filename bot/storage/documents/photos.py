"""The photos role on documents: photos are not documents; they go to the backend's photo
store (:mod:`backcare.bot.storage.photos`: in memory, or one owner-only folder per user)."""

from __future__ import annotations

from backcare.bot.storage.documents.core import DocumentCore
from backcare.bot.storage.roles import Photos


class DocumentPhotos(DocumentCore, Photos):
    def save_photo(self, user_id: int, name: str, data: bytes) -> str:
        return self._photos.save(user_id, name, data)

    def photos(self, user_id: int) -> list[str]:
        return self._photos.names(user_id)

    def load_photo(self, user_id: int, name: str) -> bytes:
        return self._photos.load(user_id, name)

    def delete_photo(self, user_id: int, name: str) -> None:
        self._photos.delete(user_id, name)
