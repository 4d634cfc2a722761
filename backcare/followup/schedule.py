"""Reminder times: the patient's days and time in their own time zone, as UTC instants.

Due times are computed from the wall clock of the patient's zone (zoneinfo), so a
07:30 reminder stays at 07:30 local across daylight-saving changes. A wall time that
does not exist (the spring-forward gap) rolls forward by the gap (02:30 -> 03:30 in
New York); one that happens twice (fall back) fires at the first. Storage and job
scheduling are the bot's: this module only computes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as WallTime  # the plan has a field named time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from backcare.content.texts import WEEKDAYS, default_texts
from backcare.kernel.catalogue import Catalogue

UTC = UTC
# what people type once normalised (NFKC: full-width digits): "7:30", "07.30", "19時",
# "7時30分", "7h", "8"
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.時h]\s*(\d{2})?\s*分?)?$")


class ScheduleError(ValueError):
    """A reminder setting that cannot be used. ``reason`` is a stable code for the dialogs."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class ReminderPlan:
    days: tuple[int, ...]  # weekdays, Monday=0 .. Sunday=6
    time: str  # "HH:MM", local wall time
    tz: str  # IANA zone, e.g. "Europe/London"

    def __post_init__(self) -> None:
        days = tuple(sorted(set(self.days)))
        if not days or any(
            isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days
        ):
            raise ScheduleError(
                "bad_days", f"days must be weekdays 0 (Monday) to 6 (Sunday), got {self.days!r}"
            )
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "time", parse_time(self.time))
        zone(self.tz)  # raises ScheduleError for an unknown zone

    @property
    def wall_time(self) -> WallTime:
        hours, minutes = self.time.split(":")
        return WallTime(int(hours), int(minutes))

    def to_dict(self) -> dict:
        return {"days": list(self.days), "time": self.time, "tz": self.tz}

    @classmethod
    def from_dict(cls, data: dict) -> ReminderPlan:
        try:
            return cls(days=tuple(data["days"]), time=data["time"], tz=data["tz"])
        except (KeyError, TypeError) as exc:
            raise ScheduleError("bad_plan", f"not a reminder plan: {data!r}") from exc


def parse_time(text: str) -> str:
    """ "7:30", "07.30", "19:05", "19時", "7時30分", "7h", "8" (full-width digits too) ->
    "HH:MM". Raises ScheduleError("bad_time")."""
    norm = unicodedata.normalize("NFKC", text).strip().lower() if isinstance(text, str) else ""
    match = _TIME.match(norm)
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour <= 23 and minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    raise ScheduleError("bad_time", f"time must be HH:MM from 00:00 to 23:59, got {text!r}")


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``. Raises ScheduleError for an unknown or malformed name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ScheduleError("bad_timezone", f"unknown time zone {name!r}") from exc


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ScheduleError(
            "naive_datetime", f"{name} must be a timezone-aware datetime, got {moment!r}"
        )
    return moment


def local_due(day: date, plan: ReminderPlan) -> datetime:
    """The UTC instant of the plan's wall time on ``day`` in the plan's zone.

    fold=0 gives the first of two ambiguous instants, and for a wall time inside a
    spring-forward gap the offset before the change, i.e. the time rolled forward by the gap.
    """
    local = datetime.combine(day, plan.wall_time, tzinfo=zone(plan.tz))
    return local.astimezone(UTC)


def next_due(plan: ReminderPlan, after: datetime) -> datetime:
    """The first reminder strictly after ``after`` (aware), as an aware UTC datetime."""
    after = _aware(after, "after")
    start = after.astimezone(zone(plan.tz)).date()
    # A week and a day covers every weekday even when today's time has passed.
    for offset in range(9):
        day = start + timedelta(days=offset)
        if day.weekday() in plan.days:
            due = local_due(day, plan)
            if due > after:
                return due
    raise AssertionError("unreachable: a plan has at least one weekday")


def catch_up(due: datetime, now: datetime, plan: ReminderPlan) -> tuple[bool, datetime]:
    """After a restart (or at a job tick): (fire now?, the next due time, always after ``now``).

    A reminder that fell due while the service was down fires once, however many
    were missed; the next one is the first due time after ``now``.
    """
    due = _aware(due, "due")
    now = _aware(now, "now")
    if due > now:
        return False, due.astimezone(UTC)
    return True, next_due(plan, now)


def parse_zone(text: str) -> str:
    """:func:`find_timezone`, or ScheduleError("bad_timezone") when there is none."""
    found = find_timezone(text)
    if found is None:
        raise ScheduleError("bad_timezone", f"unknown time zone {text!r}")
    return found


def find_timezone(text: str) -> str | None:
    """An IANA zone from what a patient typed: "Europe/London", "london", "New York", "tokyo"
    (a city that names one zone only)."""
    if not isinstance(text, str) or not text.strip():
        return None
    wanted = unicodedata.normalize("NFKC", text).strip().replace(" ", "_").lower()
    names = _zone_names()
    if wanted in names:
        return names[wanted]
    cities = _city_names()
    return cities.get(wanted)


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()} | {"utc": "UTC"}


@lru_cache(maxsize=1)
def _city_names() -> dict[str, str]:
    """Last path component -> zone, for unambiguous cities under the regional areas."""
    seen: dict[str, list[str]] = {}
    for name in available_timezones():
        area, _, city = name.partition("/")
        if city and area in (
            "Africa",
            "America",
            "Antarctica",
            "Asia",
            "Atlantic",
            "Australia",
            "Europe",
            "Indian",
            "Pacific",
        ):
            seen.setdefault(city.rsplit("/", 1)[-1].lower(), []).append(name)
    return {city: sorted(zones)[0] for city, zones in seen.items() if len(zones) == 1}


def weekday(day: int, language: str, texts: Catalogue | None = None) -> str:
    """A weekday's short name (Monday = 0), e.g. "Mon", "月": the one list of them."""
    return (texts or default_texts()).get(f"schedule.weekdays.{WEEKDAYS[day]}", language)


def days_text(days: Iterable[int], language: str, texts: Catalogue | None = None) -> str:
    """The plan's days in words, e.g. "Mon, Wed, Fri" or "every day"."""
    texts = texts or default_texts()
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return texts.get("schedule.every_day", language)
    return texts.get("schedule.day_joiner", language).join(
        weekday(d, language, texts) for d in chosen
    )


def describe(plan: ReminderPlan, language: str, texts: Catalogue | None = None) -> str:
    """The plan in words, e.g. "Mon, Wed, Fri at 07:30 (Europe/London)"."""
    texts = texts or default_texts()
    days = days_text(plan.days, language, texts)
    return texts.get("schedule.plan", language, days=days, time=plan.time, tz=plan.tz)
