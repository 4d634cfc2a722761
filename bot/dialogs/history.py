"""The follow-up's memory in the dialog state: when the program started, the pain it started
from, the days planned, and the check-in records (what backcare.followup.checkin and backcare.followup.progress read).

``data.checkins`` is a list of records (bot.dialogs.state.CheckinRecord), oldest first,
at most KEEP_CHECKINS long:
    at, pain, done ("all" | "some" | "none", kept for older readers), outcome
    ("better" | "same" | "worse" | "red_flag"), and since issue 8 also n (1, 2, ...
    over the user's whole life: readers detect new records by a higher n), done_days,
    planned_days, red_flags, referral, reassess (a re-assessment was offered) and
    program (the program_started it belongs to; the state's migration gives older
    records the program they were counted in).
The list is trimmed only when a check-in starts, never in the turn that appends a
record, so a reader that compares list lengths between turns misses nothing either.
"""

from __future__ import annotations

import logging

from backcare.bot.dialogs.state import OLD_DONE_SHARE, CheckinRecord, DialogState
from backcare.followup.checkin import CheckIn, CheckinError, CheckinOutcome

log = logging.getLogger(__name__)

KEEP_CHECKINS = 100


def old_done_share(answer: object) -> float:
    """The share of planned days an old "done" answer stood for (0 for anything else)."""
    return OLD_DONE_SHARE.get(answer, 0.0) if isinstance(answer, str) else 0.0


def program_started(data: DialogState) -> str | None:
    """When the first program of this assessment was given (a re-assessment keeps it)."""
    return data.program_start()


def baseline_pain(data: DialogState) -> int | None:
    """Pain (0-10) at the assessment: what check-ins are compared with."""
    return data.baseline_pain()


def planned_days(data: DialogState) -> int:
    """Exercise days a week: the active reminder plan's days, else the program's dose."""
    return data.planned_days()


def done_word(done_days: int, planned: int) -> str:
    if planned and done_days >= planned:
        return "all"
    return "some" if done_days else "none"


def make_room(data: DialogState) -> None:
    """Leave room for one more record (called when a check-in starts, see the module doc)."""
    records = data.checkins
    if len(records) >= KEEP_CHECKINS:
        for n, record in enumerate(records, start=1):  # older records: numbered before any go
            if record.n is None:
                record.n = n
        del records[: len(records) - KEEP_CHECKINS + 1]


def add_record(
    data: DialogState, checkin: CheckIn, outcome: CheckinOutcome | None, kind: str
) -> CheckinRecord:
    records = data.checkins
    last = (records[-1].n or len(records)) if records else 0
    record = CheckinRecord(
        at=checkin.at,
        pain=checkin.pain,
        done=done_word(checkin.done_days, checkin.planned_days),
        outcome=kind,
        n=last + 1,
        done_days=checkin.done_days,
        planned_days=checkin.planned_days,
        red_flags=list(checkin.red_flags),
        referral=outcome.referral if outcome else None,
        reassess=bool(outcome and outcome.invite_reassessment),
        program=program_started(data),
    )
    records.append(record)
    del records[:-KEEP_CHECKINS]  # only ever trims a list someone else grew past the limit
    return record


def as_checkin(record: CheckinRecord, planned: int) -> CheckIn | None:
    """A stored record as a CheckIn, or None when it cannot be read."""
    try:
        if record.done_days is not None:
            return CheckIn.from_dict(record.to_json())
        done = round(old_done_share(record.done) * planned)
        return CheckIn(at=record.at, pain=record.pain, done_days=done, planned_days=planned)
    except (CheckinError, KeyError, TypeError):
        log.info("an unreadable check-in record was left out")
        return None


def checkins(data: DialogState) -> list[CheckIn]:
    """The check-ins of this program (since program_started), oldest first."""
    started = program_started(data)
    planned = planned_days(data)
    out = []
    for record in data.checkins:
        checkin = as_checkin(record, planned)
        if checkin is not None and record.program == started:
            out.append(checkin)
    return out
