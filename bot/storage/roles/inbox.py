"""The inbox role: updates saved when they arrive, before Telegram is told they did.

An update stays until it is handled (``inbox_done``), so one received just before a
crash or a restart is handled after it, and once only: the update id is the key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Inbox(ABC):
    @abstractmethod
    def inbox_add(
        self, update_id: int, user_id: int | None, update: dict, wait: bool = True
    ) -> bool:
        """Save an update; False (and nothing changed) if one with ``update_id`` is kept
        already. ``user_id``: whose update it is (None: no user's), so that erasing a user
        takes theirs. wait=False: in effect at once, written moments later."""

    @abstractmethod
    def inbox_pending(self) -> list[dict]:
        """The updates not yet handled, by update id."""

    @abstractmethod
    def inbox_done(self, update_id: int, wait: bool = True) -> None:
        """Forget a handled update (nothing if unknown). wait=False: as in ``inbox_add``."""
