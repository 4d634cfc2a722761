"""A dialog state stored by the version-1 bot goes on under today's bot: through storage,
the adapter and the dialogs (the states are tests/bot/dialogs/data/state_v1/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.dialogs.state import STATE_VERSION, DialogState
from backcare.interview import InterviewRegistry
from tests.bot.dialogs.conftest import INTERVIEW_PATH, FakeServices
from tests.support.harness import BotHarness
from tests.support.patients import Patient

V1 = Path(__file__).resolve().parent / "dialogs" / "data" / "state_v1"


def stored(name: str) -> dict:
    return json.loads((V1 / f"{name}.json").read_text(encoding="utf-8"))


async def test_a_version_1_state_in_storage_goes_on_with_its_reminders(storage):
    dialogs = Dialogs(FakeServices(), InterviewRegistry(INTERVIEW_PATH))
    async with BotHarness(dialogs, storage) as bot:
        patient = Patient(bot, 7001)
        old = stored("active_invited")
        storage.put_state(patient.id, old)
        await patient.say("/status")
        assert any("program is running" in m.plain for m in patient.messages)
        saved = storage.get_state(patient.id)
        assert saved["v"] == STATE_VERSION  # saved again in today's version
        state = patient.dialog
        assert state.step == "active" and state.session == old["session"]
        assert [r.to_json() for r in state.checkins] == old["checkins"]
        # the plan the version-1 dialogs kept is what the adapter schedules
        reminder = storage.get_reminder(patient.id)
        assert reminder is not None and reminder.plan == old["reminders"]
        assert reminder.next_due > datetime.now(UTC)
        await patient.press(buttons.CHECK_IN)
        await patient.press(buttons.pain(3))
        await patient.press(buttons.days_done(2))
        await patient.press(buttons.SIGNS_NO)
        after = patient.dialog
        assert after.step == "active" and len(after.checkins) == len(old["checkins"]) + 1
        assert storage.checkins(patient.id)[-1] == after.checkins[-1].to_json()


async def test_a_version_1_state_mid_interview_asks_the_same_question_with_its_ticks(storage):
    dialogs = Dialogs(FakeServices(), InterviewRegistry(INTERVIEW_PATH))
    async with BotHarness(dialogs, storage) as bot:
        patient = Patient(bot, 7002)
        old = stored("interview")  # the stored version 1 document on purpose: compared below
        storage.put_state(patient.id, old)
        await patient.say("/status")
        state = DialogState.from_json(storage.get_state(patient.id))
        assert state is not None and state.asked() == old["interview"]["current"]
        assert state.answers() == old["interview"]["answers"]
        assert state.interview.pending == old["interview"]["pending"] != []
        ticked = [label for label in patient.messages[-1].labels if label.startswith("✓ ")]
        assert len(ticked) == len(old["interview"]["pending"])
