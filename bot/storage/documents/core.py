"""The core of the embedded backends: TinyDB tables in partitions, transactions with undo,
group commit. The roles of the contract are implemented on it by the mixins beside it
(``users``, ``inbox``, ``outbox``, ``reminders``, ``audit``, ``photos``).

The data are split into partitions, each a small TinyDB database in TinyDB's own
JSON layout: one per user (profile, dialog state, session, reminder, assessments,
check-ins), ``shared`` (inbox, outbox, meta: bounded by what is in flight) and
``audit``. A patient's turn touches their own partition and the shared one, never
anyone else's, so its cost does not grow with the number of users. Partitions are
loaded on demand; a backend with a disk keeps a bounded LRU of them.

Each transaction records how to undo its changes, so a failure inside one leaves
the others intact; committed transactions are made durable together by whichever
thread gets to the disk first (group commit: 50 patients answering at once cost a
few writes, not 50), which hands the backend the new image of every partition the
transactions changed (``_persist``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tinydb import Query, TinyDB
from tinydb.storages import Storage as TinyBackend
from tinydb.table import Document, Table

from backcare.bot.storage.base import FORMAT
from backcare.bot.storage.errors import StorageError, StorageWriteFailed, write_failure

log = logging.getLogger(__name__)

KEYED = ("users", "states", "sessions", "reminders")  # one document per user, id = user id
APPENDED = ("assessments", "checkins", "outbox")  # many per user, field user_id
TABLES = KEYED + APPENDED + ("inbox", "audit", "meta")

# partitions and the tables each holds
SHARED, AUDIT = "shared", "audit"
USER_TABLES = KEYED + ("assessments", "checkins")
SHARED_TABLES = ("outbox", "inbox", "meta")
AUDIT_TABLES = ("audit",)
_USER = Query().user_id

Image = bytes | None  # a partition as TinyDB JSON; None: the partition is gone (nothing kept)


def user_key(user_id: int) -> str:
    return f"u{int(user_id)}"


def key_user(key: str) -> int | None:
    """The user a partition belongs to (None for the shared ones)."""
    return int(key[1:]) if key.startswith("u") else None


def tables_of(key: str) -> tuple[str, ...]:
    if key == SHARED:
        return SHARED_TABLES
    if key == AUDIT:
        return AUDIT_TABLES
    return USER_TABLES


def partition_of(table: str, user_id: int | None) -> str:
    if table in USER_TABLES:
        if user_id is None:
            raise StorageError(f"table {table} needs a user")
        return user_key(user_id)
    return AUDIT if table in AUDIT_TABLES else SHARED


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class _InMemory(TinyBackend):
    """TinyDB's storage hook: a partition as a dict that we persist ourselves."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def read(self) -> dict:
        return self.data

    def write(self, data: dict) -> None:
        self.data = data


class Partition:
    """One partition's tables (TinyDB over a dict)."""

    __slots__ = ("db", "key", "tables")

    def __init__(self, key: str, data: dict | None = None) -> None:
        self.key = key
        data = {} if data is None else data
        for name in tables_of(key):
            data.setdefault(name, {})
        self.db = TinyDB(data, storage=_InMemory)
        self.tables: dict[str, Table] = {n: self.db.table(n, cache_size=0) for n in tables_of(key)}

    @property
    def data(self) -> dict:
        data = self.db.storage.read()
        assert data is not None  # _InMemory always holds a dict
        return data

    def empty(self) -> bool:
        return not any(self.data.get(name) for name in tables_of(self.key))

    def image(self) -> Image:
        """What goes to disk: the tables as JSON, or None once a user's partition is empty."""
        if self.key != SHARED and self.empty():
            return None
        return dumps({name: self.data.get(name, {}) for name in tables_of(self.key)})


