"""Log levels as documented: the bot at INFO unless told otherwise, other libraries at WARNING
unless the level is DEBUG, and never the loggers that would write tokens or patients' words.

README (BACKCARE_LOG_LEVEL), `backcare --help` (--log-level) and what `backcare bot` does
(bot.app.run calls setup_logging) must say the same thing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from backcare.application.cli import parser
from backcare.bot.app import setup_logging
from backcare.bot.dialogs import buttons
from backcare.kernel import logs

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = ("transitions", "telegram", "aiohttp")
# apscheduler names jobs by the patient's Telegram id
NEVER_VERBOSE = (
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.request",
    "apscheduler",
)


@pytest.fixture(autouse=True)
def restore_logging(monkeypatch):
    root = logging.getLogger()
    saved = (
        root.level,
        list(root.handlers),
        {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict},
        logs.LEVEL,
    )
    monkeypatch.delenv("BACKCARE_LOG_LEVEL", raising=False)
    yield
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
    for name in (*LIBRARIES, *NEVER_VERBOSE):
        if name not in saved[2]:
            logging.getLogger(name).setLevel(logging.NOTSET)
    logs.LEVEL = saved[3]


def level(name: str) -> int:
    return logging.getLogger(name).getEffectiveLevel()


def test_the_bot_logs_at_info_by_default_and_libraries_at_warning():
    logs.LEVEL = None
    setup_logging()  # as bot.app.run does
    assert level("backcare") == logging.INFO
    for name in (*LIBRARIES, *NEVER_VERBOSE, "transitions.core", "telegram.ext.JobQueue"):
        assert level(name) == logging.WARNING, name


def test_debug_lets_the_libraries_speak_but_not_the_ones_that_leak(monkeypatch):
    monkeypatch.setenv("BACKCARE_LOG_LEVEL", "DEBUG")
    logs.LEVEL = None
    setup_logging()
    assert level("backcare") == logging.DEBUG
    for name in LIBRARIES:
        assert level(name) == logging.DEBUG, name
    for name in NEVER_VERBOSE:
        assert level(name) == logging.WARNING, name
    assert level("telegram.ext.Application") == logging.INFO, "whole updates never logged"


def test_the_command_lines_level_is_the_one_the_bot_keeps():
    logs.setup("WARNING")  # backcare --log-level WARNING bot
    setup_logging()  # then bot.app.run
    assert level("backcare") == logging.WARNING


def test_the_state_machine_says_nothing_at_info():
    """A conversation's steps go through the transitions library: none of it at INFO."""
    import asyncio

    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.dialogs.events import Event
    from backcare.interview import InterviewRegistry
    from tests.reliability.live import INTERVIEW, NoPhotos

    logs.LEVEL = None
    setup_logging()
    kept = Kept()
    logging.getLogger().addHandler(kept)  # after the set-up, which replaces the root's handlers
    dialogs = Dialogs(services=NoPhotos(), interviews=InterviewRegistry(INTERVIEW))

    async def journey() -> None:
        state, _ = await dialogs.handle(None, Event("start"))
        pressed = (buttons.CONSENT_YES, buttons.DELETE_PHOTOS, buttons.command("back"))
        for value in (b.data for b in (*pressed, buttons.DELETE_PHOTOS)):
            state, _ = await dialogs.handle(state, Event("choice", data=value))

    asyncio.run(journey())
    assert [r for r in kept.records if r.name.startswith("transitions")] == []


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_help_readme_and_behaviour_agree():
    option = next(a for a in parser()._actions if "--log-level" in a.option_strings)
    assert "INFO for 'bot'" in option.help and "WARNING for the other commands" in option.help
    row = next(
        line
        for line in (REPO / "README.md").read_text().splitlines()
        if "BACKCARE_LOG_LEVEL" in line
    )
    assert "`INFO` (bot)" in row and "`WARNING` (CLI)" in row
