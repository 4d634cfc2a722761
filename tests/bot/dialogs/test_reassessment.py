"""Re-assessment: after 4 weeks of the program a check-in offers new photos; the same capture
runs again and the results open with before and after, per body part, in plain words."""

from __future__ import annotations

from datetime import date

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.texts import default_texts
from backcare.kernel import languages
from backcare.kernel.vocabulary import vocabulary

STEPS = list(vocabulary().movements)


async def set_up(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)  # pain_now 5
    await chat.all_photos()  # hip flexion 55 deg: insufficient
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)
    await chat.press(buttons.time("08:00"))
    await chat.press(chat.choices()[0])  # the first time zone offered
    assert chat.step == "active"


async def weekly_check_ins(chat, clock, weeks, pain=4):
    for _ in range(weeks):
        clock.advance(days=7)
        await chat.timer("checkin")
        await chat.press(buttons.pain(pain))
        await chat.press(buttons.days_done(4))
        await chat.press(buttons.SIGNS_NO)


def offered(chat) -> set[buttons.Button]:
    return chat.offered()


async def test_after_four_weeks_new_photos_show_before_and_after_across_restarts(
    restarting_chat, services, clock, interview, healthy
):
    chat = restarting_chat  # a new engine for every event: only the JSON state carries the story
    await set_up(chat, interview, healthy)
    started = chat.state.program_started
    assert started == "2025-06-02T08:00:00+00:00"

    await weekly_check_ins(chat, clock, 3)
    assert buttons.REASSESS_YES not in offered(chat) and chat.state.reassessment is None
    await weekly_check_ins(chat, clock, 1)  # day 28
    assert "4 weeks since you started" in chat.text and {
        buttons.REASSESS_YES,
        buttons.REASSESS_NO,
        buttons.PROGRESS,
    } <= offered(chat)
    assert chat.state.checkins[-1].reassess is True

    # the same capture as the first time: every step with its own guidance
    await chat.press(buttons.REASSESS_YES)
    assert chat.step == "photos" and "compare with last time" in chat.text
    assert chat.replies[-1].choices[-1].label == default_texts().get("reassess.cancel", "en")
    services.hip_flexion = 82.0  # the hips now bend as usual
    services.created = "2025-06-30T08:00:00+00:00"
    for n, step in enumerate(STEPS, start=1):
        assert (
            f"Photo {n} of 8" in chat.text
            and default_texts().get(f"photo.steps.{step}", "en") in chat.text
        )
        await chat.photo()
    assert chat.step == "results" and len(services.report_calls) == 2
    assert (
        services.report_calls[1][0].facts == services.report_calls[0][0].facts
    )  # the same interview

    # before and after: the changed measurement went the right way, the others stayed
    comparison = next(r for r in chat.replies if r.text.startswith("Before and after"))
    assert comparison.meta["changes"]["forward_bend.hip_flexion"] == "better"
    assert comparison.meta["changes"]["forward_bend.lumbar_flexion"] == "same"
    assert "Bending at the hips: better than last time." in comparison.text
    assert "Jun 1, 2025 and Jun 30, 2025" in comparison.text  # dates as English writes them
    causes = next(r for r in chat.replies if "most likely keeps" in r.text)
    assert chat.replies.index(comparison) < chat.replies.index(
        causes
    )  # what the patient waited for first

    # the new program replaces the old one; the reminders stay
    assert "replaces the previous one" in chat.text and "Bird dog" in chat.text
    assert chat.state.previous_report["observations"][1]["value"] == 55.0
    assert chat.state.report["observations"][1]["value"] == 82.0
    assert chat.state.reassessment is None and chat.state.program_started == started
    await chat.press(buttons.REMINDERS_NO)  # keep the reminders
    assert chat.step == "active" and chat.state.reminders.active is True
    await chat.timer("reminder")
    assert "Bird dog" in chat.text and "Hamstring stretch" not in chat.text

    # the comparison survives: /progress shows it again on yet another engine
    await chat.command("progress")
    again = next(r for r in chat.replies if r.text.startswith("Before and after"))
    assert again.meta["changes"] == comparison.meta["changes"]

    # the next check-in still counts from the program's start: no new offer before week 8
    await weekly_check_ins(chat, clock, 1)
    assert buttons.REASSESS_YES not in offered(chat)


