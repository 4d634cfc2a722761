"""The storage interface: what the bot keeps about users, behind one small contract.

Every method is synchronous and thread-safe; the bot calls them from a worker
thread so disk writes never stall the event loop. Changes made inside
``with storage.transaction():`` become durable together when the outermost
block exits (one write); outside a transaction every call is its own.
A backend must make each transaction all-or-nothing on disk.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from datetime import datetime

from backcare.bot.storage.records import AuditEntry, OutboxItem, Reminder, UserProfile, iso, utc_now

FORMAT = 1  # the single-file layout (also that of exports and backups)


class Storage(ABC):
    # -- users ---------------------------------------------------------------------
    @abstractmethod
    def get_user(self, user_id: int) -> UserProfile | None: ...

    @abstractmethod
    def put_user(self, profile: UserProfile) -> None: ...

    @abstractmethod
    def user_ids(self) -> list[int]: ...

    # -- dialog state (the JSON dict the dialogs return) ---------------------------
    @abstractmethod
    def get_state(self, user_id: int) -> dict | None: ...

    @abstractmethod
    def put_state(self, user_id: int, state: dict) -> None: ...

    # -- the adapter's own per-user bookkeeping (last update, offered buttons) -----
    @abstractmethod
    def get_session(self, user_id: int) -> dict: ...

    @abstractmethod
    def put_session(self, user_id: int, session: dict) -> None: ...

    # -- assessments (report summaries) and check-ins ------------------------------
    @abstractmethod
    def add_assessment(self, user_id: int, summary: dict) -> None: ...

    @abstractmethod
    def assessments(self, user_id: int) -> list[dict]: ...

    @abstractmethod
    def add_checkin(self, user_id: int, entry: dict) -> None: ...

    @abstractmethod
    def checkins(self, user_id: int) -> list[dict]: ...

    # -- reminders -----------------------------------------------------------------
    @abstractmethod
    def get_reminder(self, user_id: int) -> Reminder | None: ...

    @abstractmethod
    def put_reminder(self, reminder: Reminder) -> None: ...

    @abstractmethod
    def remove_reminder(self, user_id: int) -> None: ...

    @abstractmethod
    def reminders(self) -> list[Reminder]: ...

    # -- outbox: replies saved before sending --------------------------------------
    @abstractmethod
    def enqueue(self, user_id: int, chat_id: int, payloads: list[dict]) -> list[OutboxItem]: ...

    @abstractmethod
    def pending(self, user_id: int | None = None) -> list[OutboxItem]: ...

    @abstractmethod
    def mark_sent(self, item_id: int, wait: bool = True) -> None:
        """Remove a sent reply. wait=False: in effect at once, written moments later."""

    @abstractmethod
    def note_attempt(self, item_id: int, wait: bool = True) -> None: ...

    # -- inbox: updates received but not yet handled -------------------------------
    @abstractmethod
    def inbox_add(
        self, update_id: int, user_id: int | None, update: dict, wait: bool = True
    ) -> bool: ...

    @abstractmethod
    def inbox_pending(self) -> list[dict]: ...

    @abstractmethod
    def inbox_done(self, update_id: int, wait: bool = True) -> None: ...

    # -- audit of admin actions ----------------------------------------------------
    @abstractmethod
    def audit(
        self, admin_id: int, action: str, detail: str = "", when: datetime | None = None
    ) -> None: ...

    @abstractmethod
    def audit_log(self) -> list[AuditEntry]: ...

    # -- photos kept with consent --------------------------------------------------
    @abstractmethod
    def save_photo(self, user_id: int, name: str, data: bytes) -> str: ...

    @abstractmethod
    def photos(self, user_id: int) -> list[str]: ...

    @abstractmethod
    def load_photo(self, user_id: int, name: str) -> bytes: ...

    @abstractmethod
    def delete_photo(self, user_id: int, name: str) -> None: ...

    # -- privacy -------------------------------------------------------------------
    @abstractmethod
    def delete_user(self, user_id: int) -> None:
        """Erase every trace of the user, backups included."""

    def export_user(self, user_id: int) -> dict:
        """Everything kept about the user, as JSON-safe data, read as one consistent picture."""
        with self.transaction():
            profile = self.get_user(user_id)
            reminder = self.get_reminder(user_id)
            return {
                "format": FORMAT,
                "exported": iso(utc_now()),
                "user_id": user_id,
                "profile": None
                if profile is None
                else {
                    "language": profile.language,
                    "tz": profile.tz,
                    "consents": profile.consents,
                    "created": profile.created,
                },
                "dialog_state": self.get_state(user_id),
                "assessments": self.assessments(user_id),
                "checkins": self.checkins(user_id),
                "reminder": None
                if reminder is None
                else {"plan": reminder.plan, "next_due": iso(reminder.next_due)},
                "photos": self.photos(user_id),
            }

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """Anonymous counts for admins."""

    # -- lifecycle -----------------------------------------------------------------
    @abstractmethod
    def transaction(self, wait: bool = True) -> AbstractContextManager[None]: ...

    @abstractmethod
    def sync(self) -> None:
        """Wait until every change made so far (also those made with wait=False) is on disk."""

    @abstractmethod
    def close(self) -> None: ...
