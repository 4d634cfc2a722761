"""What several bot replicas on one PostgreSQL database agree on, through the database.

- **A user's turn, one at a time, in order** (:meth:`Coordination.user_lock`): a
  session advisory lock keyed by the user id, held on a connection of an async pool
  for the whole turn (photo analysis included), so no other replica starts a turn of
  that user meanwhile; with the user's dedup ids saved in the turn's transaction
  (bot.dedup), an update delivered to two replicas is handled once. Before its turn
  starts, an update waits while an earlier update of the same user is still in the
  inbox (bot.locks), so the user's updates are handled in order.
  A replica that dies loses its connection, and PostgreSQL releases its locks at once.
- **Who polls Telegram** (:meth:`Coordination.take_lease`): a lease row renewed every
  few seconds; when its holder dies it lapses and another replica takes it.
- **Reminders due** (:meth:`Coordination.claim_due`): a replica claims what is due
  for a minute; the claim ends when the reminder is saved with its next due time, and
  lapses if the replica dies before, so another one fires it.
- **Updates left behind** (:meth:`Coordination.orphaned_updates`): inbox entries older
  than a bound whose user nobody holds: the replica that took them died mid-turn.

Async (psycopg's ``AsyncConnectionPool``), unlike the storage: these waits last as long
as a turn, and holding a worker thread for each would starve the storage's threads.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)


def replica_name() -> str:
    """This process, recognisably (host, pid) and uniquely (a restart is a new replica)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Held:
    """A user's lock, held: it can tell whether an earlier update of the user still waits."""

    def __init__(self, conn: psycopg.AsyncConnection, user_id: int) -> None:
        self._conn = conn
        self.user_id = user_id

    async def earlier_waiting(self, update_id: int) -> list[dict]:
        """The user's updates before ``update_id`` still in the inbox (oldest first)."""
        cur = await self._conn.execute(
            "SELECT body FROM inbox WHERE user_id = %s AND update_id < %s"
            " ORDER BY update_id LIMIT 20",
            (self.user_id, update_id),
        )
        return [row[0] for row in await cur.fetchall()]


class Coordination:
    """``Coordination(url)``; ``await open()`` before use, ``await close()`` at the end.

    max_turns: connections at most, i.e. users whose turns run at once on this replica
    """

    def __init__(self, url: str, *, name: str | None = None, max_turns: int = 40) -> None:
        self.name = name or replica_name()
        self._pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_turns,
            kwargs={"autocommit": True},
            open=False,
            name="backcare-coordination",
        )

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=10.0)

    async def close(self) -> None:
        await self._pool.close()

    # -- one turn per user ---------------------------------------------------------------
    @asynccontextmanager
    async def user_lock(self, user_id: int) -> AsyncIterator[Held]:
        """The user's lock across replicas, held until the block ends (or this replica dies)."""
        async with self._pool.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (user_id,))
            try:
                yield Held(conn, user_id)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (user_id,))

    # -- the polling lease ---------------------------------------------------------------
    async def take_lease(self, lease: str, ttl: float) -> bool:
        """Take or renew ``lease`` for ``ttl`` seconds; False while another replica holds it."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO leases (name, holder, until)"
                " VALUES (%s, %s, now() + %s * interval '1 second')"
                " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder,"
                " until = EXCLUDED.until"
                " WHERE leases.holder = EXCLUDED.holder OR leases.until < now()"
                " RETURNING holder",
                (lease, self.name, ttl),
            )
            return await cur.fetchone() is not None

    async def release_lease(self, lease: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "DELETE FROM leases WHERE name = %s AND holder = %s", (lease, self.name)
            )

    async def lease_holder(self, lease: str) -> str | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT holder FROM leases WHERE name = %s AND until >= now()", (lease,)
            )
            row = await cur.fetchone()
            return row[0] if row else None

    # -- reminders due ---------------------------------------------------------------------
    async def claim_due(self, hold: float = 60.0, limit: int = 100) -> list[int]:
        """Users whose reminder is due and unclaimed (or whose claim lapsed), now claimed by
        this replica for ``hold`` seconds; saving the next due time ends the claim."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE reminders SET claimed_by = %s,"
                " claimed_until = now() + %s * interval '1 second'"
                " WHERE user_id IN (SELECT user_id FROM reminders WHERE next_due <= now()"
                "  AND (claimed_until IS NULL OR claimed_until < now())"
                "  ORDER BY next_due LIMIT %s FOR UPDATE SKIP LOCKED)"
                " RETURNING user_id",
                (self.name, hold, limit),
            )
            return sorted(row[0] for row in await cur.fetchall())

    # -- updates left behind ---------------------------------------------------------------
    async def orphaned_updates(self, older_than: float = 30.0, limit: int = 200) -> list[dict]:
        """Inbox entries older than ``older_than`` seconds whose user no replica holds now."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT user_id, body FROM inbox"
                " WHERE received < now() - %s * interval '1 second'"
                " ORDER BY update_id LIMIT %s",
                (older_than, limit),
            )
            rows: list[Any] = await cur.fetchall()
            free: dict[int | None, bool] = {}
            out = []
            for user_id, body in rows:
                if user_id not in free:
                    free[user_id] = user_id is None or await self._free(conn, user_id)
                if free[user_id]:
                    out.append(body)
            return out

    @staticmethod
    async def _free(conn: psycopg.AsyncConnection, user_id: int) -> bool:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (user_id,))
        row = await cur.fetchone()
        if row and row[0]:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (user_id,))
            return True
        return False
