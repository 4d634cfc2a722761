"""The shared implementation: TinyDB tables in memory, transactions with undo, group commit.

TinyDB does the table work on an in-memory copy of the whole database; a
backend only decides how a committed snapshot reaches disk (``_persist``).
Each transaction records how to undo its changes, so a failure inside one
leaves the others intact; committed transactions are written together by
whichever thread gets to the disk first (group commit: 50 patients answering
at once cost a few writes, not 50).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from tinydb import Query, TinyDB
from tinydb.storages import Storage as TinyBackend
from tinydb.table import Document, Table

from backcare.storage.base import Storage
from backcare.storage.errors import StorageError, StorageWriteFailed
from backcare.storage.records import (
    AuditEntry,
    OutboxItem,
    Reminder,
    UserProfile,
    iso,
    parse_iso,
    utc_now,
)

log = logging.getLogger(__name__)

FORMAT = 1
KEYED = ("users", "states", "sessions", "reminders")  # one document per user, id = user id
APPENDED = ("assessments", "checkins", "outbox")  # many per user, field user_id
TABLES = KEYED + APPENDED + ("inbox", "audit", "meta")
_USER = Query().user_id


class _InMemory(TinyBackend):
    """TinyDB's storage hook: the whole database as a dict that we persist ourselves."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def read(self) -> dict:
        return self.data

    def write(self, data: dict) -> None:
        self.data = data


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
    return {name: {} for name in TABLES} | {"meta": {"1": {"format": FORMAT}}}


