"""The storage interface: what the bot keeps about users, behind one contract.

The contract is split by role (:mod:`backcare.bot.storage.roles`: users, inbox,
outbox, reminders, audit, photos); ``Storage`` is all of them together plus what
spans them: erasing and exporting a user, statistics, transactions, sync and close.

Every method is synchronous and thread-safe; the bot calls them from a worker
thread so disk writes never stall the event loop. Changes made inside
``with storage.transaction():`` become durable together when the outermost
block exits (one write); outside a transaction every call is its own.
A backend must make each transaction all-or-nothing on disk.
"""

from __future__ import annotations

from abc import abstractmethod
from contextlib import AbstractContextManager

from backcare.bot.storage.records import iso, utc_now
from backcare.bot.storage.roles import Audit, Inbox, Outbox, Photos, Reminders, Users

FORMAT = 1  # the single-file layout (also that of exports and backups)


class Storage(Users, Inbox, Outbox, Reminders, Audit, Photos):
    # -- across the roles: privacy and statistics ----------------------------------
    @abstractmethod
    def delete_user(self, user_id: int) -> None:
        """Erase every trace of the user, backups included: everything of theirs in every
        role (also their replies in the outbox and updates in the inbox), photos too."""

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
    def transaction(self, wait: bool = True) -> AbstractContextManager[None]:
        """All-or-nothing changes, durable together when the outermost block exits.
        wait=False: in effect at once, on disk moments later."""

    @abstractmethod
    def sync(self) -> None:
        """Wait until every change made so far (also those made with wait=False) is on disk."""

    @abstractmethod
    def close(self) -> None: ...
