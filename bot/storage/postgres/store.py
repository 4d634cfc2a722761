"""PostgreSQL behind the storage contract: for several bot replicas on one database.

Synchronous psycopg 3 with a ``psycopg_pool.ConnectionPool``, on purpose: the
contract (:mod:`backcare.bot.storage.base`) is synchronous and the bot already calls
it from worker threads (``bot.db``), so a blocking pool fits it as it is; an async
pool behind a sync contract would only add a loop thread and a hop per call.

Transactions: the outermost ``with storage.transaction()`` of a thread takes one
connection from the pool and is one database transaction; nested blocks are
savepoints (a failure inside one undoes only it, as with TinyDB); outside a
transaction each call is its own. ``wait=False`` commits with
``synchronous_commit = off``: in effect at once (every replica sees it), flushed to
disk by PostgreSQL moments later, which is what the contract promises; ``sync()``
then waits for that flush (a synchronous commit flushes the WAL up to itself).

Documents (dialog state, sessions, reports, replies, updates) are ``json`` columns,
not ``jsonb``: jsonb reorders keys and refuses U+0000, and the dialogs' dicts come
back as they were written with TinyDB. Photos kept with consent are ``bytea`` rows,
so every replica sees them.

Errors: an unreachable server or an exhausted pool raises :class:`StorageUnavailable`
(nothing was changed; retry later), any other database error
:class:`StorageWriteFailed` (the transaction was rolled back).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool, PoolTimeout

from backcare.bot.storage.base import Storage
from backcare.bot.storage.documents import json_copy
from backcare.bot.storage.errors import StorageError, StorageUnavailable, StorageWriteFailed
from backcare.bot.storage.photos import check_name
from backcare.bot.storage.postgres.migrations import migrate
from backcare.bot.storage.records import (
    AuditEntry,
    OutboxItem,
    Reminder,
    UserProfile,
    iso,
    utc_now,
)

log = logging.getLogger(__name__)

Cursor = psycopg.Cursor[Any]


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> Json:
    return Json(value, dumps=_dumps)


def translate(error: BaseException) -> StorageError:
    """The contract's error for a database error."""
    if isinstance(error, StorageError):
        return error
    if isinstance(error, PoolTimeout | psycopg.OperationalError):
        return StorageUnavailable("database unreachable", str(error).strip())
    return StorageWriteFailed(f"change not saved: {str(error).strip()}")


def _reminder(row: Any) -> Reminder:
    user_id, chat_id, plan, next_due = row
    return Reminder(user_id, chat_id, plan, next_due.astimezone(UTC))


