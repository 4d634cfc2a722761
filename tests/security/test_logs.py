"""No personal data in the logs: a whole journey with distinctive answers, then a scan.

Logs are configured as `backcare bot` configures them (bot.app.setup_logging, at
its most verbose level, DEBUG), every record of the run is kept, and none may contain
what identifies the patient or what they told us: their Telegram id, their name,
their free-text and mistyped answers, their file names, the bot token. Patients
appear in logs as a keyed pseudonym (backcare.kernel.logs.pseudonym) only.
"""

from __future__ import annotations

import logging
import traceback

import pytest

from backcare.application.pipeline import Pipeline
from backcare.bot.app import setup_logging
from backcare.bot.dialogs import buttons
from backcare.kernel import logs
from tests.reliability.live import STANDING_SIDE, live_bot
from tests.support.fake_botapi import TOKEN, Fault
from tests.support.patients import Patient

PATIENT, ADMIN = 987654321012, 4242
NAME = "Xavierqz"
NOTE = "my secret note: KIDNEY-STONE-7731 <b>shy</b>"
TYPO = "PRIVATE-TYPO-4451"
FILE = "Xavierqz-bedroom-mirror.jpg"
SECRETS = [
    str(PATIENT),
    NAME,
    "KIDNEY-STONE-7731",
    TYPO,
    "bedroom-mirror",
    TOKEN,
    "Asia/Kolkata-typed",
]

# Photo steps get real vision (its logs are part of the run)
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for record in self.records:
            text = record.getMessage()
            if record.exc_info:
                text += "".join(traceback.format_exception(*record.exc_info))
            if record.stack_info:
                text += record.stack_info
            out.append(text)
        return out


@pytest.fixture
def production_logs(monkeypatch):
    """Logging set up as the bot does it, at DEBUG, plus a handler that keeps every record."""
    root = logging.getLogger()
    saved = (
        root.level,
        list(root.handlers),
        {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict},
    )
    monkeypatch.setenv("BACKCARE_LOG_KEY", "test-installation-key")
    monkeypatch.setattr(logs, "_KEY", None)
    setup_logging("DEBUG")
    kept = Kept()
    root.addHandler(kept)
    yield kept
    root.removeHandler(kept)
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
def pipeline():
    from backcare.vision.pool import PoseService

    service = PoseService(workers=1, timeout_s=60)
    yield Pipeline(service)
    service.close()


class FlakyReports:
    """The real pipeline, whose first report fails (so the failure path logs too)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline, self.failed = pipeline, False

    async def analyse_photo(self, data, step, filename=None):
        return await self.pipeline.analyse_photo(data, step, filename)

    async def build_report(self, result, photos, language):
        if not self.failed:
            self.failed = True
            raise RuntimeError("the solver ran out of time")
        return await self.pipeline.build_report(result, photos, language)


async def test_a_whole_journey_leaves_no_personal_data_in_the_logs(
    production_logs, pipeline, registry, answers, data_file
):
    async with live_bot(
        data_file,
        registry,
        FlakyReports(pipeline),
        admins=frozenset({ADMIN}),
        config={"keep_photos": True},
    ) as bot:
        patient = Patient(bot, PATIENT, name=NAME)
        await patient.start()
        await patient.press(buttons.CONSENT_YES)
        await patient.press(buttons.KEEP_PHOTOS)
        await patient.say(TYPO)  # refused: not an age
        await patient.interview(registry.current, {**answers, "notes": NOTE})
        assert patient.dialog.answers()["notes"] == NOTE
        bot.api.faults.append(Fault("sendMessage", 502))  # a network error on the way
        await patient.send_file(STANDING_SIDE.read_bytes(), FILE)
        await patient.send_file(b"\xff\xd8 broken " + NAME.encode(), FILE)
        while patient.step == "photos":
            await patient.press(buttons.PHOTO_SKIP)
        if patient.step == "analysis":  # the first report failed
            await patient.press_label("Try again")
        assert patient.step == "results", patient.transcript()
        await patient.press(buttons.REMINDERS_SET)
        await patient.press(buttons.ALL_DAYS)
        await patient.press(buttons.DAYS_DONE)
        await patient.say("07:45")
        await patient.say("Asia/Kolkata-typed")  # refused: not a time zone
        await patient.say("Asia/Tokyo")
        assert patient.step == "active"
        bot.api.press(patient.user, patient.messages[-1], data=f"k{NAME}.0")  # forged button
        for command in ("/status", "/export", "/progress", f"/start {NAME}", "/admin_stats"):
            await patient.say(command)
        await Patient(bot, ADMIN).say("/admin_stats")
        await patient.say("/delete")
        await patient.press_label("Yes, erase everything")

    texts = production_logs.texts()
    assert len(texts) > 20, "the run was logged (something to scan)"
    leaks = sorted(
        {
            (record.name, record.levelname, secret)
            for record, text in zip(production_logs.records, texts)
            for secret in SECRETS
            if secret in text
        }
    )
    assert leaks == [], leaks
    assert any(logs.pseudonym(PATIENT) in text for text in texts), "patients appear as pseudonyms"


def test_the_libraries_that_log_updates_requests_and_replies_are_kept_quiet():
    """PTB logs every update (DEBUG) and every API reply (DEBUG), httpx every URL with the
    token in it (INFO): even with the bot at DEBUG, none of that is written."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    names = (
        "telegram.ext.Application",
        "telegram.ext.Updater",
        "telegram.ext.ExtBot",
        "httpx",
        "httpcore",
        "apscheduler",
    )
    try:
        setup_logging("DEBUG")
        levels = {name: logging.getLogger(name).getEffectiveLevel() for name in names}
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
        for name in names:
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert levels["telegram.ext.Application"] >= logging.INFO
    assert levels["telegram.ext.Updater"] >= logging.INFO
    assert all(levels[name] >= logging.WARNING for name in names[2:]), levels
