"""``backcare migrate-storage``: a TinyDB installation moved into PostgreSQL, checked.

The TinyDB store is opened as the bot opens it (its lock: refused while a bot runs on
it; its journal replayed, an old layout spread out), then read whole and written
into the database in ONE transaction: a failure leaves the database empty, never half
filled. The target must hold no patients yet. Afterwards every user's export
(profile, dialog state, session, reports, check-ins, reminder, photos) and the shared
queues (inbox, outbox, audit) are compared between the two stores; any difference is
an error naming the user and what differs. The TinyDB files are left as they were, a
fallback until the operator removes them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backcare.bot.storage.base import Storage
from backcare.bot.storage.errors import StorageError
from backcare.bot.storage.photos import FilePhotos
from backcare.bot.storage.postgres.core import _json
from backcare.bot.storage.postgres.store import PostgresStorage
from backcare.bot.storage.records import parse_iso
from backcare.bot.storage.tinyfile import TinyDBStorage, read_database

log = logging.getLogger(__name__)


@dataclass
class Moved:
    """What was copied (counts only: fit for a terminal and a log)."""

    users: int = 0
    assessments: int = 0
    checkins: int = 0
    reminders: int = 0
    outbox: int = 0
    inbox: int = 0
    audit: int = 0
    photos: int = 0
    differences: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.users} users, {self.assessments} assessments, {self.checkins} check-ins, "
            f"{self.reminders} reminders, {self.photos} photos, {self.outbox} replies waiting, "
            f"{self.inbox} updates waiting, {self.audit} admin actions"
        )


def _ordered(table: dict) -> list[dict]:
    return [doc for _, doc in sorted(table.items(), key=lambda item: int(item[0]))]


def _fill(target: PostgresStorage, data: dict, photos: FilePhotos, moved: Moved) -> None:
    with target._tx() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM states)"
            " + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM inbox)"
        )
        row = cur.fetchone()
        if row and row[0]:
            raise StorageError(
                "the target database already holds data: migrate into a new, empty database"
            )
        for table in ("users", "states", "sessions"):
            for uid, doc in sorted(data.get(table, {}).items(), key=lambda i: int(i[0])):
                cur.execute(
                    f"INSERT INTO {table} (user_id, doc) VALUES (%s, %s)", (int(uid), _json(doc))
                )
        for table in ("assessments", "checkins"):
            for doc in _ordered(data.get(table, {})):
                cur.execute(
                    f"INSERT INTO {table} (user_id, created, entry) VALUES (%s, %s, %s)",
                    (doc["user_id"], doc["created"], _json(doc["entry"])),
                )
                setattr(moved, table, getattr(moved, table) + 1)
        for uid, doc in data.get("reminders", {}).items():
            cur.execute(
                "INSERT INTO reminders (user_id, chat_id, plan, next_due) VALUES (%s, %s, %s, %s)",
                (int(uid), doc["chat_id"], _json(doc["plan"]), parse_iso(doc["next_due"])),
            )
            moved.reminders += 1
        for doc in _ordered(data.get("outbox", {})):  # new ids, same order
            cur.execute(
                "INSERT INTO outbox (user_id, chat_id, payload, created, attempts)"
                " VALUES (%s, %s, %s, %s, %s)",
                (
                    doc["user_id"],
                    doc["chat_id"],
                    _json(doc["payload"]),
                    doc["created"],
                    doc.get("attempts", 0),
                ),
            )
            moved.outbox += 1
        for update_id, doc in data.get("inbox", {}).items():
            cur.execute(
                "INSERT INTO inbox (update_id, user_id, body, received) VALUES (%s, %s, %s, %s)",
                (int(update_id), doc.get("user_id"), _json(doc["update"]), doc["received"]),
            )
            moved.inbox += 1
        for doc in _ordered(data.get("audit", {})):
            cur.execute(
                "INSERT INTO audit (time, admin_id, action, detail) VALUES (%s, %s, %s, %s)",
                (doc["time"], doc["admin_id"], doc["action"], doc.get("detail", "")),
            )
            moved.audit += 1
        for uid in sorted(photos.user_ids()):
            for name in photos.names(uid):
                cur.execute(
                    "INSERT INTO photos (user_id, name, data) VALUES (%s, %s, %s)",
                    (uid, name, photos.load(uid, name)),
                )
                moved.photos += 1


def _users_of(data: dict) -> set[int]:
    users = {
        int(uid) for table in ("users", "states", "sessions", "reminders") for uid in data[table]
    }
    users |= {doc["user_id"] for t in ("assessments", "checkins") for doc in data[t].values()}
    return users


def _view(store: Storage, uid: int) -> dict[str, Any]:
    out = store.export_user(uid)
    out.pop("exported", None)
    out["session"] = store.get_session(uid)
    out["photo_bytes"] = [store.load_photo(uid, name) for name in out["photos"]]
    return out


def compare(source: Storage, target: Storage, users: set[int]) -> list[str]:
    """Every difference between the two stores (empty: the same data)."""
    out = []
    for uid in sorted(users):
        a, b = _view(source, uid), _view(target, uid)
        for key in a:
            if a[key] != b.get(key):
                out.append(f"user {uid}: {key} differs")

    def shared(store: Storage) -> tuple:
        return (
            [(i.user_id, i.chat_id, i.payload, i.attempts) for i in store.pending()],
            store.inbox_pending(),
            store.audit_log(),
        )

    for what, a_, b_ in zip(("outbox", "inbox", "audit"), shared(source), shared(target)):
        if a_ != b_:
            out.append(f"{what} differs")
    return out


def migrate_storage(source: str | os.PathLike, url: str) -> Moved:
    """Copy the TinyDB installation at ``source`` (its main file) into the database at ``url``.

    Raises StorageError (nothing written to the database) if the source is in use or
    damaged, or the target is not empty; if the copy differs, the database is emptied
    again and the differences are raised."""
    path = Path(source)
    if not path.exists():
        raise StorageError(f"no TinyDB installation at {path}")
    old = TinyDBStorage(path)  # the bot's lock: refuses while a bot runs on these files
    try:
        old.sync()
        data = read_database(path)
        photos = FilePhotos(path.parent / "photos")
        new = PostgresStorage(url)
        try:
            moved = Moved()
            _fill(new, data, photos, moved)
            users = _users_of(data)
            moved.users = len(users)
            moved.differences = compare(old, new, users)
            if moved.differences:
                _empty(new)
                raise StorageError(
                    "the copy differs from the TinyDB data, so the database was emptied again: "
                    + "; ".join(moved.differences[:10])
                )
            return moved
        finally:
            new.close()
    finally:
        old.close()


def _empty(store: PostgresStorage) -> None:
    with store._tx() as cur:
        for table in ("users", "states", "sessions", "assessments", "checkins", "reminders"):
            cur.execute(f"DELETE FROM {table}")
        for table in ("outbox", "inbox", "audit", "photos"):
            cur.execute(f"DELETE FROM {table}")
