"""The photos role: pictures a patient let the service keep (with consent only).

A photo is named by the caller; a name is a file name of letters, digits, ``_``,
``-`` and ``.`` (:func:`check_name`), so no backend can be led out of a user's photos.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

from backcare.bot.storage.errors import StorageError

_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")


def check_name(name: str) -> str:
    """A photo name usable as a file name (no folders, no hidden files)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise StorageError(f"bad photo name {name!r}: use letters, digits, '_', '-', '.'")
    return name


class Photos(ABC):
    @abstractmethod
    def save_photo(self, user_id: int, name: str, data: bytes) -> str:
        """Keep ``data`` as the user's photo ``name`` (replacing one of that name); the name.
        StorageError for a bad name."""

    @abstractmethod
    def photos(self, user_id: int) -> list[str]:
        """The names of the user's photos, in order of name."""

    @abstractmethod
    def load_photo(self, user_id: int, name: str) -> bytes:
        """The photo's bytes; StorageError if the user has no photo of that name."""

    @abstractmethod
    def delete_photo(self, user_id: int, name: str) -> None:
        """Delete one photo (nothing if there is none of that name)."""
