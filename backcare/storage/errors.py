"""What can go wrong with stored data, with messages an operator can act on."""

from __future__ import annotations

from pathlib import Path


class StorageError(Exception):
    """Stored data could not be read or written."""


class StorageCorrupt(StorageError):
    """The storage file cannot be parsed. It is left untouched: never reset silently.

    ``path`` is the unreadable file, ``backup`` the newest backup that parses (or None).
    """

    def __init__(self, path: Path, reason: str, backup: Path | None):
        self.path = Path(path)
        self.reason = reason
        self.backup = Path(backup) if backup else None
        if self.backup:
            hint = (
                f"the last good backup is {self.backup}; check it, then copy it over "
                f"{self.path} to restore"
            )
        else:
            hint = "no readable backup was found"
        super().__init__(
            f"storage file {self.path} is unreadable ({reason}); it was left untouched; {hint}"
        )


class StorageWriteFailed(StorageError):
    """A change could not be made durable; the store holds the last saved version."""