def json_copy(value: Any, what: str) -> Any:
    """A deep copy that is guaranteed JSON-safe (refused here, not at commit time).

    "Safe" includes writable as UTF-8: a lone surrogate ("\\ud800" in JSON) accepted into
    memory would fail the commit, and with it every later commit of every user."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
        return json.loads(text)
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise StorageError(f"{what} is not JSON-safe: {exc}") from None


def empty_database() -> dict:
    """An empty database in the single-file layout."""
    return {name: {} for name in TABLES} | {"meta": {"1": {"format": FORMAT}}}


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


class DocumentCore:
    """Partitioned TinyDB tables with transactions: what every role's mixin works on
    (:class:`~backcare.bot.storage.documents.storage.DocumentStorage` puts them together).

    photos:      where photos kept with consent go (default: in memory)
    cache_users: how many users' partitions stay in memory (None: all, for memory backends).
    """

    def __init__(self, photos: Any = None, cache_users: int | None = None) -> None:
        from backcare.bot.storage.photos import MemoryPhotos

        self._photos = photos if photos is not None else MemoryPhotos()
        self._cache_users = cache_users
        self._parts: OrderedDict[str, Partition] = OrderedDict()
        self._dirty: set[str] = set()  # changed since the last snapshot handed to the disk
        self._inflight: set[str] = set()  # in the snapshot being written now
        self._cond = threading.Condition(threading.RLock())
        self._depth = 0
        self._undo: list[Callable[[], None]] = []
        self._gen = 0  # bumped by each committed transaction that changed something
        self._durable_gen = 0  # every generation up to this one is on disk
        self._writing = False
        self._failures: list[tuple[int, int, StorageWriteFailed]] = []  # (after, upto, error)
        self._closed = False
        self._kicked = 0  # the newest generation a background flush must write
        self._flusher: threading.Thread | None = None
        self._stopping = False

    # -- hooks for backends --------------------------------------------------------------
    def _persist(self, images: dict[str, Image]) -> None:
        """Make the new images of the changed partitions durable, all or none."""

    def _load_partition(self, key: str) -> dict | None:
        """A partition's durable data (None: nothing kept). Memory backends keep them all."""
        return None

    def _stored_user_keys(self) -> set[str]:
        """Keys of users' partitions on disk (memory backends: none beyond the cache)."""
        return set()

    @property
    def _durable(self) -> bool:
        return False

    # -- partitions ----------------------------------------------------------------------
    def _part(self, key: str) -> Partition:
        part = self._parts.get(key)
        if part is None:
            part = Partition(key, self._load_partition(key))
            self._parts[key] = part
            self._evict()
        else:
            self._parts.move_to_end(key)
        return part

    def _evict(self) -> None:
        """Forget the least recently used users' partitions beyond the cache size (never one
        with changes not yet on disk: it would be read back older)."""
        if self._cache_users is None:
            return
        excess = len(self._parts) - 2 - self._cache_users
        for key in list(self._parts):
            if excess <= 0:
                break
            if key in (SHARED, AUDIT) or key in self._dirty or key in self._inflight:
                continue
            del self._parts[key]
            excess -= 1

    def _user_partitions(self) -> Iterator[tuple[int, dict]]:
        """Every user's partition (a copy), one at a time: the lock is not held between them,
        so a scan of all users (retention, statistics, restoring reminders) never stalls turns."""
        with self._cond:
            keys = {k for k, p in self._parts.items() if key_user(k) is not None}
        keys |= self._stored_user_keys()
        for key in sorted(keys, key=lambda k: int(k[1:])):
            with self._cond:
                part = self._parts.get(key)
                data = _copy(part.data) if part is not None else self._load_partition(key)
            if data and any(data.get(name) for name in USER_TABLES):
                yield int(key[1:]), data

    # -- transactions --------------------------------------------------------------------
    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[None]:
        """All-or-nothing changes. wait=False: in effect at once, on disk moments later
        (a background flush), for changes whose loss in a crash is harmless."""
        cond = self._cond
        cond.acquire()
        if self._closed:
            cond.release()
            raise StorageError("storage is closed")
        self._depth += 1
        mark = len(self._undo)
        try:
            yield
        except BaseException:
            for undo in reversed(self._undo[mark:]):
                undo()
            del self._undo[mark:]
            self._depth -= 1
            cond.release()
            raise
        self._depth -= 1
        gen = 0
        if self._depth == 0:
            if self._undo:
                self._gen += 1
                gen = self._gen
            self._undo.clear()
        cond.release()
        if gen and wait:
            self._make_durable(gen)
        elif gen:
            self._kick(gen)

    def sync(self) -> None:
        """Wait until every change made so far (also with wait=False) is on disk."""
        with self._cond:
            gen = self._gen
        if gen:
            self._make_durable(gen)

    def _kick(self, gen: int) -> None:
        if not self._durable:
            self._make_durable(gen)
            return
        with self._cond:
            self._kicked = max(self._kicked, gen)
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_loop, name="storage-flush", daemon=True
                )
                self._flusher.start()
            self._cond.notify_all()

    def _flush_loop(self) -> None:
        failing = False
        while True:
            with self._cond:
                while self._kicked <= self._durable_gen and not self._stopping:
                    self._cond.wait()
                if self._kicked <= self._durable_gen:
                    return
                target = self._kicked
            try:
                self._make_durable(target)
            except StorageWriteFailed as exc:
                # once per episode: a full disk fails every flush until there is room again
                log.log(
                    logging.DEBUG if failing else logging.WARNING,
                    "a background write failed (%s); the store holds the last saved version",
                    exc,
                )
                failing = True
            else:
                failing = False

    def _make_durable(self, gen: int) -> None:
        if not self._durable:
            with self._cond:
                self._durable_gen = max(self._durable_gen, gen)
                self._dirty.clear()
            return
        with self._cond:
            while True:
                for after, upto, failure in self._failures:
                    if after < gen <= upto:
                        raise failure
                if self._durable_gen >= gen:
                    return
                if self._writing:
                    self._cond.wait()
                    continue
                self._writing = True
                upto = self._gen
                keys, self._dirty = self._dirty, set()
                self._inflight = keys
                error: BaseException | None = None
                try:
                    images = {k: self._parts[k].image() for k in sorted(keys)}
                    self._cond.release()
                    try:
                        self._persist(images)
                    except BaseException as exc:
                        error = exc
                    finally:
                        self._cond.acquire()
                except BaseException as exc:
                    error = error or exc
                self._writing = False
                self._inflight = set()
                if error is None:
                    self._durable_gen = upto
                    self._evict()
                else:
                    # Memory holds changes the disk refused: forget them (the partitions are
                    # read back as the disk has them), and fail every transaction committed
                    # since the last good write.
                    failure = write_failure(error)
                    self._failures = self._failures[-50:] + [
                        (self._durable_gen, self._gen, failure)
                    ]
                    for key in keys | self._dirty:
                        self._parts.pop(key, None)
                    self._dirty = set()
                    self._durable_gen = self._gen
                self._cond.notify_all()

    @contextmanager
    def _exclusive_disk(self) -> Iterator[None]:
        """No commit reaches the disk meanwhile (for work on the files themselves)."""
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()

    # -- primitives (called inside a transaction; each records its undo) -----------------
    def _table(self, table: str, user_id: int | None = None) -> Table:
        return self._part(partition_of(table, user_id)).tables[table]

    def _get(self, table: str, doc_id: int, user_id: int | None = None) -> dict | None:
        doc = self._table(table, user_id).get(doc_id=doc_id)
        return _copy(doc) if doc is not None else None

    def _set(self, table: str, doc_id: int, doc: dict | None, user_id: int | None = None) -> None:
        key = partition_of(table, user_id)
        t = self._part(key).tables[table]
        before = t.get(doc_id=doc_id)
        before = _copy(before) if before is not None else None
        self._raw_set(t, doc_id, doc)
        self._dirty.add(key)
        self._undo.append(lambda: self._raw_set(t, doc_id, before))

    @staticmethod
    def _raw_set(t: Table, doc_id: int, doc: dict | None) -> None:
        if doc is None:
            if t.contains(doc_id=doc_id):
                t.remove(doc_ids=[doc_id])
        elif t.contains(doc_id=doc_id):

            def replace(old: Mapping[str, Any]) -> None:
                # tinydb types the document as a Mapping but hands its own Document (a dict)
                # to be changed in place.
                assert isinstance(old, dict)
                old.clear()
                old.update(doc)

            t.update(replace, doc_ids=[doc_id])
        else:
            t.insert(Document(doc, doc_id=doc_id))

    def _insert(self, table: str, doc: dict, user_id: int | None = None) -> int:
        key = partition_of(table, user_id)
        t = self._part(key).tables[table]
        doc_id = t.insert(doc)
        self._dirty.add(key)
        self._undo.append(lambda: self._raw_set(t, doc_id, None))
        return doc_id

    def _user_docs(self, table: str, user_id: int) -> list[Document]:
        docs = self._table(table, user_id).search(user_id == _USER)
        return sorted(docs, key=lambda d: d.doc_id)

    def _remove_user_docs(self, table: str, user_id: int) -> None:
        for doc in self._user_docs(table, user_id):
            self._set(table, doc.doc_id, None, user_id)

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            flusher = self._flusher
        if flusher is not None:
            flusher.join()  # writes what was still waiting for the background flush
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._closed = True
