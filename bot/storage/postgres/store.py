"""PostgreSQL behind the storage contract: for several bot replicas on one database.

:class:`PostgresStorage` is the roles' mixins (``users``, ``inbox``, ``outbox``,
``reminders``, ``audit``, ``photos``, each over its own tables) on one pool of
connections and its transactions (:mod:`backcare.bot.storage.postgres.core`), with
what spans the roles: erasing a user and the statistics.

Documents (dialog state, sessions, reports, replies, updates) are ``json`` columns,
not ``jsonb``: jsonb reorders keys and refuses U+0000, and the dialogs' dicts come
back as they were written with TinyDB. Photos kept with consent are ``bytea`` rows,
so every replica sees them.
"""

from __future__ import annotations

from backcare.bot.storage.base import Storage
from backcare.bot.storage.postgres.audit import PostgresAudit
from backcare.bot.storage.postgres.inbox import PostgresInbox
from backcare.bot.storage.postgres.outbox import PostgresOutbox
from backcare.bot.storage.postgres.photos import PostgresPhotos
from backcare.bot.storage.postgres.reminders import PostgresReminders
from backcare.bot.storage.postgres.users import PostgresUsers


class PostgresStorage(
    PostgresUsers,
    PostgresInbox,
    PostgresOutbox,
    PostgresReminders,
    PostgresAudit,
    PostgresPhotos,
    Storage,
):
    """``PostgresStorage(url)``: the contract on a PostgreSQL database (schema migrated at start).

    pool_size: connections at most (each thread in a transaction holds one)
    timeout:   seconds to wait for a connection before StorageUnavailable
    """

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
