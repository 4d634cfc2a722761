"""The core of the PostgreSQL backend: the connection pool and its transactions, which
every role of the contract runs its SQL in (the mixins beside it: ``users``, ``inbox``,
``outbox``, ``reminders``, ``audit``, ``photos``).

Synchronous psycopg 3 with a ``psycopg_pool.ConnectionPool``, on purpose: the
contract (:mod:`backcare.bot.storage.base`) is synchronous and the bot already calls
it from worker threads (``bot.disk_pool``), so a blocking pool fits it as it is; an async
pool behind a sync contract would only add a loop thread and a hop per call.

Transactions: the outermost ``with storage.transaction()`` of a thread takes one
connection from the pool and is one database transaction; nested blocks are
savepoints (a failure inside one undoes only it, as with TinyDB); outside a
transaction each call is its own. ``wait=False`` commits with
``synchronous_commit = off``: in effect at once (every replica sees it), flushed to
disk by PostgreSQL moments later, which is what the contract promises; ``sync()``
then waits for that flush (a synchronous commit flushes the WAL up to itself).

Errors: an unreachable server or an exhausted pool raises :class:`StorageUnavailable`
(nothing was changed; retry later), any other database error
:class:`StorageWriteFailed` (the transaction was rolled back).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool, PoolTimeout

from backcare.bot.storage.errors import StorageError, StorageUnavailable, StorageWriteFailed
from backcare.bot.storage.postgres.migrations import migrate

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


class PostgresCore:
    """A pool of connections to ``url`` (schema migrated at start) and its transactions:
    what every role's mixin works on (:class:`~backcare.bot.storage.postgres.PostgresStorage`
    puts them together).

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