class PostgresStorage(Storage):
    """``PostgresStorage(url)``: the contract on a PostgreSQL database (schema migrated at start).

    pool_size: connections at most (each thread in a transaction holds one)
    timeout:   seconds to wait for a connection before StorageUnavailable
    """

    def __init__(
        self, url: str, *, pool_size: int = 10, timeout: float = 10.0, migrate_schema: bool = True
    ) -> None:
        self.url = url
        self._local = threading.local()
        self._async_commits = 0  # commits made with wait=False so far
        self._flushed = 0  # of those, every one up to this is known to be on disk
        self._counter = threading.Lock()
        self._closed = False
        try:
            if migrate_schema:
                with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                    migrate(conn)
            self._pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max(1, pool_size),
                timeout=timeout,
                kwargs={"autocommit": True},
                open=False,
                name="backcare-storage",
            )
            self._pool.open(wait=True, timeout=timeout)
        except psycopg.Error as exc:
            raise translate(exc) from exc
        except PoolTimeout as exc:
            raise translate(exc) from exc

    # -- transactions --------------------------------------------------------------------
    @contextmanager
    def transaction(self, wait: bool = True) -> Iterator[None]:
        with self._tx(wait):
            yield

    @contextmanager
    def _tx(self, wait: bool = True) -> Iterator[Cursor]:
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:  # nested: a savepoint
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield cur
            except psycopg.Error as exc:
                raise translate(exc) from exc
            return
        if self._closed:
            raise StorageError("storage is closed")
        try:
            with self._pool.connection() as conn:
                self._local.conn = conn
                try:
                    with conn.transaction(), conn.cursor() as cur:
                        if not wait:
                            cur.execute("SET LOCAL synchronous_commit = off")
                        yield cur
                finally:
                    self._local.conn = None
        except (psycopg.Error, PoolTimeout) as exc:
            raise translate(exc) from exc
        if not wait:
            with self._counter:
                self._async_commits += 1

    def sync(self) -> None:
        """Every change so far on disk: a synchronous commit flushes the WAL up to itself,
        which holds every earlier commit (also those made with ``synchronous_commit = off``)."""
        with self._counter:
            target = self._async_commits
            if self._flushed >= target:
                return
        with self._tx() as cur:
            cur.execute("SELECT pg_current_xact_id()")  # an xid: the commit is a real one
        with self._counter:
            self._flushed = max(self._flushed, target)

    def ping(self) -> bool:
        """The database answers (for /readyz: a replica without it cannot save a turn)."""
        try:
            with self._tx() as cur:
                cur.execute("SELECT 1")
            return True
        except StorageError:
            return False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()

    # -- users ---------------------------------------------------------------------------
    def get_user(self, user_id: int) -> UserProfile | None:
        doc = self._doc("users", user_id)
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
        self._put_doc("users", profile.user_id, doc)

    def user_ids(self) -> list[int]:
        with self._tx() as cur:
            cur.execute("SELECT user_id FROM users UNION SELECT user_id FROM states ORDER BY 1")
            return [row[0] for row in cur.fetchall()]

    def _doc(self, table: str, user_id: int) -> Any:
        with self._tx() as cur:
            cur.execute(f"SELECT doc FROM {table} WHERE user_id = %s", (user_id,))
            row = cur.fetchone()
        return row[0] if row else None

    def _put_doc(self, table: str, user_id: int, doc: Any) -> None:
        with self._tx() as cur:
            cur.execute(
                f"INSERT INTO {table} (user_id, doc) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET doc = EXCLUDED.doc",
                (user_id, _json(doc)),
            )

    # -- dialog state and session --------------------------------------------------------
    def get_state(self, user_id: int) -> dict | None:
        doc = self._doc("states", user_id)
        return doc if isinstance(doc, dict) else None

    def put_state(self, user_id: int, state: dict) -> None:
        doc = json_copy(state, "dialog state")
        if not isinstance(doc, dict):
            raise StorageError("dialog state must be a JSON object")
        self._put_doc("states", user_id, doc)

    def get_session(self, user_id: int) -> dict:
        return self._doc("sessions", user_id) or {}

    def put_session(self, user_id: int, session: dict) -> None:
        self._put_doc("sessions", user_id, json_copy(session, "session"))

    # -- assessments and check-ins -------------------------------------------------------
    def _append(self, table: str, user_id: int, entry: dict) -> None:
        doc = json_copy(entry, table)
        with self._tx() as cur:
            cur.execute(
                f"INSERT INTO {table} (user_id, created, entry) VALUES (%s, %s, %s)",
                (user_id, iso(utc_now()), _json(doc)),
            )

    def _entries(self, table: str, user_id: int) -> list[dict]:
        with self._tx() as cur:
            cur.execute(f"SELECT entry FROM {table} WHERE user_id = %s ORDER BY id", (user_id,))
            return [row[0] for row in cur.fetchall()]

    def add_assessment(self, user_id: int, summary: dict) -> None:
        self._append("assessments", user_id, summary)

    def assessments(self, user_id: int) -> list[dict]:
        return self._entries("assessments", user_id)

    def add_checkin(self, user_id: int, entry: dict) -> None:
        self._append("checkins", user_id, entry)

    def checkins(self, user_id: int) -> list[dict]:
        return self._entries("checkins", user_id)

    # -- reminders -----------------------------------------------------------------------
    def get_reminder(self, user_id: int) -> Reminder | None:
        with self._tx() as cur:
            cur.execute(
                "SELECT user_id, chat_id, plan, next_due FROM reminders WHERE user_id = %s",
                (user_id,),
            )
            row = cur.fetchone()
        return _reminder(row) if row else None

    def put_reminder(self, reminder: Reminder) -> None:
        plan = json_copy(reminder.plan, "reminder plan")
        iso(reminder.next_due)  # refuses a naive datetime, as every backend does
        with self._tx() as cur:
            # a new due time ends any claim on the old one (bot.replicas)
            cur.execute(
                "INSERT INTO reminders (user_id, chat_id, plan, next_due) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET chat_id = EXCLUDED.chat_id, "
                "plan = EXCLUDED.plan, next_due = EXCLUDED.next_due, "
                "claimed_by = NULL, claimed_until = NULL",
                (reminder.user_id, reminder.chat_id, _json(plan), reminder.next_due),
            )

    def remove_reminder(self, user_id: int) -> None:
        with self._tx() as cur:
            cur.execute("DELETE FROM reminders WHERE user_id = %s", (user_id,))

    def reminders(self) -> list[Reminder]:
        with self._tx() as cur:
            cur.execute("SELECT user_id, chat_id, plan, next_due FROM reminders ORDER BY user_id")
            return [_reminder(row) for row in cur.fetchall()]

    # -- outbox --------------------------------------------------------------------------
    _ITEM = "id, user_id, chat_id, payload, created, attempts"

    def enqueue(self, user_id: int, chat_id: int, payloads: list[dict]) -> list[OutboxItem]:
        docs = [json_copy(p, "reply") for p in payloads]
        created = iso(utc_now())
        items = []
        with self._tx() as cur:
            for doc in docs:
                cur.execute(
                    "INSERT INTO outbox (user_id, chat_id, payload, created) "
                    f"VALUES (%s, %s, %s, %s) RETURNING {self._ITEM}",
                    (user_id, chat_id, _json(doc), created),
                )
                row = cur.fetchone()
                assert row is not None  # RETURNING of a row just inserted
                items.append(OutboxItem(*row))
        return items

    def pending(self, user_id: int | None = None) -> list[OutboxItem]:
        with self._tx() as cur:
            if user_id is None:
                cur.execute(f"SELECT {self._ITEM} FROM outbox ORDER BY id")
            else:
                cur.execute(
                    f"SELECT {self._ITEM} FROM outbox WHERE user_id = %s ORDER BY id", (user_id,)
                )
            return [OutboxItem(*row) for row in cur.fetchall()]

    def mark_sent(self, item_id: int, wait: bool = True) -> None:
        with self._tx(wait) as cur:
            cur.execute("DELETE FROM outbox WHERE id = %s", (item_id,))

    def note_attempt(self, item_id: int, wait: bool = True) -> None:
        with self._tx(wait) as cur:
            cur.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = %s", (item_id,))

    # -- inbox ---------------------------------------------------------------------------
    def inbox_add(
        self, update_id: int, user_id: int | None, update: dict, wait: bool = True
    ) -> bool:
        doc = json_copy(update, "update")
        with self._tx(wait) as cur:
            # ON CONFLICT: a second replica given the same update learns it is known
            cur.execute(
                "INSERT INTO inbox (update_id, user_id, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (update_id) DO NOTHING",
                (update_id, user_id, _json(doc)),
            )
            return cur.rowcount == 1

    def inbox_pending(self) -> list[dict]:
        with self._tx() as cur:
            cur.execute("SELECT body FROM inbox ORDER BY update_id")
            return [row[0] for row in cur.fetchall()]

    def inbox_done(self, update_id: int, wait: bool = True) -> None:
        with self._tx(wait) as cur:
            cur.execute("DELETE FROM inbox WHERE update_id = %s", (update_id,))

    # -- audit ---------------------------------------------------------------------------
    def audit(
        self, admin_id: int, action: str, detail: str = "", when: datetime | None = None
    ) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO audit (time, admin_id, action, detail) VALUES (%s, %s, %s, %s)",
                (iso(when or utc_now()), int(admin_id), str(action), str(detail)),
            )

    def audit_log(self) -> list[AuditEntry]:
        with self._tx() as cur:
            cur.execute("SELECT time, admin_id, action, detail FROM audit ORDER BY id")
            return [AuditEntry(*row) for row in cur.fetchall()]

    # -- photos --------------------------------------------------------------------------
    def save_photo(self, user_id: int, name: str, data: bytes) -> str:
        check_name(name)
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO photos (user_id, name, data) VALUES (%s, %s, %s) "
                "ON CONFLICT (user_id, name) DO UPDATE SET data = EXCLUDED.data",
                (user_id, name, bytes(data)),
            )
        return name

    def photos(self, user_id: int) -> list[str]:
        with self._tx() as cur:
            cur.execute("SELECT name FROM photos WHERE user_id = %s ORDER BY name", (user_id,))
            return [row[0] for row in cur.fetchall()]

    def load_photo(self, user_id: int, name: str) -> bytes:
        check_name(name)
        with self._tx() as cur:
            cur.execute("SELECT data FROM photos WHERE user_id = %s AND name = %s", (user_id, name))
            row = cur.fetchone()
        if row is None:
            raise StorageError(f"no photo {name!r} for this user")
        return bytes(row[0])

    def delete_photo(self, user_id: int, name: str) -> None:
        check_name(name)
        with self._tx() as cur:
            cur.execute("DELETE FROM photos WHERE user_id = %s AND name = %s", (user_id, name))

    # -- privacy and statistics ----------------------------------------------------------
    _USER_TABLES = (
        "users",
        "states",
        "sessions",
        "assessments",
        "checkins",
        "reminders",
        "outbox",
        "inbox",
        "photos",
    )

    def delete_user(self, user_id: int) -> None:
        """Every row of the user goes in one transaction. Backups are the operator's
        (pg_dump): docs/DEPLOY.md says how long they are kept and how an erase reaches them."""
        with self._tx() as cur:
            for table in self._USER_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE user_id = %s", (user_id,))

    def stats(self) -> dict[str, int]:
        with self._tx() as cur:
            cur.execute(
                "SELECT"
                " (SELECT count(*) FROM (SELECT user_id FROM users"
                "   UNION SELECT user_id FROM states) u),"
                " (SELECT count(DISTINCT user_id) FROM assessments),"
                " (SELECT count(*) FROM assessments),"
                " (SELECT count(*) FROM checkins),"
                " (SELECT count(*) FROM reminders"  # the plan's "active" as Python reads it
                "   WHERE coalesce(plan->>'active', 'true') NOT IN ('false', '0', '', 'null')),"
                " (SELECT count(*) FROM outbox),"
                " (SELECT count(DISTINCT user_id) FROM photos)"
            )
            row = cur.fetchone()
        assert row is not None  # a SELECT without FROM always has its one row
        names = (
            "users",
            "users_assessed",
            "assessments",
            "checkins",
            "reminders_active",
            "outbox_pending",
            "users_with_photos",
        )
        return {name: int(value) for name, value in zip(names, row)}
