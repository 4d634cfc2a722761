"""TinyDB in one JSON file: the embedded default.

The file is TinyDB's own JSON layout (tables of documents), so ``tinydb.TinyDB(path)``
can read it for inspection. Every commit replaces it atomically; ``<file>.bak.1`` ..
``.bak.N`` keep older good versions (rotated at start and every ``backup_interval``
seconds, and at close). A file that does not parse stops the start with :class:`StorageCorrupt`:
it is never reset, since that would silently lose every patient's data.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from io import BufferedRandom
from pathlib import Path

from backcare.storage import atomic
from backcare.storage.documents import (
    APPENDED,
    FORMAT,
    KEYED,
    TABLES,
    DocumentStorage,
    empty_database,
)
from backcare.storage.errors import StorageCorrupt, StorageError
from backcare.storage.photos import FilePhotos
from backcare.storage.shape import check_documents

log = logging.getLogger(__name__)


def _parse(path: Path) -> dict:
    """The database in ``path``; ValueError naming what is wrong."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError("the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise ValueError("not a TinyDB database (expected an object of tables)")
    check_documents(data)
    fmt = data.get("meta", {}).get("1", {}).get("format", FORMAT)
    if fmt != FORMAT:
        raise ValueError(f"written by a different version (format {fmt}, this one reads {FORMAT})")
    for name in TABLES:
        data.setdefault(name, {})
    data["meta"].setdefault("1", {"format": FORMAT})
    return data


def scrub(data: dict, user_id: int) -> dict:
    """``data`` without any document of ``user_id`` (pure: returns a new dict)."""
    out = {name: dict(table) for name, table in data.items()}
    for name in KEYED:
        out.get(name, {}).pop(str(user_id), None)
    for name in APPENDED + ("inbox",):
        out[name] = {k: d for k, d in out.get(name, {}).items() if d.get("user_id") != user_id}
    return out


class TinyDBStorage(DocumentStorage):
    """``TinyDBStorage(path)``: one owner-only JSON file, atomic commits, rotating backups.

    photos_dir: where consented photos go (default ``<folder of path>/photos``).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        backups: int = 3,
        backup_interval: float = 3600.0,
        photos_dir: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.backups = max(0, int(backups))
        self.backup_interval = backup_interval
        self._backup_lock = threading.Lock()
        atomic.ensure_private_dir(self.path.parent)
        self._lock_file = self._take_lock()
        try:
            data = self._open_data()
            super().__init__(data, photos=FilePhotos(photos_dir or self.path.parent / "photos"))
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
            if not self.path.exists():
                atomic.atomic_write(self.path, payload)
            self._last_backup = time.monotonic()
            self._rotate(payload)
        except BaseException:
            self._lock_file.close()
            raise

    def _open_data(self) -> dict:
        for stale in atomic.remove_stale_temps(self.path):
            log.warning("removed %s left by an interrupted write", stale.name)
        if not self.path.exists():
            return empty_database()
        for path in [self.path, *self.backup_paths()]:
            atomic.private_file_mode(path)
        return self._read_or_refuse()

    @property
    def _durable(self) -> bool:
        return True

    def _take_lock(self) -> BufferedRandom:
        """One process per file: two bots writing the same file would lose each other's data."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        # Held open (and so locked) for the storage's lifetime, closed by close().
        handle = open(os.open(lock_path, os.O_RDWR | os.O_CREAT, atomic.FILE_MODE), "r+b")  # noqa: SIM115
        atomic.private_file_mode(lock_path)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StorageError(
                f"{self.path} is in use by another process (lock {lock_path.name})"
            ) from None
        return handle

    def backup_paths(self) -> list[Path]:
        return [
            self.path.with_name(f"{self.path.name}.bak.{i}") for i in range(1, self.backups + 1)
        ]

    def _read_or_refuse(self) -> dict:
        try:
            return _parse(self.path)
        except (ValueError, OSError) as exc:
            raise StorageCorrupt(self.path, str(exc), self._last_good_backup()) from None

    def _last_good_backup(self) -> Path | None:
        for backup in self.backup_paths():
            if backup.exists():
                try:
                    _parse(backup)
                    return backup
                except (ValueError, OSError):
                    continue
        return None

    def _persist(self, payload: bytes) -> None:
        atomic.atomic_write(self.path, payload)
        if time.monotonic() - self._last_backup >= self.backup_interval:
            self._rotate(payload)

    def _rotate(self, payload: bytes) -> None:
        if not self.backups:
            return
        with self._backup_lock:
            paths = self.backup_paths()
            for older, newer in zip(reversed(paths[1:]), reversed(paths[:-1])):
                if newer.exists():
                    os.replace(newer, older)
            atomic.atomic_write(paths[0], payload)
            self._last_backup = time.monotonic()

    def close(self) -> None:
        """Wait for the last write, then back up what is on disk (the newest good version)."""
        if self._closed:
            return
        super().close()
        try:
            if self._durable_gen:
                self._rotate(self.path.read_bytes())
        finally:
            self._lock_file.close()

    def _load_durable(self) -> dict:
        try:
            return _parse(self.path)
        except (ValueError, OSError) as exc:
            raise StorageError(f"cannot reread {self.path} after a failed write: {exc}") from exc

    def _scrub_backups(self, user_id: int) -> None:
        with self._backup_lock:
            for backup in self.backup_paths():
                if not backup.exists():
                    continue
                try:
                    data = _parse(backup)
                except (ValueError, OSError):
                    # Unreadable, so it cannot be scrubbed: it may still hold the user's data.
                    log.warning("deleted unreadable backup %s while erasing a user", backup.name)
                    backup.unlink(missing_ok=True)
                    continue
                payload = json.dumps(
                    scrub(data, user_id), ensure_ascii=False, separators=(",", ":")
                ).encode()
                atomic.atomic_write(backup, payload)
