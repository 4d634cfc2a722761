"""Reminders: the next due time in the patient's zone, across daylight-saving changes,
and a reminder missed while the service was down fires once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backcare.followup.schedule import (
    ReminderPlan,
    ScheduleError,
    catch_up,
    describe,
    find_timezone,
    next_due,
    parse_time,
    parse_zone,
)

UTC = UTC
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(plan: ReminderPlan, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(plan.tz)).strftime("%a %Y-%m-%d %H:%M %Z")


# --- the plan ------------------------------------------------------------------------------


def test_plan_normalises_days_and_time():
    plan = ReminderPlan(days=(FRI, MON, MON), time="7:05", tz="Asia/Tokyo")
    assert plan.days == (MON, FRI) and plan.time == "07:05"
    assert ReminderPlan.from_dict(plan.to_dict()) == plan


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"days": (), "time": "07:00", "tz": "UTC"}, "bad_days"),
        ({"days": (7,), "time": "07:00", "tz": "UTC"}, "bad_days"),
        ({"days": (True,), "time": "07:00", "tz": "UTC"}, "bad_days"),
        ({"days": (0,), "time": "24:00", "tz": "UTC"}, "bad_time"),
        ({"days": (0,), "time": "7pm", "tz": "UTC"}, "bad_time"),
        ({"days": (0,), "time": "07:00", "tz": "Mars/Olympus"}, "bad_timezone"),
        ({"days": (0,), "time": "07:00", "tz": "../etc/passwd"}, "bad_timezone"),
    ],
)
def test_bad_plan_is_a_clear_error(kwargs, reason):
    with pytest.raises(ScheduleError) as info:
        ReminderPlan(**kwargs)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "text, expected",
    [
        ("7:30", "07:30"),
        ("07:30", "07:30"),
        ("07.30", "07:30"),
        (" 19:05 ", "19:05"),
        ("７：３０", "07:30"),
        ("19時", "19:00"),
        ("7時30分", "07:30"),
        ("7h", "07:00"),
        ("8", "08:00"),
        ("0:00", "00:00"),
    ],
)
def test_parse_time_accepts_what_people_type(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "7:60", "seven", "", "7:3", "-1:00", "12:00:00"])
def test_bad_times_are_refused(text):
    with pytest.raises(ScheduleError) as info:
        parse_time(text)
    assert info.value.reason == "bad_time"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Asia/Tokyo", "Asia/Tokyo"),
        ("asia/tokyo", "Asia/Tokyo"),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("Tokyo", "Asia/Tokyo"),  # a city that names one zone
        ("new york", "America/New_York"),
    ],
)
def test_time_zones_come_from_the_tz_database(text, expected):
    assert parse_zone(text) == expected


@pytest.mark.parametrize("text", ["Mars/Olympus", "../../etc/passwd", "", "   "])
def test_unknown_time_zones_are_refused(text):
    with pytest.raises(ScheduleError) as info:
        parse_zone(text)
    assert info.value.reason == "bad_timezone"


def test_naive_datetime_is_refused():
    plan = ReminderPlan(days=(MON,), time="07:00", tz="UTC")
    with pytest.raises(ScheduleError) as info:
        next_due(plan, datetime(2025, 1, 1, 12))
    assert info.value.reason == "naive_datetime"


# --- next due time -------------------------------------------------------------------------


def test_next_due_is_the_same_day_when_the_time_is_still_ahead():
    plan = ReminderPlan(days=(WED,), time="18:00", tz="Asia/Tokyo")
    due = next_due(plan, utc(2025, 1, 1, 0, 0))  # Wed 09:00 in Tokyo
    assert due == utc(2025, 1, 1, 9, 0) and due.tzinfo == UTC
    assert local(plan, due) == "Wed 2025-01-01 18:00 JST"


def test_next_due_is_strictly_after_and_skips_to_next_week():
    plan = ReminderPlan(days=(WED,), time="18:00", tz="Asia/Tokyo")
    assert next_due(plan, utc(2025, 1, 1, 9, 0)) == utc(2025, 1, 8, 9, 0)


def test_tokyo_has_no_daylight_saving_all_year():
    plan = ReminderPlan(days=tuple(range(7)), time="07:30", tz="Asia/Tokyo")
    moment = utc(2025, 1, 1)
    for _ in range(366):
        moment = next_due(plan, moment)
        assert (moment.hour, moment.minute) == (22, 30)  # 07:30 JST = 22:30 UTC the day before


def test_several_days_a_week_in_order():
    plan = ReminderPlan(days=(MON, WED, FRI), time="07:00", tz="UTC")
    moment, seen = utc(2025, 1, 6, 8), []  # Monday after 07:00
    for _ in range(4):
        moment = next_due(plan, moment)
        seen.append(moment.strftime("%a %d"))
    assert seen == ["Wed 08", "Fri 10", "Mon 13", "Wed 15"]


# London: BST starts Sun 30 Mar 2025 01:00 GMT (01:00-02:00 local does not exist)
# and ends Sun 26 Oct 2025 02:00 BST (01:00-02:00 local happens twice).
# New York: EDT starts Sun 9 Mar 2025 02:00 (02:00-03:00 does not exist)
# and ends Sun 2 Nov 2025 02:00 (01:00-02:00 happens twice).


@pytest.mark.parametrize(
    "tz, before, after, expect_before, expect_after",
    [
        (
            "Europe/London",
            utc(2025, 3, 28, 12),
            utc(2025, 3, 30, 12),
            utc(2025, 3, 29, 7, 30),
            utc(2025, 3, 31, 6, 30),
        ),
        (
            "Europe/London",
            utc(2025, 10, 24, 12),
            utc(2025, 10, 26, 12),
            utc(2025, 10, 25, 6, 30),
            utc(2025, 10, 27, 7, 30),
        ),
        (
            "America/New_York",
            utc(2025, 3, 7, 18),
            utc(2025, 3, 9, 18),
            utc(2025, 3, 8, 12, 30),
            utc(2025, 3, 10, 11, 30),
        ),
        (
            "America/New_York",
            utc(2025, 10, 31, 18),
            utc(2025, 11, 2, 18),
            utc(2025, 11, 1, 11, 30),
            utc(2025, 11, 3, 12, 30),
        ),
    ],
)
def test_wall_time_stays_the_same_across_daylight_saving(
    tz, before, after, expect_before, expect_after
):
    plan = ReminderPlan(days=tuple(range(7)), time="07:30", tz=tz)
    first, second = next_due(plan, before), next_due(plan, after)
    assert (first, second) == (expect_before, expect_after)
    assert local(plan, first)[-9:-4] == local(plan, second)[-9:-4] == "07:30"


def test_london_spring_forward_gap_rolls_forward():
    plan = ReminderPlan(days=(SUN,), time="01:30", tz="Europe/London")
    due = next_due(plan, utc(2025, 3, 29, 12))
    assert due == utc(2025, 3, 30, 1, 30)
    assert local(plan, due) == "Sun 2025-03-30 02:30 BST"


def test_london_fall_back_ambiguous_time_fires_at_the_first():
    plan = ReminderPlan(days=(SUN,), time="01:30", tz="Europe/London")
    due = next_due(plan, utc(2025, 10, 25, 12))
    assert due == utc(2025, 10, 26, 0, 30)
    assert local(plan, due) == "Sun 2025-10-26 01:30 BST"
    # and only once: the next one is a week later, not an hour later
    assert next_due(plan, due) == utc(2025, 11, 2, 1, 30)


def test_new_york_spring_forward_gap_rolls_forward():
    plan = ReminderPlan(days=(SUN,), time="02:30", tz="America/New_York")
    due = next_due(plan, utc(2025, 3, 8, 12))
    assert due == utc(2025, 3, 9, 7, 30)
    assert local(plan, due) == "Sun 2025-03-09 03:30 EDT"


def test_new_york_fall_back_ambiguous_time_fires_at_the_first():
    plan = ReminderPlan(days=(SUN,), time="01:30", tz="America/New_York")
    due = next_due(plan, utc(2025, 11, 1, 12))
    assert due == utc(2025, 11, 2, 5, 30)
    assert local(plan, due) == "Sun 2025-11-02 01:30 EDT"
    assert next_due(plan, due) == utc(2025, 11, 9, 6, 30)


def test_a_full_year_in_london_never_repeats_or_skips_a_day():
    plan = ReminderPlan(days=tuple(range(7)), time="01:30", tz="Europe/London")
    moment, days = utc(2025, 1, 1), []
    for _ in range(365):
        moment = next_due(plan, moment)
        days.append(moment.astimezone(ZoneInfo(plan.tz)).date())
    assert len(set(days)) == 365
    assert all(b - a == timedelta(days=1) for a, b in zip(days, days[1:]))


# --- missed reminders ----------------------------------------------------------------------


def test_reminder_missed_while_down_fires_once_then_next_is_in_the_future():
    plan = ReminderPlan(days=tuple(range(7)), time="08:00", tz="Europe/London")
    stored_due = utc(2025, 6, 2, 7, 0)  # 08:00 BST on Mon 2 June
    restart = utc(2025, 6, 5, 12, 0)  # service back on Thursday: 4 reminders missed
    fire, due = catch_up(stored_due, restart, plan)
    assert fire is True
    assert due == utc(2025, 6, 6, 7, 0) and due > restart
    # The bot stores the new due time; a second restart a minute later does not fire again.
    assert catch_up(due, restart + timedelta(minutes=1), plan) == (False, due)


def test_restored_reminders_fire_exactly_once_each_over_weeks_of_ticks():
    """A job ticking every 10 minutes (with a restart gap) fires once per due time, never twice."""
    plan = ReminderPlan(days=(MON, THU), time="07:30", tz="America/New_York")
    now = utc(2025, 10, 27, 0, 0)
    due = next_due(plan, now)
    fired = []
    end = now + timedelta(weeks=3)
    while now < end:
        now += timedelta(minutes=10)
        if utc(2025, 11, 2) <= now < utc(2025, 11, 4):  # down over the DST change and a Monday
            continue
        fire, due = catch_up(due, now, plan)
        if fire:
            fired.append(now.astimezone(ZoneInfo(plan.tz)).strftime("%a %m-%d"))
    assert fired == ["Mon 10-27", "Thu 10-30", "Mon 11-03", "Thu 11-06", "Mon 11-10", "Thu 11-13"]
    # 11-03 is the restart on Tuesday 00:00 UTC (Monday evening in New York): the missed Monday fires once.


def test_future_due_time_does_not_fire():
    plan = ReminderPlan(days=(MON,), time="07:00", tz="UTC")
    due = utc(2025, 1, 13, 7)
    assert catch_up(due, utc(2025, 1, 10), plan) == (False, due)


# --- time zones from language and from what people type -----------------------------------


@pytest.mark.parametrize(
    "text, zone",
    [
        ("Europe/London", "Europe/London"),
        ("london", "Europe/London"),
        ("New York", "America/New_York"),
        ("TOKYO", "Asia/Tokyo"),
        ("utc", "UTC"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_find_timezone_from_what_people_type(text, zone):
    assert find_timezone(text) == zone


def test_describe_plan_in_both_languages():
    plan = ReminderPlan(days=(MON, WED, FRI), time="07:30", tz="Asia/Tokyo")
    assert describe(plan, "en") == "Mon, Wed, Fri at 07:30 (Asia/Tokyo)"
    assert describe(plan, "ja") == "月・水・金 07:30（Asia/Tokyo）"
    assert (
        describe(ReminderPlan(days=tuple(range(7)), time="20:00", tz="UTC"), "en")
        == "every day at 20:00 (UTC)"
    )
