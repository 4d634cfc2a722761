"""The reminders role on documents: one document per user, in the user's partition."""

from __future__ import annotations

from backcare.bot.storage.documents.core import DocumentCore, json_copy
from backcare.bot.storage.records import Reminder, iso, parse_iso
from backcare.bot.storage.roles import Reminders


class DocumentReminders(DocumentCore, Reminders):
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
            doc = self._get("reminders", user_id, user_id)
        return self._reminder(user_id, doc) if doc else None

    def put_reminder(self, reminder: Reminder) -> None:
        doc = {
            "chat_id": reminder.chat_id,
            "plan": json_copy(reminder.plan, "reminder plan"),
            "next_due": iso(reminder.next_due),
        }
        with self.transaction():
            self._set("reminders", reminder.user_id, doc, reminder.user_id)

    def remove_reminder(self, user_id: int) -> None:
        with self.transaction():
            self._set("reminders", user_id, None, user_id)

    def reminders(self) -> list[Reminder]:
        out = []
        for uid, data in self._user_partitions():
            doc = data.get("reminders", {}).get(str(uid))
            if doc is not None:
                out.append(self._reminder(uid, doc))
        return out
