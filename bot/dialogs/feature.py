"""What a dialog feature declares, in one place at the end of its module: its steps (the
states of the one machine), its slash commands and the sections of texts.yaml it speaks
from. bot/dialogs/flow.py builds the machine from the features' steps,
bot/dialogs/commands.py the command registry (Telegram's menu, the help text, the
routing) from their commands, and tests/bot/dialogs/test_features.py holds every section
of texts.yaml to exactly one feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Event

Prompt = Callable[[Conversation], None]
Handler = Callable[[Conversation, Event], Awaitable[None]]


def no_back(conv: Conversation) -> bool:
    """For a step with nothing to go back to (/back says so)."""
    return False


@dataclass(frozen=True)
class Step:
    name: str
    prompt: Prompt
    handle: Handler
    # back: True = done, False = impossible here, None = use the machine's "back" transition
    back: Callable[[Conversation], bool | None] | None = None
    resume: Prompt | None = None  # a shorter prompt for /start, /status, a language change
    auto: Callable[[Conversation], Awaitable[None]] | None = None
    timers: bool = False  # scheduled reminders and check-ins act in this step


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[Conversation], None] | None  # None: the adapter runs it (bot/handlers.py)
    menu: bool = True  # listed in Telegram's command menu and the help text
    resume: bool = False  # show where the user is again afterwards


@dataclass(frozen=True)
class Feature:
    name: str
    steps: tuple[Step, ...] = ()
    commands: tuple[Command, ...] = ()
    texts: tuple[str, ...] = ()  # the top-level sections of bot/dialogs/texts.yaml it uses
