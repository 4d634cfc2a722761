"""Where the embedded backends keep the photos a patient consented to (the photos role:
:mod:`backcare.bot.storage.roles.photos`): in memory, or one owner-only folder per user."""

from __future__ import annotations

import shutil
from pathlib import Path

from backcare.bot.storage.atomic import atomic_write, ensure_private_dir, private_tree
from backcare.bot.storage.errors import StorageError
from backcare.bot.storage.roles.photos import check_name

__all__ = ["FilePhotos", "MemoryPhotos", "check_name"]


class MemoryPhotos:
    def __init__(self) -> None:
        self._data: dict[int, dict[str, bytes]] = {}

    def save(self, user_id: int, name: str, data: bytes) -> str:
        self._data.setdefault(user_id, {})[check_name(name)] = bytes(data)
        return name

    def names(self, user_id: int) -> list[str]:
        return sorted(self._data.get(user_id, {}))

    def load(self, user_id: int, name: str) -> bytes:
        try:
            return self._data[user_id][check_name(name)]
        except KeyError:
            raise StorageError(f"no photo {name!r} for this user") from None

    def delete(self, user_id: int, name: str) -> None:
        self._data.get(user_id, {}).pop(check_name(name), None)
        if user_id in self._data and not self._data[user_id]:
            del self._data[user_id]

    def delete_user(self, user_id: int) -> None:
        self._data.pop(user_id, None)

    def user_ids(self) -> set[int]:
        return set(self._data)


class FilePhotos:
    """``<folder>/<user_id>/<name>``, folders 0700, files 0600, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        private_tree(self.folder)

    def _user_dir(self, user_id: int) -> Path:
        return self.folder / str(int(user_id))

    def save(self, user_id: int, name: str, data: bytes) -> str:
        folder = self._user_dir(user_id)
        ensure_private_dir(folder)
        atomic_write(folder / check_name(name), bytes(data))
        return name

    def names(self, user_id: int) -> list[str]:
        folder = self._user_dir(user_id)
        if not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
        )

    def load(self, user_id: int, name: str) -> bytes:
        path = self._user_dir(user_id) / check_name(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no photo {name!r} for this user") from None

    def delete(self, user_id: int, name: str) -> None:
        (self._user_dir(user_id) / check_name(name)).unlink(missing_ok=True)
        folder = self._user_dir(user_id)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()

    def delete_user(self, user_id: int) -> None:
        shutil.rmtree(self._user_dir(user_id), ignore_errors=True)

    def user_ids(self) -> set[int]:
        if not self.folder.is_dir():
            return set()
        return {int(p.name) for p in self.folder.iterdir() if p.is_dir() and p.name.isdigit()}
