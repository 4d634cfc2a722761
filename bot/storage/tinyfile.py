"""TinyDB on disk, partitioned: the embedded default.

One owner-only folder (see :mod:`backcare.bot.storage.layout` for the files): a
partition per user, a shared one (inbox, outbox) and the audit, each a TinyDB
JSON file, so ``tinydb.TinyDB(file)`` can read any of them for inspection. A
commit appends the new images of the partitions it changed to a write-ahead
journal and fsyncs it (:mod:`backcare.bot.storage.journal`); the files are brought
up to date when the journal grows past ``journal_limit``, at close and before
an erase, each written atomically. A turn therefore reads and writes its user's
partition and the shared one, whatever the number of users, and memory holds
at most ``cache_users`` users' partitions.

``<file>.bak.1`` .. ``.bak.N`` keep older versions of the whole database in the
single-file layout (written at start, every ``backup_interval`` seconds in the
background, and at close); one copied over ``<file>`` is spread out again at
the next start, as is a file written by an older version (kept as
``<file>.v1-<time>``). At start every partition is checked: a file that does not
parse, or a document that is damaged, stops the start with :class:`StorageCorrupt`
naming it and the last good backup. Nothing is ever reset: that would silently
lose every patient's data.

A save the disk refuses (full, read-only, failing) raises :class:`StorageUnavailable`
and changes nothing: memory goes back to what the disk has.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from io import BufferedRandom
from pathlib import Path
from typing import Any

from backcare.bot.storage import atomic, journal
from backcare.bot.storage.documents import (
    AUDIT,
    FORMAT,
    KEYED,
    SHARED,
    TABLES,
    DocumentStorage,
    Image,
    Partition,
    dumps,
    key_user,
)
from backcare.bot.storage.errors import StorageCorrupt, StorageError, write_failure
from backcare.bot.storage.layout import PARTITIONED, RENUMBERED, Layout, scrub_backup, shard
from backcare.bot.storage.migrate import migrate
from backcare.bot.storage.photos import FilePhotos
from backcare.bot.storage.shape import check_documents

log = logging.getLogger(__name__)


def _load_json(raw: bytes) -> dict:
    """A TinyDB database from ``raw``; ValueError naming what is wrong."""
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
    return data


def _format(data: dict) -> int:
    meta = data.get("meta", {}).get("1", {})
    fmt = meta.get("format", FORMAT) if isinstance(meta, dict) else None
    if fmt not in (FORMAT, PARTITIONED):
        raise ValueError(
            f"written by a different version (format {fmt}, this one reads {FORMAT} "
            f"and {PARTITIONED})"
        )
    return int(fmt)


def _parse_single(path: Path) -> dict:
    """A whole database in the single-file layout (a backup); ValueError if it is not one."""
    data = _load_json(Path(path).read_bytes())
    if _format(data) != FORMAT:
        raise ValueError("not a whole database (a partitioned layout's main file)")
    check_documents(data)
    return data


def check_partition(key: str, data: dict) -> None:
    """ValueError naming the first damaged document of partition ``key``."""
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise ValueError("not a TinyDB database (expected an object of tables)")
    check_documents(data)
    user_id = key_user(key)
    if user_id is None:
        return
    for table, docs in data.items():
        for doc_id, doc in docs.items():
            owner = int(doc_id) if table in KEYED else doc.get("user_id")
            if owner != user_id:
                raise ValueError(f"{table} {doc_id}: kept in the file of user {user_id}")


def read_database(path: str | os.PathLike) -> dict:
    """The whole database as one dict in the single-file layout, as last committed (journal
    included), for inspection while the bot runs (no lock taken, nothing written)."""
    layout = Layout(Path(path))
    for _ in range(50):
        before = layout.journal.read_bytes() if layout.journal.exists() else b""
        older, _, _ = journal.read(layout.old_journal)
        shared = _load_json(layout.path.read_bytes())
        if _format(shared) == FORMAT:
            return shared
        parts: dict[str, dict | None] = {SHARED: shared}
        files = [(AUDIT, layout.audit)] + [(k, layout.file_of(k)) for k in layout.user_keys()]
        for key, file in files:
            try:
                parts[key] = _load_json(file.read_bytes())
            except FileNotFoundError:
                continue
        records, _, _ = journal.read(layout.journal)
        after = layout.journal.read_bytes() if layout.journal.exists() else b""
        records = older + records
        if not after.startswith(before):
            continue  # the files were brought up to date meanwhile: read again
        for record in records:
            parts.update(record)
        out: dict[str, Any] = {name: {} for name in TABLES}
        for data in parts.values():
            for table, docs in (data or {}).items():
                if table in RENUMBERED:  # numbered per user: unique only in their partition
                    for _, doc in sorted(docs.items(), key=lambda item: int(item[0])):
                        out[table][str(len(out[table]) + 1)] = doc
                elif table != "meta":
                    out.setdefault(table, {}).update(docs)
        out["meta"] = {"1": {"format": FORMAT}}
        return out
    raise StorageError(f"{path} kept changing while being read")


class TinyDBStorage(DocumentStorage):
    """``TinyDBStorage(path)``: partitioned TinyDB files beside ``path``, a journal, backups.

    photos_dir:    where consented photos go (default ``<folder of path>/photos``)
    cache_users:   users' partitions kept in memory (the most recently used)
    journal_limit: journal size (bytes) at which the files are brought up to date
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        backups: int = 3,
        backup_interval: float = 3600.0,
        photos_dir: Path | None = None,
        cache_users: int = 256,
        journal_limit: int = 8 << 20,
    ) -> None:
        self.path = Path(path)
        self.layout = Layout(self.path)
        self.backups = max(0, int(backups))
        self.backup_interval = backup_interval
        self.journal_limit = journal_limit
        self._backup_lock = threading.Lock()
        self._backup_thread: threading.Thread | None = None
        self._files = threading.Lock()  # guards _unflushed
        self._unflushed: dict[str, Image] = {}  # in the journal, not yet in the files
        self._journal: journal.Journal | None = None
        self._checkpoint_lock = threading.Lock()  # one writer of the partition files at a time
        self._writer: threading.Thread | None = None  # writes out a full journal
        self._last_backup = time.monotonic()
        atomic.ensure_private_dir(self.path.parent)
        self._lock_file = self._take_lock()
        try:
            super().__init__(cache_users=cache_users)
            self._open()
            self._photos = FilePhotos(photos_dir or self.path.parent / "photos")
        except BaseException:
            if self._journal is not None:
                self._journal.close()
            self._lock_file.close()
            raise

    @property
    def _durable(self) -> bool:
        return True

    # -- start ---------------------------------------------------------------------------
    def _open(self) -> None:
        layout = self.layout
        stem = self.path.stem if self.path.suffix else self.path.name
        for stale in [
            *self.path.parent.glob(f".{stem}.*{atomic.TEMP_SUFFIX}"),
            *(p for p in layout.stale_temps() if p.parent != self.path.parent),
        ]:
            stale.unlink(missing_ok=True)
            log.warning("removed %s left by an interrupted write", stale.name)
        if not self.path.exists():
            if layout.audit.exists() or next(layout.user_keys(), None) is not None:
                raise StorageCorrupt(
                    self.path,
                    f"the file is missing while {layout.users.name}/ holds patients' data",
                    self._last_good_backup(),
                )
            layout.journal.unlink(missing_ok=True)
            layout.old_journal.unlink(missing_ok=True)
            shared = Partition(SHARED, {"meta": {"1": {"format": PARTITIONED}}}).image()
            assert shared is not None
            atomic.atomic_write(self.path, shared)
        else:
            files = [
                self.path,
                layout.journal,
                layout.old_journal,
                layout.audit,
                *self.backup_paths(),
                *layout.kept_single_files(),
            ]
            for file in files:
                atomic.private_file_mode(file)
            for folder in [layout.users, *layout.set_aside_users()]:
                atomic.private_tree(folder)
            try:
                raw = self.path.read_bytes()
                data = _load_json(raw)
                if _format(data) == FORMAT:
                    check_documents(data)
            except (ValueError, OSError) as exc:
                raise StorageCorrupt(self.path, str(exc), self._last_good_backup()) from None
            if _format(data) == FORMAT:
                migrate(layout, raw, data)
        older, _, torn = journal.read(layout.old_journal)  # one being written out
        records, size, ignored = journal.read(layout.journal)
        records = older + records
        ignored += torn
        if ignored:
            log.warning(
                "ignored the last %d byte(s) of %s: a commit cut short by a crash, never "
                "confirmed to anyone",
                ignored,
                layout.journal.name,
            )
        for record in records:
            for key, content in record.items():
                self._unflushed[key] = None if content is None else dumps(content)
        try:
            self._rotate(check=True)  # every partition checked before anything is written
        except OSError as exc:  # e.g. a full disk: the data are whole, only the backup is not
            log.error("could not write a backup at start: %s", exc)
        self._journal = journal.Journal(layout.journal, size)
        try:
            atomic.fsync_dir(self.path.parent)
            self._checkpoint()
        except OSError as exc:  # the journal keeps the data: replayed at the next start
            log.error("could not bring the files up to date at start: %s", exc)

    def _take_lock(self) -> BufferedRandom:
        """One process per database: two bots writing it would lose each other's data."""
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
        return self.layout.backups(self.backups)

    def _last_good_backup(self) -> Path | None:
        for backup in [*self.backup_paths(), *reversed(self.layout.kept_single_files())]:
            if backup.exists():
                try:
                    _parse_single(backup)
                    return backup
                except (ValueError, OSError):
                    continue
        return None

    # -- partitions on disk --------------------------------------------------------------
    def _load_partition(self, key: str) -> dict | None:
        with self._files:
            if key in self._unflushed:
                image = self._unflushed[key]
                return None if image is None else json.loads(image)
        file = self.layout.file_of(key)
        try:
            return _load_json(file.read_bytes())
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as exc:
            raise StorageCorrupt(file, str(exc), None, restore_to=self.path) from None

    def _stored_user_keys(self) -> set[str]:
        keys = set(self.layout.user_keys())
        with self._files:
            keys |= {k for k in self._unflushed if key_user(k) is not None}
        return keys

    def _persist(self, images: dict[str, Image]) -> None:
        assert self._journal is not None
        self._journal.append(journal.encode(images))
        with self._files:
            self._unflushed.update(images)
        if self._journal.size >= self.journal_limit:
            try:
                self._write_out_soon()
            except OSError as exc:  # the commit is safe in the journal: try again later
                log.warning("could not bring the files up to date (%s); retrying later", exc)
        if self.backups and time.monotonic() - self._last_backup >= self.backup_interval:
            self._backup_soon()

    def _write_out_soon(self) -> None:
        """The journal is full: set it aside and start a new one, and write its partitions
        to their files in the background (not on a patient's turn). Called by the writer."""
        if self._writer is not None and self._writer.is_alive():
            return
        assert self._journal is not None
        old = self.layout.old_journal
        if not old.exists():  # (else the last write-out failed: its journal stays, retried)
            self._journal.close()
            os.replace(self.layout.journal, old)
            self._journal = journal.Journal(self.layout.journal)
            atomic.fsync_dir(self.path.parent)
        with self._files:
            images = dict(self._unflushed)

        def write_out() -> None:
            try:
                with self._checkpoint_lock:
                    self._write_files(images)
                    old.unlink(missing_ok=True)
                    atomic.fsync_dir(self.path.parent)
            except OSError as exc:  # the set-aside journal keeps the data: replayed at start
                log.warning("could not bring the files up to date (%s); retrying later", exc)

        self._writer = threading.Thread(target=write_out, name="storage-write-out", daemon=True)
        self._writer.start()

    def _checkpoint(self) -> None:
        """Write every partition the journals hold to its file, then empty them. Called with
        the disk to itself (start, close, erase)."""
        with self._checkpoint_lock:
            with self._files:
                images = dict(self._unflushed)
            self._write_files(images)
            assert self._journal is not None
            self._journal.reset()
            self.layout.old_journal.unlink(missing_ok=True)

    def _write_files(self, images: dict[str, Image]) -> None:
        """Each partition to its file (atomically), then forget the images written, unless
        a newer one came meanwhile."""
        if not images:
            return
        folders = set()
        for key, image in images.items():
            file = self.layout.file_of(key)
            if image is None:
                file.unlink(missing_ok=True)
            else:
                atomic.ensure_private_dir(file.parent)
                atomic.atomic_write(file, image, sync_dir=False)
            folders.add(file.parent)
        for folder in folders:
            if folder.is_dir():
                atomic.fsync_dir(folder)
        with self._files:
            for key, image in images.items():
                if self._unflushed.get(key, b"") is image:
                    del self._unflushed[key]

    # -- backups -------------------------------------------------------------------------
    def _scan(self, check: bool) -> Iterator[tuple[str, dict]]:
        """Every partition (a copy, or as the disk has it), checked if asked."""
        with self._cond:
            cached = {k for k in self._parts if key_user(k) is not None}
        users = sorted(cached | self._stored_user_keys(), key=lambda k: int(k[1:]))
        for key in [SHARED, AUDIT, *users]:
            try:
                with self._cond:
                    part = self._parts.get(key)
                    data = json.loads(dumps(part.data)) if part else self._load_partition(key)
                if data is not None and check:
                    check_partition(key, data)
                    if key == SHARED and _format(data) != PARTITIONED:
                        raise ValueError("the main file is not a partitioned database's")
            except (ValueError, StorageCorrupt) as exc:
                reason = exc.reason if isinstance(exc, StorageCorrupt) else str(exc)
                raise StorageCorrupt(
                    self.layout.file_of(key), reason, self._last_good_backup(), self.path
                ) from None
            if data is not None:
                yield key, data

    def _rotate(self, check: bool = False) -> None:
        """Write a backup of the whole database and rotate the older ones; check=True: also
        check every partition (StorageCorrupt), even when the backup cannot be written."""
        from backcare.bot.storage.layout import BackupWriter

        with self._backup_lock:
            staged = self.path.with_name(f".{self.path.name}.bak.new{atomic.TEMP_SUFFIX}")
            writer = BackupWriter(staged) if self.backups else None
            try:
                for _, data in self._scan(check):
                    if writer is None:
                        continue
                    try:
                        writer.add_partition(data)
                    except OSError as exc:
                        log.error("could not write a backup: %s", exc)
                        writer.abort()
                        writer = None
                if writer is None:
                    return
                writer.finish()
            except BaseException:
                if writer is not None:
                    writer.abort()
                raise
            paths = self.backup_paths()
            for older, newer in zip(reversed(paths[1:]), reversed(paths[:-1])):
                if newer.exists():
                    os.replace(newer, older)
            os.replace(staged, paths[0])
            atomic.fsync_dir(self.path.parent)
            self._last_backup = time.monotonic()

    def _backup_soon(self) -> None:
        """A backup in the background (it reads every partition: not on a patient's turn)."""
        if self._backup_thread is not None and self._backup_thread.is_alive():
            return
        self._last_backup = time.monotonic()

        def run() -> None:
            try:
                self._rotate()
            except (OSError, StorageError) as exc:
                log.error("backup failed: %s", exc)

        self._backup_thread = threading.Thread(target=run, name="storage-backup", daemon=True)
        self._backup_thread.start()

    # -- erase and close -----------------------------------------------------------------
    def _scrub_backups(self, user_id: int) -> None:
        """The journal, every backup and every set-aside folder lose the user too."""
        try:
            with self._exclusive_disk():
                self._checkpoint()
        except OSError as exc:
            raise write_failure(exc) from exc
        with self._backup_lock:
            for backup in [*self.backup_paths(), *self.layout.kept_single_files()]:
                if not backup.exists():
                    continue
                try:
                    scrub_backup(backup, user_id)
                except (ValueError, OSError):
                    # Unreadable, so it cannot be scrubbed: it may still hold the user's data.
                    log.warning("deleted unreadable backup %s while erasing a user", backup.name)
                    backup.unlink(missing_ok=True)
            for folder in self.layout.set_aside_users():
                (folder / shard(user_id) / f"{int(user_id)}.json").unlink(missing_ok=True)

    def close(self) -> None:
        """Wait for the last write, bring the files up to date, then back up the database."""
        if self._closed:
            return
        super().close()
        try:
            for thread in (self._backup_thread, self._writer):
                if thread is not None:
                    thread.join()
            wrote = self._durable_gen > 0
            try:
                self._checkpoint()
                if wrote:
                    self._rotate()
            except OSError as exc:  # the journal keeps the data: replayed at the next start
                log.error("could not bring the files up to date at close: %s", exc)
        finally:
            if self._journal is not None:
                self._journal.close()
            self._lock_file.close()
