"""Reminders follow the dialog's plan, live in storage, are restored at start and fire once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backcare.bot.dialogs.state import CheckinRecord, ReminderPlan
from backcare.bot.storage import Reminder
from backcare.bot.timers import ReminderChange, change_for, timer_kind
from tests.support.echo_dialogs import PLAN, echo_state

NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def test_a_new_active_plan_gets_its_next_due_time():
    change = change_for(1, 10, echo_state(reminders=PLAN), None, NOW)
    assert change.put == Reminder(1, 10, PLAN.to_json(), datetime(2030, 3, 5, 8, 0, tzinfo=UTC))


def test_an_unchanged_plan_keeps_its_due_time_and_an_inactive_one_is_removed():
    stored = Reminder(1, 10, PLAN.to_json(), NOW + timedelta(hours=3))
    assert change_for(1, 10, echo_state(reminders=PLAN), stored, NOW) == ReminderChange()
    off = ReminderPlan(**{**PLAN.to_json(), "active": False})
    assert change_for(1, 10, echo_state(reminders=off), stored, NOW).remove
    assert change_for(1, 10, echo_state(), stored, NOW).remove
    assert change_for(1, 10, None, stored, NOW).remove
    assert change_for(1, 10, echo_state(), None, NOW).nothing


def test_a_changed_time_is_rescheduled():
    stored = Reminder(1, 10, PLAN.to_json(), NOW + timedelta(hours=20))
    later = ReminderPlan(**{**PLAN.to_json(), "time": "18:30"})
    change = change_for(1, 10, echo_state(reminders=later), stored, NOW)
    assert change.put.next_due == datetime(2030, 3, 4, 18, 30, tzinfo=UTC)


def test_a_check_in_is_due_a_week_after_the_last_one_or_the_report():
    week_ago = (NOW - timedelta(days=7, hours=-3)).isoformat()  # 6 days 21 hours: same day
    yesterday = (NOW - timedelta(days=1)).isoformat()

    def checked(*at: str) -> list[CheckinRecord]:
        return [CheckinRecord(at=a, pain=4) for a in at]

    assert timer_kind(echo_state(report={"created": week_ago}), NOW, every_days=7) == "checkin"
    assert timer_kind(echo_state(report={"created": yesterday}), NOW, every_days=7) == "reminder"
    both = echo_state(report={"created": week_ago}, checkins=checked(yesterday))
    assert timer_kind(both, NOW, every_days=7) == "reminder"
    only = echo_state(checkins=checked("2030-02-20", week_ago))
    assert timer_kind(only, NOW, 7) == "checkin"
    assert timer_kind(echo_state(), NOW, 7) == "reminder"
    assert timer_kind(None, NOW) == "reminder"


async def test_reminders_are_stored_scheduled_and_stopped(bot, storage):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/remind")
    await bot.settle()
    stored = storage.get_reminder(alice.id)
    assert stored.plan == PLAN.to_json() and stored.next_due > datetime.now(UTC)
    assert bot.runtime.scheduler.scheduled(alice.id) == stored.next_due
    bot.api.send_text(alice, "/stop")
    await bot.settle()
    assert storage.get_reminder(alice.id) is None
    assert bot.runtime.scheduler.scheduled(alice.id) is None


async def _due_soon(bot, storage, user_id, when):
    stored = storage.get_reminder(user_id)
    storage.put_reminder(Reminder(user_id, stored.chat_id, stored.plan, when))


async def test_a_reminder_restored_at_start_fires_and_moves_on(bot, storage, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/remind")
    await bot.settle()
    await bot.stop()
    await _due_soon(bot, storage, alice.id, datetime.now(UTC) + timedelta(seconds=0.5))
    await bot.start()
    message = await bot.api.wait_for_message(
        alice.id, where=lambda m: "exercises" in m.plain, timeout=5
    )
    assert message.plain == "Time for your exercises (reminder)."
    await bot.settle()
    assert dialogs.events[-1][1].kind == "timer" and dialogs.events[-1][1].data == "reminder"
    upcoming = storage.get_reminder(alice.id).next_due
    assert upcoming > datetime.now(UTC)
    assert bot.runtime.scheduler.scheduled(alice.id) == upcoming


async def test_reminders_missed_while_down_fire_once(bot, storage, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/remind")
    await bot.settle()
    await bot.stop()
    await _due_soon(bot, storage, alice.id, datetime.now(UTC) - timedelta(days=3))
    await bot.start()
    await bot.api.wait_for_message(alice.id, where=lambda m: "exercises" in m.plain, timeout=5)
    await bot.settle()
    timers = [e for _, e in dialogs.events if e.kind == "timer"]
    assert len(timers) == 1
    assert storage.get_reminder(alice.id).next_due > datetime.now(UTC)
