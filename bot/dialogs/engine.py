"""The dialog engine: ``await Dialogs(...).advance(state, event) -> (state, replies)``.

The state (bot/dialogs/state.py: typed, versioned, stored as a JSON document) is the
whole truth about one user's conversation: the driver saves it after every step and
hands it back with the next event, so a restarted process continues exactly where the
user was. Drivers that keep the JSON document use ``handle`` (document in, document out).
Nothing about users is kept in the engine except annotated pictures, in
memory, until the results have shown them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from backcare.bot.dialogs import buttons, commands
from backcare.bot.dialogs.context import PictureCache, Policy
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Event, Reply
from backcare.bot.dialogs.flow import STEP, build_machine
from backcare.bot.dialogs.onboarding import language_from
from backcare.bot.dialogs.services import Services
from backcare.bot.dialogs.state import JSON, STATE_VERSION, DialogState
from backcare.bot.dialogs.texts import default_texts
from backcare.interview import InterviewRegistry
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.languages import DEFAULT

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_state(event: Event, now: datetime) -> DialogState:
    return DialogState.new(language_from(event.language), now)


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
        state: DialogState | Mapping[str, Any] | None,
        event: Event,
        *,
        early: Callable[[list[Reply]], Awaitable[None]] | None = None,
    ) -> tuple[JSON, list[Reply]]:
        """The new state as the JSON document storage keeps, and the replies: for drivers
        that keep the document (the Telegram adapter, the console). A stored document of an
        older version is migrated (bot/dialogs/state.py); one that cannot be used starts over."""
        typed = state if isinstance(state, DialogState) else DialogState.from_json(state)
        after, replies = await self.advance(typed, event, early=early)
        return after.to_json(), replies

    async def advance(
        self,
        state: DialogState | None,
        event: Event,
        *,
        early: Callable[[list[Reply]], Awaitable[None]] | None = None,
    ) -> tuple[DialogState, list[Reply]]:
        """The new state and the replies (``state`` itself is left as it was). ``early``, when
        given, receives the replies so far before slow follow-up work (the analysis) starts,
        so "Analysing..." shows at once; the returned list then holds only the rest."""
        now = self.clock()
        restored = _usable(state)
        fresh = restored is None
        data = new_state(event, now) if restored is None else restored
        before = data.copy()
        conv = Conversation(self, data, now)
        self.machine.add_model(conv, initial=data.step)
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
            log.exception("dialog step failed in %s on a %s event", before.step, event.kind)
            return before, [Reply(text=self.texts.get("common.error", before.language or DEFAULT))]
        finally:
            self.machine.remove_model(conv)
        if event.kind != "timer":
            data.updated = now.isoformat(timespec="seconds")
        return data, conv.replies

    async def _dispatch(self, conv: Conversation, event: Event) -> None:
        pressed = buttons.pressed(event)
        if event.kind == "start":
            commands.run(conv, "start")
        elif event.kind == "command":
            commands.run(conv, (event.text or "").strip().lstrip("/").split(" ")[0].lower())
        elif event.kind == "timer":
            commands.timer(conv, event.data)
        elif pressed is not None and pressed.kind == "cmd":
            commands.run(conv, pressed.arg)
        elif pressed is not None and pressed.kind == "lang":
            commands.set_language(conv, pressed.arg)
        elif event.kind in ("text", "choice", "photo"):
            await STEP[conv.step].handle(conv, event)
        else:
            commands.resume(conv)


def _usable(state: DialogState | None) -> DialogState | None:
    """A private copy of a state the flow can continue, or None."""
    if state is None:
        return None
    if state.step not in STEP:
        log.warning("unusable dialog state (step %r): starting over", state.step)
        return None
    return state.copy()


def restore(state: Mapping[str, Any] | None) -> DialogState | None:
    """The state a stored document holds, if the dialogs can continue it (else None)."""
    return _usable(DialogState.from_json(state))


__all__ = ["STATE_VERSION", "Dialogs", "PictureCache", "Policy", "new_state", "restore"]
