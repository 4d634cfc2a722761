"""The reminders role on PostgreSQL: the ``reminders`` table, a row per user (its claim
columns are the replicas' coordination: :mod:`backcare.bot.storage.postgres.coordination`)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from backcare.bot.storage.documents import json_copy
from backcare.bot.storage.postgres.core import PostgresCore, _json
from backcare.bot.storage.records import Reminder, iso
from backcare.bot.storage.roles import Reminders


def _reminder(row: Any) -> Reminder:
    user_id, chat_id, plan, next_due = row
    return Reminder(user_id, chat_id, plan, next_due.astimezone(UTC))


class PostgresReminders(PostgresCore, Reminders):
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
