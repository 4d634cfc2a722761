"""Red-flag triage through the real bot: scripted patients on the fake Telegram Bot API
(PTB, intake, dialogs, storage on disk), answering from their stories as in issue 16.
Reports only (no photo workers): the stories end before the photos or skip them.
"""

from __future__ import annotations

import pytest

from backcare.application.pipeline import Pipeline
from backcare.bot.dialogs.engine import Dialogs
from backcare.interview import InterviewRegistry, load_answers
from tests.support.harness import BotHarness
from tests.support.patients import Patient

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture(scope="module")
def registry(repo_root):
    return InterviewRegistry(repo_root / "interview.yaml")


@pytest.fixture(scope="module")
def healthy(repo_root, registry):
    return load_answers(
        repo_root / "tests" / "backcare" / "interview" / "answers_healthy.yaml", registry.current
    )


@pytest.fixture
async def live(registry, tmp_path, make_storage):
    storage = make_storage(tmp_path / "data" / "backcare.json")
    dialogs = Dialogs(services=Pipeline(pose=None), interviews=registry)
    async with BotHarness(dialogs, storage, interviews=registry) as bot:
        yield bot
    storage.close()


def shown(patient: Patient) -> str:
    return "\n".join(m.plain for m in patient.messages)


async def test_a_cancer_history_after_onset_at_60_is_asked_and_sent_to_a_doctor_today(
    live, registry, healthy
):
    patient = Patient(live, 31001, name="Keiko")
    await patient.start()
    await patient.consent()
    story = {**healthy, "age": 64, "onset_age": 60, "cancer": True}
    await patient.interview(registry.current, story)
    assert patient.step == "referred"
    assert patient.dialog.referral.urgency == "urgent"
    text = shown(patient)
    assert "Have you ever been diagnosed with cancer?" in text
    assert "within the next 24 hours" in text and "next few weeks" not in text


async def test_an_inflammatory_profile_hears_of_a_rheumatologist_and_goes_on_in_japanese(
    live, registry, healthy
):
    patient = Patient(live, 31002, language="ja", name="Ren")
    await patient.start()
    await patient.consent()
    story = {
        **healthy,
        "age": 27,
        "onset_age": 25,
        "onset_how": "gradual",
        "stiffness": "long",
        "exercise_helps": True,
        "rest_helps": False,
        "night_pain": "wakes_late",
    }
    await patient.interview(registry.current, story)
    assert patient.step == "photos" and patient.dialog.referral is None
    assert "リウマチ科" in shown(patient)
    skipped = await patient.photos(lambda step: None)
    assert len(skipped) == 8 and patient.step == "results"
    report = patient.dialog.report  # the report summary: a JSON document on purpose
    assert report["referral"] is None and report["program"] is not None
    assert any("リウマチ科" in a for a in report["program"]["advice"]["ja"])
