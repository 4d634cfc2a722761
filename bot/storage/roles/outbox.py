"""The outbox role: replies saved before they are sent, removed once Telegram has them.

A reply is rendered to JSON (never image or file bytes) and saved in the turn that made
it, so a reply lost to a crash between the turn and the send is sent after the restart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from backcare.bot.storage.records import OutboxItem


class Outbox(ABC):
    @abstractmethod
    def enqueue(self, user_id: int, chat_id: int, payloads: list[dict]) -> list[OutboxItem]:
        """Save replies for ``chat_id``, in order; the saved items (with their ids)."""

    @abstractmethod
    def pending(self, user_id: int | None = None) -> list[OutboxItem]:
        """The replies not yet sent (of ``user_id``, or everyone's), in the order saved."""

    @abstractmethod
    def mark_sent(self, item_id: int, wait: bool = True) -> None:
        """Remove a sent reply. wait=False: in effect at once, written moments later."""

    @abstractmethod
    def note_attempt(self, item_id: int, wait: bool = True) -> None:
        """Count one more attempt at sending a reply (nothing if it is gone). wait=False:
        as in ``mark_sent``."""
