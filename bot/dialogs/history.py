"""The follow-up's memory in the dialog state: when the program started, the pain it started
from, the days planned, and the check-in records (what backcare.followup.checkin and backcare.followup.progress read).

``data["checkins"]`` is a list of records, oldest first, at most KEEP_CHECKINS long:
    at, pain, done ("all" | "some" | "none", kept for older readers), outcome
    ("better" | "same" | "worse" | "red_flag"), and since issue 8 also n (1, 2, ...
    over the user's whole life: readers detect new records by a higher n), done_days,
    planned_days, red_flags, referral, reassess (a re-assessment was offered) and
    program (the program_started it belongs to).
The list is trimmed only when a check-in starts, never in the turn that appends a
record, so a reader that compares list lengths between turns misses nothing either.
"""

from __future__ import annotations

import logging
from typing import Any

from backcare.followup.checkin import CheckIn, CheckinError, CheckinOutcome, when

log = logging.getLogger(__name__)

KEEP_CHECKINS = 100
DEFAULT_PLANNED = 7  # no plan and no dose known: every day counts
OLD_DONE_SHARE = {"all": 1.0, "some": 0.5, "none": 0.0}  # records written before done_days existed


def old_done_share(answer: object) -> float:
    """The share of planned days an old "done" answer stood for (0 for anything else)."""
    return OLD_DONE_SHARE.get(answer, 0.0) if isinstance(answer, str) else 0.0


def program_started(data: dict) -> str | None:
    """When the first program of this assessment was given (a re-assessment keeps it)."""
    return data.get("program_started") or (
        (data.get("report") or {}).get("created") if data.get("report") else None
    )


def baseline_pain(data: dict) -> int | None:
    """Pain (0-10) at the assessment: what check-ins are compared with."""
    for source in (data.get("report") or {}, data.get("result") or {}):
        pain = (source.get("scores") or {}).get("pain")
        if isinstance(pain, (int, float)) and not isinstance(pain, bool) and 0 <= pain <= 10:
            return int(round(pain))
    return None


def planned_days(data: dict) -> int:
    """Exercise days a week: the active reminder plan's days, else the program's dose."""
    reminders = data.get("reminders") or {}
    if reminders.get("active") and reminders.get("days"):
        return len(reminders["days"])
    exercises = ((data.get("report") or {}).get("program") or {}).get("exercises") or []
    per_week = [
        ex["dose"]["days_per_week"]
        for ex in exercises
        if (ex.get("dose") or {}).get("days_per_week")
    ]
    return min(7, max(per_week)) if per_week else DEFAULT_PLANNED


def done_word(done_days: int, planned: int) -> str:
    if planned and done_days >= planned:
        return "all"
    return "some" if done_days else "none"


def make_room(data: dict) -> None:
    """Leave room for one more record (called when a check-in starts, see the module doc)."""
    records = data.get("checkins")
    if isinstance(records, list) and len(records) >= KEEP_CHECKINS:
        for n, record in enumerate(
            records, start=1
        ):  # records older than n: number them before any go
            if isinstance(record, dict):
                record.setdefault("n", n)
        del records[: len(records) - KEEP_CHECKINS + 1]


def add_record(data: dict, checkin: CheckIn, outcome: CheckinOutcome | None, kind: str) -> dict:
    records = data.setdefault("checkins", [])
    last = records[-1].get("n", len(records)) if records else 0
    record = {
        "at": checkin.at,
        "pain": checkin.pain,
        "done": done_word(checkin.done_days, checkin.planned_days),
        "outcome": kind,
        "n": last + 1,
        "done_days": checkin.done_days,
        "planned_days": checkin.planned_days,
        "red_flags": list(checkin.red_flags),
        "referral": outcome.referral if outcome else None,
        "reassess": bool(outcome and outcome.invite_reassessment),
        "program": program_started(data),
    }
    records.append(record)
    del records[:-KEEP_CHECKINS]  # only ever trims a list someone else grew past the limit
    return record


def as_checkin(record: Any, planned: int) -> CheckIn | None:
    """A stored record as a CheckIn, or None when it cannot be read."""
    if not isinstance(record, dict):
        return None
    try:
        if "done_days" in record:
            return CheckIn.from_dict(record)
        done = round(old_done_share(record.get("done")) * planned)
        return CheckIn(at=record["at"], pain=record["pain"], done_days=done, planned_days=planned)
    except (CheckinError, KeyError, TypeError):
        log.info("an unreadable check-in record was left out")
        return None


def checkins(data: dict) -> list[CheckIn]:
    """The check-ins of this program (since program_started), oldest first."""
    started = program_started(data)
    start = when(started) if started else None
    planned = planned_days(data)
    out = []
    for record in data.get("checkins") or []:
        checkin = as_checkin(record, planned)
        if checkin is None:
            continue
        mine = (
            record.get("program") == started
            if "program" in record
            else (start is None or when(checkin.at) >= start)
        )
        if mine:
            out.append(checkin)
    return out
