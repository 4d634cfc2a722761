"""The bot process killed (SIGKILL) in the middle of conversations: a restart resumes exactly.

The bot runs in a process of its own (tests/reliability/botproc.py: bot.app with
TinyDB on disk, the real dialogs and interview.yaml); this process plays
Telegram and the patient. What Telegram accepted is compared, chat by chat,
with a run of the same script that nothing interrupted.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from backcare.bot.dialogs import buttons
from tests.reliability.live import PATIENT, BotProcess, ProcHarness, delivered, read_database
from tests.support.fake_botapi import FakeBotApi
from tests.support.patients import Patient, dialog_of


@pytest.mark.slow  # three kills and restarts; the random kills below stay in the fast suite
async def test_killed_between_two_steps_a_restart_resumes_exactly_and_repeats_nothing(
    tmp_path, registry, answers, reference, data_file
):
    expected_texts, expected_answers = reference
    # kill points: after the consent, in the middle of a multi-select (one option
    # ticked, not yet done), and between two of the safety questions
    stops = iter([("consent", None), ("ticked", "worse"), ("question", "fever")])
    async with FakeBotApi() as api:
        bot = BotProcess(api, data_file, tmp_path / "bot.log")
        patient = Patient(ProcHarness(api, data_file), PATIENT)
        await bot.start()
        try:

            async def killed_and_restarted() -> None:
                await bot.kill()
                await bot.start()

            kind, at = next(stops)
            await patient.start()
            await patient.consent()
            await killed_and_restarted()
            kind, at = next(stops)
            interview = registry.current
            while patient.step == "interview":
                qid = patient.dialog.asked()
                if qid == at and kind == "question":
                    await killed_and_restarted()
                    kind, at = next(stops, (None, None))
                if qid == at and kind == "ticked":
                    await patient.press(buttons.toggle(qid, answers[qid][0]))
                    await killed_and_restarted()  # the tick must survive
                    for option in answers[qid][1:]:
                        await patient.press(buttons.toggle(qid, option))
                    await patient.press(buttons.done(qid))
                    kind, at = next(stops, (None, None))
                    continue
                await patient.answer(interview, answers[qid])
        finally:
            await bot.stop()
        assert bot.starts == 4, "the bot was killed three times"
        assert kind is None, "every kill point was reached"

        saved = read_database(data_file)
        state = dialog_of(saved["states"][str(PATIENT)])
        assert state.step == "photos"
        assert state.answers() == expected_answers, "no answer lost or changed"
        texts = delivered(api)[PATIENT]
        assert texts == expected_texts, "every message once, in order: none lost, none twice"
        assert saved["inbox"] == {} and saved["outbox"] == {}


async def test_killed_at_any_moment_no_answer_is_lost(
    tmp_path, registry, answers, reference, data_file
):
    """Kills at random moments, even mid-turn: each update is handled exactly once (the
    inbox), every reply arrives (the outbox); only a reply already on its way when the
    process died can come a second time, since Telegram cannot be asked what it got."""
    expected_texts, expected_answers = reference
    rng = random.Random(9)
    async with FakeBotApi() as api:
        bot = BotProcess(api, data_file, tmp_path / "bot.log")
        patient = Patient(ProcHarness(api, data_file), PATIENT)
        await bot.start()
        kills = 0
        try:
            await patient.start()
            await patient.consent()

            async def killer() -> None:
                nonlocal kills
                for _ in range(2):
                    await asyncio.sleep(rng.uniform(0.3, 1.5))
                    await bot.kill()
                    kills += 1
                    await bot.start()

            chaos = asyncio.create_task(killer())
            interview = registry.current
            while patient.step == "interview":
                qid = patient.dialog.asked()
                try:
                    await patient.answer(interview, answers[qid])
                except (TimeoutError, AssertionError):
                    # the button was not there yet (killed before the question went out):
                    # a person would wait for the question, then answer it
                    await patient.settle()
            await chaos
        finally:
            await bot.stop()
        assert kills == 2
        state = dialog_of(read_database(data_file)["states"][str(PATIENT)])
        assert state.answers() == expected_answers
        texts = delivered(api)[PATIENT]
        print(f"{len(texts) - len(expected_texts)} message(s) sent twice after {kills} kills")
        assert _subsequence(expected_texts, texts), "every expected message arrived, in order"
        assert len(texts) - len(expected_texts) <= kills, "at most the one in flight per kill again"


def _subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(item == other for other in it) for item in short)
