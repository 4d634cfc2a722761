"""The inbox role on PostgreSQL: the ``inbox`` table, keyed by update id (which is how
replicas given the same update learn it is known)."""

from __future__ import annotations

from backcare.bot.storage.documents import json_copy
from backcare.bot.storage.postgres.core import PostgresCore, _json
from backcare.bot.storage.roles import Inbox


class PostgresInbox(PostgresCore, Inbox):
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
