"""What can go wrong with stored data, with messages an operator can act on."""

from __future__ import annotations

import errno
from pathlib import Path


class StorageError(Exception):
    """Stored data could not be read or written."""


class StorageCorrupt(StorageError):
    """The storage file cannot be parsed. It is left untouched: never reset silently.

    ``path`` is the unreadable file, ``backup`` the newest backup that parses (or None).
    """

    def __init__(
        self, path: Path, reason: str, backup: Path | None, restore_to: Path | None = None
    ):
        self.path = Path(path)
        self.reason = reason
        self.backup = Path(backup) if backup else None
        # a backup holds the whole database: it is restored over the main file (even when
        # the damaged file is one user's), and the next start spreads it out again
        self.restore_to = Path(restore_to) if restore_to else self.path
        if self.backup:
            hint = (
                f"the last good backup is {self.backup}; check it, then copy it over "
                f"{self.restore_to} to restore"
            )
        else:
            hint = "no readable backup was found"
        super().__init__(
            f"storage file {self.path} is unreadable ({reason}); it was left untouched; {hint}"
        )


class StorageWriteFailed(StorageError):
    """A change could not be made durable; the store holds the last saved version."""


# errno values that mean "the disk cannot take writes now" (space, quota, read-only, I/O)
UNAVAILABLE_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EIO: "input/output error",
}


class StorageUnavailable(StorageWriteFailed):
    """The disk refused the write (full, read-only, failing): a state of the machine, not of
    the data. Nothing was changed: the last saved version is intact, and the same change
    can be retried once the operator has made room. ``reason`` says which, e.g. "disk full".
    """

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(
            f"storage unavailable ({reason}); change not saved" + (f": {detail}" if detail else "")
        )


def write_failure(error: BaseException) -> StorageWriteFailed:
    """The typed error for a write that failed with ``error``."""
    if isinstance(error, StorageWriteFailed):
        return error
    if isinstance(error, OSError) and error.errno in UNAVAILABLE_ERRNOS:
        return StorageUnavailable(UNAVAILABLE_ERRNOS[error.errno], repr(error))
    return StorageWriteFailed(f"change not saved: {error!r}")