async def test_a_measurement_that_got_worse_is_said_so(chat, services, clock, interview, healthy):
    services.hip_flexion = 80.0  # usual at the start
    await set_up(chat, interview, healthy)
    await weekly_check_ins(chat, clock, 4)
    await chat.press(buttons.REASSESS_YES)
    services.hip_flexion = 50.0
    await chat.all_photos()
    comparison = next(r for r in chat.replies if r.text.startswith("Before and after"))
    assert comparison.meta["changes"]["forward_bend.hip_flexion"] == "worse"
    assert "Bending at the hips: further from the usual range than last time." in comparison.text


async def test_a_skipped_movement_is_said_to_be_unmeasured_this_time(
    chat, clock, interview, healthy
):
    await set_up(chat, interview, healthy)
    await weekly_check_ins(chat, clock, 4)
    await chat.press(buttons.REASSESS_YES)
    while chat.step == "photos":
        step = chat.replies[-1].meta["step"]
        await (chat.press(buttons.PHOTO_SKIP) if step == "forward_bend" else chat.photo())
    comparison = next(r for r in chat.replies if r.text.startswith("Before and after"))
    assert comparison.meta["changes"]["forward_bend.hip_flexion"] == "lost"


async def test_the_offer_can_be_declined_and_comes_back_after_the_next_period(
    chat, clock, interview, healthy
):
    await set_up(chat, interview, healthy)
    await weekly_check_ins(chat, clock, 4)
    await chat.press(buttons.REASSESS_NO)
    assert chat.step == "active" and chat.state.reassessment is None and "ask again" in chat.text
    assert buttons.REASSESS_YES not in offered(chat)
    await weekly_check_ins(chat, clock, 3)
    assert buttons.REASSESS_YES not in offered(chat)
    await weekly_check_ins(chat, clock, 1)  # day 56
    assert "8 weeks since you started" in chat.text and buttons.REASSESS_YES in offered(chat)


async def test_the_offer_waits_in_the_menu(chat, clock, interview, healthy):
    await set_up(chat, interview, healthy)
    await weekly_check_ins(chat, clock, 4)
    await chat.command("start")
    assert buttons.REASSESS_YES in offered(chat)  # the menu offers it until taken or declined
    await chat.press(buttons.REASSESS_YES)
    assert chat.step == "photos"


async def test_the_new_photos_can_be_called_off_and_the_program_goes_on(
    chat, services, clock, interview, healthy
):
    await set_up(chat, interview, healthy)
    before = dict(chat.state.report)
    await weekly_check_ins(chat, clock, 4)
    await chat.press(buttons.REASSESS_YES)
    await chat.photo()
    await chat.press(buttons.command("back"))
    assert chat.step == "photos" and chat.state.photos.index == 0
    await chat.press(buttons.command("back"))  # from the first photo: not now
    assert chat.step == "active" and "goes on as before" in chat.text
    assert chat.state.report == before and chat.state.previous_report is None
    assert chat.state.reassessment is None and chat.state.reminders.active is True
    assert len(services.report_calls) == 1
    assert await chat.timer("reminder") != []


async def test_a_re_assessment_that_refers_stops_the_reminders(
    chat, services, clock, interview, healthy
):
    await set_up(chat, interview, healthy)
    await weekly_check_ins(chat, clock, 4)
    await chat.press(buttons.REASSESS_YES)
    services.referral = "urgent"
    await chat.all_photos()
    assert chat.step == "results" and "within the next 24 hours" in chat.text
    assert chat.state.reminders.active is False and chat.state.report["program"] is None
    assert await chat.timer("reminder") == []


@pytest.mark.parametrize("language", ["en", "ja"])
async def test_the_comparison_speaks_the_users_language(
    new_chat, services, clock, interview, healthy, language
):
    chat = new_chat(language=language)
    await set_up(chat, interview, healthy)
    await weekly_check_ins(chat, clock, 4)
    await chat.press(buttons.REASSESS_YES)
    services.hip_flexion = 82.0
    await chat.all_photos()
    day = languages.language(language).date(date(2025, 6, 1))
    heading = default_texts().get("reassess.heading", language, before=day, after=day)
    comparison = next(r for r in chat.replies if r.text.startswith(heading))
    better = {
        "en": "Bending at the hips: better than last time.",
        "ja": "股関節の曲がり：前回より良くなりました。",
    }
    assert better[language] in comparison.text


async def test_a_stale_offer_button_without_a_program_does_nothing(
    chat, interview, healthy, services
):
    services.referral = "urgent"
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    await chat.press_stale(buttons.REASSESS_YES)
    assert chat.step == "results"
