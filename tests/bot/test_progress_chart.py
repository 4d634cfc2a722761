"""The export's progress chart comes from the recorded check-ins."""

from __future__ import annotations

from backcare.bot.dialogs.state import ReminderPlan
from backcare.bot.progress_chart import chart_for_export, checkins_of, planned_days
from tests.support.echo_dialogs import echo_state

PNG = b"\x89PNG\r\n\x1a\n"


def test_planned_days_come_from_the_reminders_then_the_program():
    plan = ReminderPlan(days=[0, 2, 4], time="08:00", tz="UTC", active=False)
    assert planned_days(echo_state(reminders=plan)) == 3
    program = {"exercises": [{"dose": {"days_per_week": 4}}]}
    assert planned_days(echo_state(report={"program": program})) == 4
    assert planned_days(echo_state()) == 5 and planned_days(None) == 5


def test_check_ins_become_adherence_and_pain():
    entries = [
        {"at": "2030-01-07T08:00:00+00:00", "pain": 6, "done": "all"},
        {"at": "2030-01-14T08:00:00+00:00", "pain": 4, "done": "some"},
        {"at": "garbage", "pain": 4, "done": "none"},
        {"at": "2030-01-21", "pain": None},
    ]
    got = checkins_of(entries, 4)
    assert [(c.pain, c.done_days, c.planned_days) for c in got] == [(6, 4, 4), (4, 2, 4)]


def test_a_chart_only_when_there_is_progress_to_show():
    assert chart_for_export({"dialog_state": echo_state().to_json(), "checkins": []}) is None
    export = {
        "dialog_state": echo_state(language="ja", report={"scores": {"pain": 6.0}}).to_json(),
        "checkins": [
            {"at": "2030-01-07", "pain": 5, "done": "all"},
            {"at": "2030-01-14", "pain": 3, "done": "some"},
        ],
    }
    assert chart_for_export(export).startswith(PNG)
