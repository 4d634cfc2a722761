"""Where the partitions of a database live, and backups of the whole database in one file.

For ``TinyDBStorage("data/backcare.json")``, all in ``data/`` (owner-only)::

    backcare.json             shared partition: inbox, outbox, meta (format 2, partitioned)
    backcare.json.journal     write-ahead journal (records not yet in the files below)
    backcare.json.journal.old a full journal being written out to the files (while the
                              next one takes the commits)
    backcare.json.lock        one process at a time
    backcare.audit.json       admin actions
    backcare.users/<ab>/<user id>.json
                              one partition per user (profile, dialog state, session,
                              reminder, assessments, check-ins); <ab>: the first two hex
                              digits of SHA-256 of the id, so no folder grows huge
    backcare.json.bak.1 .. N  backups: the whole database in the single-file layout
                              (format 1), restored by copying one over backcare.json
    backcare.json.v1-<time>   the single file an older version wrote, kept at migration
    photos/<user id>/         photos kept with consent

Each file is TinyDB's JSON layout, so ``tinydb.TinyDB(file)`` reads any of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from backcare.bot.storage import atomic
from backcare.bot.storage.documents import AUDIT, FORMAT, SHARED, TABLES, key_user, user_key

PARTITIONED = 2  # format of the shared file in the partitioned layout


def shard(user_id: int) -> str:
    return hashlib.sha256(str(int(user_id)).encode()).hexdigest()[:2]


class Layout:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.folder = self.path.parent
        stem = self.path.stem if self.path.suffix else self.path.name
        self.audit = self.folder / f"{stem}.audit.json"
        self.users = self.folder / f"{stem}.users"
        self.journal = self.folder / f"{self.path.name}.journal"
        self.old_journal = self.folder / f"{self.path.name}.journal.old"

    def file_of(self, key: str) -> Path:
        if key == SHARED:
            return self.path
        if key == AUDIT:
            return self.audit
        user_id = key_user(key)
        assert user_id is not None
        return self.users / shard(user_id) / f"{user_id}.json"

    def user_keys(self, users: Path | None = None) -> Iterator[str]:
        """Keys of the users' partitions found on disk."""
        users = users or self.users
        if not users.is_dir():
            return
        for folder in os.scandir(users):
            if not folder.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(folder.path):
                stem, dot, ext = entry.name.partition(".")
                if ext == "json" and dot and re.fullmatch(r"-?\d{1,20}", stem):
                    yield user_key(int(stem))

    def backups(self, count: int) -> list[Path]:
        return [self.folder / f"{self.path.name}.bak.{i}" for i in range(1, count + 1)]

    def kept_single_files(self) -> list[Path]:
        """Single files of older versions kept at migration (they are backups too)."""
        return sorted(self.folder.glob(f"{self.path.name}.v1-*"))

    def set_aside_users(self) -> list[Path]:
        """Users' folders set aside when a single file was restored over a partitioned one."""
        return sorted(p for p in self.folder.glob(f"{self.users.name}.replaced-*") if p.is_dir())

    def stale_temps(self) -> Iterator[Path]:
        """Temporary files an interrupted write left (they may hold personal data)."""
        yield from self.folder.glob(f".*{atomic.TEMP_SUFFIX}")
        if self.users.is_dir():
            yield from self.users.glob(f"*/.*{atomic.TEMP_SUFFIX}")


# -- backups: the whole database in the single-file layout, one document a line ----------
RENUMBERED = ("assessments", "checkins")
_HEADER = re.compile(r',?"([a-z_]+)":\{')
_DOC = re.compile(r',?"(-?\d{1,20})":(.*)')


