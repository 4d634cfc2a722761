"""Progress: /progress and the button after each check-in send the chart of this program's
check-ins and the summary a patient can show a clinician."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.texts import default_texts
from backcare.followup.checkin import CheckIn
from backcare.followup.progress import progress_data, summary_text

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def active(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)  # pain_now 5
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)  # 5 days a week
    await chat.press(buttons.time("08:00"))
    await chat.press(buttons.zone("UTC"))
    return chat


async def check_in(chat, pain, done):
    await chat.timer("checkin")
    await chat.press(buttons.pain(pain))
    await chat.press(buttons.days_done(done))
    await chat.press(buttons.SIGNS_NO)


def chart_reply(chat):
    return next(r for r in chat.replies if r.images and r.images[0].data.startswith(PNG))


async def test_the_progress_command_sends_the_chart_of_the_check_ins(active, clock):
    chat = active
    entered = [(6, 2), (4, 4), (3, 5)]
    expected = []
    for pain, done in entered:
        clock.advance(days=7)
        await check_in(chat, pain, done)
        expected.append(
            CheckIn(
                at=clock.now.isoformat(timespec="seconds"),
                pain=pain,
                done_days=done,
                planned_days=5,
            )
        )
    await chat.command("progress")
    reply = chart_reply(chat)
    assert reply.images[0].caption == "Your pain and exercise days at each check-in"
    data = progress_data(5, expected)
    assert reply.meta["chart"] == asdict(data)
    assert reply.meta["chart"]["pain"] == (6, 4, 3) and reply.meta["chart"]["done_days"] == (
        2,
        4,
        5,
    )
    assert reply.meta["chart"]["dates"] == ("2025-06-09", "2025-06-16", "2025-06-23")
    assert reply.meta["chart"]["baseline"] == 5
    assert summary_text(data, "en") in chat.text and "11 of 15" in chat.text
    assert chat.step == "active" and buttons.CHECK_IN in chat.choices()


async def test_a_button_after_each_check_in_shows_the_progress(active):
    chat = active
    await check_in(chat, 4, 3)
    assert chat.choices()[0] == buttons.PROGRESS
    await chat.press(buttons.PROGRESS)
    reply = chart_reply(chat)
    assert reply.meta["chart"]["pain"] == (4,) and reply.meta["chart"]["adherence"] == (60.0,)
    assert buttons.PROGRAM in chat.choices()


async def test_the_chart_is_labelled_in_the_users_language(new_chat, interview, healthy):
    chat = new_chat(language="ja")
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_NO)
    await chat.press(buttons.CHECK_IN)
    await chat.press(buttons.pain(3))
    await chat.press(buttons.days_done(5))
    await chat.press(buttons.SIGNS_NO)
    await chat.command("progress")
    reply = chart_reply(chat)
    assert reply.images[0].caption == default_texts().get("progress.caption", "ja")
    data = progress_data(
        5, [CheckIn(at="2025-06-02T08:00:00+00:00", pain=3, done_days=5, planned_days=5)]
    )
    assert summary_text(data, "ja") in chat.text


async def test_before_any_check_in_the_patient_is_told_the_chart_starts_with_the_first(active):
    chat = active
    await chat.command("progress")
    assert "starts with your first check-in" in chat.text and not any(
        r.images for r in chat.replies
    )


async def test_before_the_program_progress_says_so_and_the_question_is_asked_again(
    chat, interview, healthy
):
    await chat.consent()
    await chat.answer(interview, healthy["age"])
    await chat.command("progress")
    assert "once you have your exercise program" in chat.text
    assert chat.replies[-1].meta["question"] == "sex"


async def test_help_and_the_command_list_name_progress(chat):
    await chat.consent()
    await chat.command("help")
    assert "/progress" in chat.text
    await chat.command("frobnicate")
    assert "/progress" in chat.text
