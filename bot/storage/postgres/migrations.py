"""Versioned schema migrations: ``migrations/NNNN_name.sql``, applied in order at start.

``schema_version`` records each migration applied (number, name, when). Every
replica calls :func:`migrate` as it starts; the whole check-and-apply runs under a
session advisory lock, so two replicas starting at once never migrate together:
the second waits, then finds nothing left to do. Each migration runs in its own
transaction with its ``schema_version`` row, so a failing one leaves the schema
as the previous one left it. A database migrated by a newer version of backcare
(a number this one does not know) is refused rather than used half-understood.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from backcare.bot.storage.errors import StorageError

log = logging.getLogger(__name__)

# Advisory lock keys of the storage itself are negative: users' locks are their (positive) ids.
MIGRATION_LOCK = -0x6263_0001
_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """The migrations shipped with this version, in order (checked: numbered 1, 2, ...)."""
    folder = resources.files("backcare.bot.storage.postgres") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if not found:  # an installation without its package data would start on no tables
        raise StorageError(
            f"no schema migrations found in {folder}: the installation is incomplete"
        )
    numbers = [m.version for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise StorageError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return found


def applied(conn: psycopg.Connection) -> list[int]:
    """Versions recorded in ``schema_version`` (empty for a new database)."""
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]


def migrate(conn: psycopg.Connection, upto: int | None = None) -> list[int]:
    """Apply what is missing (up to ``upto``, default all); returns the versions applied.

    ``conn`` must be in autocommit mode (each migration is its own transaction)."""
    wanted = [m for m in available() if upto is None or m.version <= upto]
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = set(applied(conn))
        known = {m.version for m in available()}
        newer = sorted(done - known)
        if newer:
            raise StorageError(
                f"the database has schema version {max(done)}, newer than this backcare knows "
                f"({max(known)}): upgrade backcare on this machine before starting it"
            )
        ran: list[int] = []
        for m in wanted:
            if m.version in done:
                continue
            try:
                with conn.transaction():
                    conn.execute(m.sql.encode())  # bytes: several statements, no parameters
                    conn.execute(
                        "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                        (m.version, m.name),
                    )
            except psycopg.Error as exc:
                raise StorageError(
                    f"migration {m.version:04d}_{m.name}.sql failed and was rolled back "
                    f"(the schema stays at version {max(done | set(ran), default=0)}): {exc}"
                ) from exc
            log.info("database migrated to schema version %d (%s)", m.version, m.name)
            ran.append(m.version)
        return ran
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
