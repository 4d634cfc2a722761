"""The reminders role: each user's reminder plan and when it fires next (one per user)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from backcare.bot.storage.records import Reminder


class Reminders(ABC):
    @abstractmethod
    def get_reminder(self, user_id: int) -> Reminder | None:
        """The user's reminder, or None."""

    @abstractmethod
    def put_reminder(self, reminder: Reminder) -> None:
        """Set the user's reminder (replacing theirs); ValueError for a naive ``next_due``."""

    @abstractmethod
    def remove_reminder(self, user_id: int) -> None:
        """The user has no reminder any more (nothing if they had none)."""

    @abstractmethod
    def reminders(self) -> list[Reminder]:
        """Every user's reminder, by user id (to schedule them again at start)."""
