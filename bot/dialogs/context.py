"""What every dialog step may reach besides its own conversation: the words, the
interviews, the services, the promises made and the pictures kept in memory.

The engine (bot/dialogs/engine.py) provides it; the steps see it through
``Conversation.dialogs`` as this ``Context``, so no step imports the engine that
imports every step.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from backcare.bot.dialogs.services import Services
from backcare.interview import InterviewRegistry
from backcare.kernel.catalogue import Catalogue


@dataclass(frozen=True)
class Policy:
    """What the consent text promises; the storage must keep it (the bot adapter deletes on time)."""

    data_days: int = 365  # answers and results, counted from the last message
    photo_days: int = 30  # photos, only with the optional consent
    # whether this service keeps photos at all: without it the patient is never asked, so
    # nobody is promised what will not happen. The bot sets it from BACKCARE_KEEP_PHOTOS
    # (bot/app.py; tests/bot/test_journey.py checks it) and the console chat to False;
    # True here is for embedding and tests.
    keep_photos: bool = True


class PictureCache:
    """Annotated pictures per conversation, in memory only (bounded: oldest conversations go first)."""

    def __init__(self, max_sessions: int = 256):
        self.max_sessions = max_sessions
        self._data: OrderedDict[str, dict[str, bytes]] = OrderedDict()

    def put(self, session: str, step: str, jpeg: bytes) -> None:
        self._data.setdefault(session, {})[step] = jpeg
        self._data.move_to_end(session)
        while len(self._data) > self.max_sessions:
            self._data.popitem(last=False)

    def get(self, session: str) -> dict[str, bytes]:
        return dict(self._data.get(session, {}))

    def drop(self, session: str) -> None:
        self._data.pop(session, None)


class Context(Protocol):
    texts: Catalogue
    interviews: InterviewRegistry
    services: Services
    policy: Policy
    pictures: PictureCache
