"""The outbox role on PostgreSQL: the ``outbox`` table, numbered in the order saved."""

from __future__ import annotations

from backcare.bot.storage.documents import json_copy
from backcare.bot.storage.postgres.core import PostgresCore, _json
from backcare.bot.storage.records import OutboxItem, iso, utc_now
from backcare.bot.storage.roles import Outbox


class PostgresOutbox(PostgresCore, Outbox):
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
