"""The dialog engine: ``await Dialogs(...).handle(state, event) -> (state, replies)``.

The state is a JSON-serialisable dict and the whole truth about one user's
conversation: the driver saves it after every step and hands it back with the
next event, so a restarted process continues exactly where the user was.
Nothing about users is kept in the engine except annotated pictures, in
memory, until the results have shown them.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from backcare.bot.dialogs import commands
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Event, Reply
from backcare.bot.dialogs.flow import STEP, build_machine
from backcare.bot.dialogs.onboarding import language_from
from backcare.bot.dialogs.services import Services
from backcare.bot.dialogs.texts import default_texts
from backcare.interview import InterviewRegistry
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.languages import DEFAULT

log = logging.getLogger(__name__)

STATE_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


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


def new_state(event: Event, now: datetime) -> dict:
    stamp = now.isoformat(timespec="seconds")
    return {
        "v": STATE_VERSION,
        "step": "consent",
        "language": language_from(event.language),
        "session": uuid.uuid4().hex,
        "created": stamp,
        "updated": stamp,
    }


class Dialogs:
    """One instance serves every user; ``handle`` is safe to run concurrently for different users."""

    def __init__(
        self,
        services: Services,
        interviews: InterviewRegistry,
        clock: Callable[[], datetime] = utcnow,
        *,
        texts: Catalogue | None = None,
        policy: Policy = Policy(),
        pictures: PictureCache | None = None,
    ):
        self.services = services
        self.interviews = interviews
        self.clock = clock
        self.texts = texts or default_texts()
        self.policy = policy
        self.pictures = pictures or PictureCache()
        self.machine = build_machine()

    async def handle(
        self,
        state: dict | None,
        event: Event,
        *,
        early: Callable[[list[Reply]], Awaitable[None]] | None = None,
    ) -> tuple[dict, list[Reply]]:
        """The new state and the replies. ``early``, when given, receives the replies so far before
        slow follow-up work (the analysis) starts, so "Analysing..." shows at once; the returned
        list then holds only the rest."""
        now = self.clock()
        restored = _restore(state)
        fresh = restored is None
        data = new_state(event, now) if restored is None else restored
        before = json.dumps(data)
        conv = Conversation(self, data, now)
        self.machine.add_model(conv, initial=data["step"])
        try:
            if fresh:
                STEP[conv.step].prompt(conv)
            else:
                await self._dispatch(conv, event)
            for name in dict.fromkeys(
                conv.entered
            ):  # follow-up work of the steps entered (the analysis)
                auto = STEP[name].auto
                if auto is not None and conv.step == name:
                    if early is not None and conv.replies:
                        await early(list(conv.replies))
                        conv.replies.clear()
                    await auto(conv)
        except Exception:
            log.exception("dialog step failed in %s on a %s event", data.get("step"), event.kind)
            unchanged = json.loads(before)
            return unchanged, [
                Reply(text=self.texts.get("common.error", unchanged.get("language") or DEFAULT))
            ]
        finally:
            self.machine.remove_model(conv)
        if event.kind != "timer":
            data["updated"] = now.isoformat(timespec="seconds")
        return json.loads(json.dumps(data)), conv.replies

    async def _dispatch(self, conv: Conversation, event: Event) -> None:
        data = event.data or ""
        if event.kind == "start":
            commands.run(conv, "start")
        elif event.kind == "command":
            commands.run(conv, (event.text or "").strip().lstrip("/").split(" ")[0].lower())
        elif event.kind == "timer":
            commands.timer(conv, event.data)
        elif event.kind == "choice" and data.startswith("cmd:"):
            commands.run(conv, data[4:])
        elif event.kind == "choice" and data.startswith("lang:"):
            commands.set_language(conv, data[5:])
        elif event.kind in ("text", "choice", "photo"):
            await STEP[conv.step].handle(conv, event)
        else:
            commands.resume(conv)


def _restore(state: dict | None) -> dict | None:
    """A private copy of a saved state, or None when there is none (or it is unusable)."""
    if not state:
        return None
    try:
        data = json.loads(json.dumps(state))
    except (TypeError, ValueError):
        log.warning("unusable dialog state (not JSON): starting over")
        return None
    if data.get("v") != STATE_VERSION or data.get("step") not in STEP or "language" not in data:
        log.warning(
            "unusable dialog state (version %r, step %r): starting over",
            data.get("v"),
            data.get("step"),
        )
        return None
    data.setdefault("session", uuid.uuid4().hex)
    return data