class DocumentStorage(Storage):
    """All of :class:`Storage` over TinyDB tables; subclasses persist snapshots."""

    def __init__(self, data: dict | None = None, photos: Any = None) -> None:
        from backcare.storage.photos import MemoryPhotos

        self._db = TinyDB(data if data is not None else empty_database(), storage=_InMemory)
        self._tables: dict[str, Table] = {n: self._db.table(n, cache_size=0) for n in TABLES}
        self._photos = photos if photos is not None else MemoryPhotos()
        self._cond = threading.Condition(threading.RLock())
        self._depth = 0
        self._undo: list[Callable[[], None]] = []
        self._gen = 0  # bumped by each committed transaction that changed something
        self._durable_gen = 0  # every generation up to this one is on disk
        self._writing = False
        self._failures: list[tuple[int, int, str]] = []  # (after, upto, why) generations lost
        self._closed = False
        self._kicked = 0  # the newest generation a background flush must write
        self._flusher: threading.Thread | None = None
        self._stopping = False

    # -- hooks for backends --------------------------------------------------------------
    def _persist(self, payload: bytes) -> None:
        """Make ``payload`` (the whole database as JSON) durable. Memory backends do nothing."""

    def _load_durable(self) -> dict:
        """The last durable database, to return to after a failed write."""
        return empty_database()

    @property
    def _durable(self) -> bool:
        return False

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
        while True:
            with self._cond:
                while self._kicked <= self._durable_gen and not self._stopping:
                    self._cond.wait()
                if self._kicked <= self._durable_gen:
                    return
                target = self._kicked
            try:
                self._make_durable(target)
            except StorageWriteFailed:
                log.exception("a background write failed; the store holds the last saved version")

    def _make_durable(self, gen: int) -> None:
        if not self._durable:
            with self._cond:
                self._durable_gen = max(self._durable_gen, gen)
            return
        with self._cond:
            while True:
                for after, upto, why in self._failures:
                    if after < gen <= upto:
                        raise StorageWriteFailed(f"change not saved: {why}")
                if self._durable_gen >= gen:
                    return
                if self._writing:
                    self._cond.wait()
                    continue
                self._writing = True
                upto = self._gen
                error: BaseException | None = None
                try:
                    payload = json.dumps(
                        self._db.storage.read(), ensure_ascii=False, separators=(",", ":")
                    ).encode()
                    self._cond.release()
                    try:
                        self._persist(payload)
                    except BaseException as exc:
                        error = exc
                    finally:
                        self._cond.acquire()
                except BaseException as exc:
                    error = error or exc
                self._writing = False
                if error is None:
                    self._durable_gen = upto
                else:
                    # Memory holds changes the disk refused: go back to what the disk has,
                    # and fail every transaction committed since the last good write.
                    self._failures = self._failures[-50:] + [
                        (self._durable_gen, self._gen, repr(error))
                    ]
                    self._db.storage.write(self._load_durable())
                    for table in self._tables.values():
                        table._next_id = None
                    self._durable_gen = self._gen
                self._cond.notify_all()

    # -- primitives (called inside a transaction; each records its undo) -----------------
    def _get(self, table: str, doc_id: int) -> dict | None:
        doc = self._tables[table].get(doc_id=doc_id)
        return json.loads(json.dumps(doc)) if doc is not None else None

    def _set(self, table: str, doc_id: int, doc: dict | None) -> None:
        t = self._tables[table]
        before = t.get(doc_id=doc_id)
        before = json.loads(json.dumps(before)) if before is not None else None
        self._raw_set(t, doc_id, doc)
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

    def _insert(self, table: str, doc: dict) -> int:
        t = self._tables[table]
        doc_id = t.insert(doc)
        self._undo.append(lambda: self._raw_set(t, doc_id, None))
        return doc_id

    def _user_docs(self, table: str, user_id: int) -> list[Document]:
        return sorted(self._tables[table].search(user_id == _USER), key=lambda d: d.doc_id)

    def _remove_user_docs(self, table: str, user_id: int) -> None:
        for doc in self._user_docs(table, user_id):
            self._set(table, doc.doc_id, None)

    # -- users ---------------------------------------------------------------------------
    def get_user(self, user_id: int) -> UserProfile | None:
        with self.transaction():
            doc = self._get("users", user_id)
        return UserProfile(user_id=user_id, **doc) if doc else None

    def put_user(self, profile: UserProfile) -> None:
        doc = json_copy(
            {
                "language": profile.language,
                "tz": profile.tz,
                "consents": dict(profile.consents),
                "created": profile.created or iso(utc_now()),
            },
            "user profile",
        )
        with self.transaction():
            self._set("users", profile.user_id, doc)

    def user_ids(self) -> list[int]:
        with self.transaction():
            ids = {d.doc_id for d in self._tables["users"].all()}
            ids |= {d.doc_id for d in self._tables["states"].all()}
        return sorted(ids)

    # -- dialog state and session --------------------------------------------------------
    def get_state(self, user_id: int) -> dict | None:
        with self.transaction():
            return self._get("states", user_id)

    def put_state(self, user_id: int, state: dict) -> None:
        doc = json_copy(state, "dialog state")
        if not isinstance(doc, dict):
            raise StorageError("dialog state must be a JSON object")
        with self.transaction():
            self._set("states", user_id, doc)

    def get_session(self, user_id: int) -> dict:
        with self.transaction():
            return self._get("sessions", user_id) or {}

    def put_session(self, user_id: int, session: dict) -> None:
        doc = json_copy(session, "session")
        with self.transaction():
            self._set("sessions", user_id, doc)

    # -- assessments and check-ins -------------------------------------------------------
    def _append(self, table: str, user_id: int, entry: dict) -> None:
        doc = {"user_id": user_id, "created": iso(utc_now()), "entry": json_copy(entry, table)}
        with self.transaction():
            self._insert(table, doc)

    def _entries(self, table: str, user_id: int) -> list[dict]:
        with self.transaction():
            return [json.loads(json.dumps(d["entry"])) for d in self._user_docs(table, user_id)]

    def add_assessment(self, user_id: int, summary: dict) -> None:
        self._append("assessments", user_id, summary)

    def assessments(self, user_id: int) -> list[dict]:
        return self._entries("assessments", user_id)

    def add_checkin(self, user_id: int, entry: dict) -> None:
        self._append("checkins", user_id, entry)

    def checkins(self, user_id: int) -> list[dict]:
        return self._entries("checkins", user_id)

    # -- reminders -----------------------------------------------------------------------
    @staticmethod
    def _reminder(user_id: int, doc: dict) -> Reminder:
        return Reminder(
            user_id=user_id,
            chat_id=doc["chat_id"],
            plan=doc["plan"],
            next_due=parse_iso(doc["next_due"]),
        )

    def get_reminder(self, user_id: int) -> Reminder | None:
        with self.transaction():
            doc = self._get("reminders", user_id)
        return self._reminder(user_id, doc) if doc else None

    def put_reminder(self, reminder: Reminder) -> None:
        doc = {
            "chat_id": reminder.chat_id,
            "plan": json_copy(reminder.plan, "reminder plan"),
            "next_due": iso(reminder.next_due),
        }
        with self.transaction():
            self._set("reminders", reminder.user_id, doc)

    def remove_reminder(self, user_id: int) -> None:
        with self.transaction():
            self._set("reminders", user_id, None)

    def reminders(self) -> list[Reminder]:
        with self.transaction():
            docs = [(d.doc_id, json.loads(json.dumps(d))) for d in self._tables["reminders"].all()]
        return [self._reminder(uid, doc) for uid, doc in sorted(docs)]

    # -- outbox --------------------------------------------------------------------------
    @staticmethod
    def _item(doc: Document) -> OutboxItem:
        return OutboxItem(
            id=doc.doc_id,
            user_id=doc["user_id"],
            chat_id=doc["chat_id"],
            payload=json.loads(json.dumps(doc["payload"])),
            created=doc["created"],
            attempts=doc.get("attempts", 0),
        )

    def enqueue(self, user_id: int, chat_id: int, payloads: list[dict]) -> list[OutboxItem]:
        docs = [
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "payload": json_copy(p, "reply"),
                "created": iso(utc_now()),
                "attempts": 0,
            }
            for p in payloads
        ]
        with self.transaction():
            ids = [self._insert("outbox", doc) for doc in docs]
            items = []
            for i in ids:
                doc = self._tables["outbox"].get(doc_id=i)
                assert isinstance(doc, Document)  # inserted just above, in this transaction
                items.append(self._item(doc))
            return items

    def pending(self, user_id: int | None = None) -> list[OutboxItem]:
        with self.transaction():
            t = self._tables["outbox"]
            docs = t.all() if user_id is None else t.search(user_id == _USER)
            return [self._item(d) for d in sorted(docs, key=lambda d: d.doc_id)]

    def mark_sent(self, item_id: int, wait: bool = True) -> None:
        with self.transaction(wait=wait):
            self._set("outbox", item_id, None)

    def note_attempt(self, item_id: int, wait: bool = True) -> None:
        with self.transaction(wait=wait):
            doc = self._get("outbox", item_id)
            if doc is not None:
                doc["attempts"] = doc.get("attempts", 0) + 1
                self._set("outbox", item_id, doc)

    # -- inbox ---------------------------------------------------------------------------
    def inbox_add(
        self, update_id: int, user_id: int | None, update: dict, wait: bool = True
    ) -> bool:
        doc = {
            "user_id": user_id,
            "update": json_copy(update, "update"),
            "received": iso(utc_now()),
        }
        with self.transaction(wait=wait):
            if self._tables["inbox"].contains(doc_id=update_id):
                return False
            self._set("inbox", update_id, doc)
            return True

    def inbox_pending(self) -> list[dict]:
        with self.transaction():
            docs = sorted(self._tables["inbox"].all(), key=lambda d: d.doc_id)
            return [json.loads(json.dumps(d["update"])) for d in docs]

    def inbox_done(self, update_id: int, wait: bool = True) -> None:
        with self.transaction(wait=wait):
            self._set("inbox", update_id, None)

    # -- audit ---------------------------------------------------------------------------
    def audit(
        self, admin_id: int, action: str, detail: str = "", when: datetime | None = None
    ) -> None:
        doc = {
            "time": iso(when or utc_now()),
            "admin_id": int(admin_id),
            "action": str(action),
            "detail": str(detail),
        }
        with self.transaction():
            self._insert("audit", doc)

    def audit_log(self) -> list[AuditEntry]:
        with self.transaction():
            docs = sorted(self._tables["audit"].all(), key=lambda d: d.doc_id)
            return [AuditEntry(**dict(d)) for d in docs]

    # -- photos --------------------------------------------------------------------------
    def save_photo(self, user_id: int, name: str, data: bytes) -> str:
        return self._photos.save(user_id, name, data)

    def photos(self, user_id: int) -> list[str]:
        return self._photos.names(user_id)

    def load_photo(self, user_id: int, name: str) -> bytes:
        return self._photos.load(user_id, name)

    def delete_photo(self, user_id: int, name: str) -> None:
        self._photos.delete(user_id, name)

    # -- privacy and statistics ----------------------------------------------------------
    def _erase(self, user_id: int) -> None:
        for table in KEYED:
            self._set(table, user_id, None)
        for table in APPENDED:
            self._remove_user_docs(table, user_id)
        self._remove_user_docs("inbox", user_id)

    def delete_user(self, user_id: int) -> None:
        with self.transaction():
            self._erase(user_id)
        self._photos.delete_user(user_id)
        self._scrub_backups(user_id)

    def _scrub_backups(self, user_id: int) -> None:
        """Backends with backups erase the user from them too."""

    def export_user(self, user_id: int) -> dict:
        profile = self.get_user(user_id)
        reminder = self.get_reminder(user_id)
        return {
            "format": FORMAT,
            "exported": iso(utc_now()),
            "user_id": user_id,
            "profile": None
            if profile is None
            else {
                "language": profile.language,
                "tz": profile.tz,
                "consents": profile.consents,
                "created": profile.created,
            },
            "dialog_state": self.get_state(user_id),
            "assessments": self.assessments(user_id),
            "checkins": self.checkins(user_id),
            "reminder": None
            if reminder is None
            else {"plan": reminder.plan, "next_due": iso(reminder.next_due)},
            "photos": self.photos(user_id),
        }

    def stats(self) -> dict[str, int]:
        with self.transaction():
            t = self._tables
            assessed = {d["user_id"] for d in t["assessments"].all()}
            return {
                "users": len(set(self.user_ids())),
                "users_assessed": len(assessed),
                "assessments": len(t["assessments"]),
                "checkins": len(t["checkins"]),
                "reminders_active": sum(
                    1 for d in t["reminders"].all() if d.get("plan", {}).get("active", True)
                ),
                "outbox_pending": len(t["outbox"]),
                "users_with_photos": len(self._photos.user_ids()),
            }

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
