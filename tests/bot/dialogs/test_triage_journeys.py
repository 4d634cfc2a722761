"""Patients from issue 16, through the dialogs as the bot runs them: red-flag triage is graded
and combined, so a mild flag asked early never ends the interview before the severe ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.texts import default_texts
from backcare.interview import load_interview

INTERVIEW = load_interview(Path(__file__).resolve().parents[3] / "interview.yaml")
SEVERE = ("cancer", "weight_loss", "trauma", "steroids")


def rule_message(rule_id: str, language: str = "en") -> str:
    return next(r.message[language] for r in INTERVIEW.red_flags if r.id == rule_id)


async def test_onset_after_55_no_longer_hides_the_cancer_question(chat, healthy, services):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "age": 64, "onset_age": 60, "cancer": True})
    assert chat.step == "referred"
    assert chat.state.referral.urgency == "urgent"  # was "routine", at onset_age
    assert "cancer" in chat.state.interview.history
    assert rule_message("cancer") in chat.text and "within the next 24 hours" in chat.text
    assert services.photo_calls == []


async def test_onset_after_55_no_longer_hides_weight_loss_fall_and_steroids(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "age": 64, "onset_age": 60})
    history = chat.state.interview.history
    assert set(SEVERE) <= set(history)
    assert chat.step == "photos" and chat.state.referral is None


async def test_a_78_year_old_after_a_fall_on_steroids_is_sent_for_a_fracture_check_today(
    chat, healthy
):
    story = {"age": 78, "onset_age": 78, "trauma": True, "steroids": True}
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, **story})
    assert chat.step == "referred" and chat.state.referral.urgency == "urgent"
    assert "red_flag_trauma" in chat.state.referral.facts
    assert "fracture" in chat.text and "next few weeks" not in chat.text


async def test_night_pain_before_the_cancer_question_cannot_end_the_interview(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "night_pain": "constant", "cancer": True})
    assert chat.step == "referred" and chat.state.referral.urgency == "urgent"
    history = chat.state.interview.history
    assert history.index("cancer") > history.index("night_pain")
    assert rule_message("cancer") in chat.text


async def test_night_pain_alone_pauses_self_care_until_a_doctor_sees_it_within_weeks(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "night_pain": "constant"})
    assert chat.step == "referred" and chat.state.referral.urgency == "soon"
    assert set(SEVERE) - {"steroids"} <= set(chat.state.interview.history)
    assert default_texts().get("referral.soon", "en") in chat.text


async def test_onset_after_55_alone_keeps_self_care_with_a_caution_note(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "age": 66, "onset_age": 60})
    assert chat.step == "photos"
    transcript = "\n".join(r.text for r in chat.replies)
    assert default_texts().get("triage.caution", "en") in transcript
    assert rule_message("age_onset") in transcript
    await chat.all_photos()
    assert chat.step == "results" and chat.state.referral is None


@pytest.mark.parametrize("language", ["en", "ja"])
async def test_an_inflammatory_profile_is_told_to_see_a_rheumatologist_and_goes_on(
    new_chat, healthy, language
):
    # 27 years old, 30+ minutes of morning stiffness, better with exercise, worse at night
    story = {
        "age": 27,
        "onset_age": 25,
        "onset_how": "gradual",
        "stiffness": "long",
        "exercise_helps": True,
        "rest_helps": False,
        "night_pain": "wakes_late",
    }
    chat = new_chat(language=language)
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, **story})
    assert chat.step == "photos" and chat.state.referral is None
    transcript = "\n".join(r.text for r in chat.replies)
    assert default_texts().get("triage.rheumatology", language) in transcript
    assert rule_message("inflammatory_asas", language) in transcript
    await chat.all_photos()
    assert chat.step == "results"


async def test_a_cauda_equina_sign_is_an_emergency_at_once(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "bladder_bowel": True})
    assert chat.step == "referred" and chat.state.referral.urgency == "emergency"
    assert chat.state.interview.history[-1] == "bladder_bowel"  # nothing more asked
    assert "emergency department" in chat.text


async def test_over_70_on_long_term_steroids_is_urgent_without_a_fall(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "age": 75, "steroids": True})
    # over 70 on long-term steroids: a fracture may need no fall, checked the same day
    assert chat.state.referral.urgency == "urgent"
    assert rule_message("fracture_older_steroids") in chat.text


async def test_a_check_in_with_constant_night_pain_still_asks_the_cauda_equina_questions(
    chat, healthy
):
    await chat.consent()
    await chat.answer_all(INTERVIEW, healthy)
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)
    await chat.press(buttons.time("08:00"))
    await chat.press(buttons.zone("UTC"))
    await chat.timer("checkin")
    await chat.press(buttons.pain(6))
    await chat.press(buttons.days_done(3))
    await chat.press(buttons.SIGNS_YES)
    await chat.press(
        buttons.answer("night_pain", "constant", checkin=True)
    )  # the first warning sign asked again: "soon"
    assert chat.step == "checkin_flags" and chat.replies[-1].meta["question"] == "saddle"
    await chat.press(buttons.answer("saddle", "no", checkin=True))
    await chat.press(buttons.answer("bladder_bowel", "yes", checkin=True))
    assert chat.step == "referred" and chat.state.referral.urgency == "emergency"
    assert chat.state.referral.origin == "checkin"
