"""Reminder set-up: days, time and time zone (parsed by backcare.followup.schedule), validated."""

from __future__ import annotations

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.state import ReminderPlan


@pytest.fixture
async def at_results(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    assert chat.step == "results"
    return chat


async def test_set_up_with_typed_time_and_zone_and_mistakes_on_the_way(at_results):
    chat = at_results
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.ALL_DAYS)
    await chat.press(buttons.DAYS_DONE)
    await chat.type("25:00")
    assert chat.step == "reminder_time" and "couldn't read that time" in chat.text
    await chat.type("06:45")
    await chat.type("Atlantis/Capital")
    assert chat.step == "reminder_zone" and "don't know that time zone" in chat.text
    await chat.type("chicago")  # a city that names one zone
    assert chat.state.reminders == ReminderPlan(
        days=[0, 1, 2, 3, 4, 5, 6], time="06:45", tz="America/Chicago", active=True
    )
    assert "every day at 06:45 (America/Chicago)" in chat.text and chat.state.reminder_draft is None


async def test_at_least_one_day_is_needed(at_results):
    chat = at_results
    await chat.press(buttons.REMINDERS_SET)
    for day in range(5):
        await chat.press(buttons.day(day))
    await chat.press(buttons.DAYS_DONE)
    assert chat.step == "reminder_days" and "at least one day" in chat.text


async def test_back_steps_through_the_set_up(at_results):
    chat = at_results
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.WEEKDAYS)
    await chat.press(buttons.DAYS_DONE)
    await chat.press(buttons.time("08:00"))
    await chat.press(buttons.command("back"))
    assert chat.step == "reminder_time"
    await chat.press(buttons.command("back"))
    assert chat.step == "reminder_days" and chat.state.reminder_draft.days == [0, 1, 2, 3, 4]


async def test_a_japanese_user_is_offered_tokyo_time(new_chat, interview, healthy):
    chat = new_chat(language="ja")
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)
    await chat.press(buttons.time("20:00"))
    assert chat.choices()[0] == buttons.zone("Asia/Tokyo")
    await chat.press(buttons.zone("Asia/Tokyo"))
    assert "月・火・水・木・金 20:00（Asia/Tokyo）" in chat.text


async def test_no_reminders_then_set_them_later(at_results):
    chat = at_results
    await chat.press(buttons.REMINDERS_NO)
    assert (
        chat.step == "active" and "Reminders are off" in chat.text and chat.state.reminders is None
    )
    assert await chat.timer("reminder") == []
    await chat.command("status")
    assert "program is running" in chat.text
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)
    await chat.press(buttons.time("07:00"))
    await chat.press(buttons.zone("UTC"))
    assert chat.state.reminders.active is True
    await chat.command("stop")
    assert chat.state.reminders.active is False
    assert await chat.timer("reminder") == []
    await chat.command("stop")
    assert "no reminders to stop" in chat.text


async def test_the_program_can_be_shown_again_with_its_videos(at_results):
    chat = at_results
    await chat.press(buttons.REMINDERS_NO)
    await chat.press(buttons.PROGRAM)
    assert [url for r in chat.replies for _, url in r.links] == [
        "https://example.org/hinge",
        "https://example.org/stretch",
    ]