class BackupWriter:
    """Writes a database table by table in one pass over the partitions: each table's
    documents go to a temporary file first, one a line; ``finish`` joins them."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self._tables: dict[str, tuple[IO[bytes], str, int]] = {}
        self._numbers: dict[str, int] = {}

    def _stream(self, table: str) -> tuple[IO[bytes], str, int]:
        if table not in self._tables:
            fd, tmp = tempfile.mkstemp(
                dir=self.target.parent,
                prefix=f".{self.target.name}.{table}.",
                suffix=atomic.TEMP_SUFFIX,
            )
            self._tables[table] = (os.fdopen(fd, "w+b"), tmp, 0)
        return self._tables[table]

    def add(self, table: str, doc_id: str, doc: Any) -> None:
        f, tmp, n = self._stream(table)
        f.write(b"," if n else b"")
        f.write(json.dumps(str(doc_id)).encode() + b":")
        f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        self._tables[table] = (f, tmp, n + 1)

    def add_partition(self, data: dict) -> None:
        """A partition's documents. Assessments and check-ins are numbered per user in their
        partitions: here they are numbered again, in order, to be unique in the database."""
        for table, docs in data.items():
            if table == "meta":
                continue
            for doc_id, doc in sorted(docs.items(), key=lambda item: int(item[0])):
                if table in RENUMBERED:
                    self._numbers[table] = number = self._numbers.get(table, 0) + 1
                    doc_id = str(number)
                self.add(table, doc_id, doc)

    def finish(self) -> None:
        """Write ``target`` atomically (the previous one stays whole until the last step)."""
        try:
            fd, tmp = tempfile.mkstemp(
                dir=self.target.parent, prefix=f".{self.target.name}.", suffix=atomic.TEMP_SUFFIX
            )
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(b"{\n")
                    names = [*TABLES]
                    for i, table in enumerate(names):
                        out.write((("," if i else "") + json.dumps(table) + ":{\n").encode())
                        if table == "meta":
                            out.write(b'"1":' + json.dumps({"format": FORMAT}).encode() + b"\n")
                        elif table in self._tables:
                            f = self._tables[table][0]
                            f.flush()
                            f.seek(0)
                            while chunk := f.read(1 << 20):
                                out.write(chunk)
                        out.write(b"}\n")
                    out.write(b"}\n")
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            atomic.fsync_dir(self.target.parent)
        finally:
            self.abort()

    def abort(self) -> None:
        for f, tmp, _ in self._tables.values():
            f.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._tables.clear()


def read_backup(path: Path) -> Iterator[tuple[str, str, Any]]:
    """(table, document id, document) of a database in the single-file layout. Files this
    module wrote are read a line at a time (memory stays small whatever their size);
    others (an older version's file) are parsed whole. ValueError if it is not one."""
    with open(path, "rb") as f:
        first = f.readline()
        if first != b"{\n":
            data = json.loads(first + f.read())
            if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
                raise ValueError("not a TinyDB database (expected an object of tables)")
            for table, docs in data.items():
                for doc_id, doc in docs.items():
                    yield table, doc_id, doc
            return
        table = None
        for raw in f:
            line = raw.decode("utf-8").rstrip("\n")
            if table is None:
                if line == "}":
                    return
                head = _HEADER.fullmatch(line)
                if head is None:
                    raise ValueError(f"unexpected line {line[:40]!r}")
                table = head.group(1)
            elif line == "}":
                table = None
            else:
                doc = _DOC.fullmatch(line)
                if doc is None:
                    raise ValueError(f"unexpected line in table {table}")
                yield table, doc.group(1), json.loads(doc.group(2))
        raise ValueError("the file ends early")


def belongs_to(table: str, doc_id: str, doc: Any, user_id: int) -> bool:
    if table in ("users", "states", "sessions", "reminders"):
        return doc_id == str(user_id)
    return isinstance(doc, dict) and doc.get("user_id") == user_id


def scrub_backup(path: Path, user_id: int) -> None:
    """Rewrite the backup ``path`` without any document of ``user_id`` (ValueError: unreadable)."""
    writer = BackupWriter(path)
    try:
        for table, doc_id, doc in read_backup(path):
            if table != "meta" and not belongs_to(table, doc_id, doc, user_id):
                writer.add(table, doc_id, doc)
    except BaseException:
        writer.abort()
        raise
    writer.finish()
