"""The dialog state, typed and versioned: the whole truth about one user's conversation.

:class:`DialogState` and its parts are dataclasses; the dialogs read and change them
through attributes, the Telegram adapter and the tests through the read methods at the
end of :class:`DialogState` (``asked()``, ``reminder_plan()``, ...), never through keys.

Storage keeps a JSON document (``to_json``) and hands it back (``from_json``), which
migrates a document written by an older version and returns None for one it cannot
use (the conversation then starts over; the reason is logged). The document keeps the
shape of version 1, so an export stays readable and storage needs no change.

Versions:
    1  the untyped dict of issue 15 and before. ``session`` could be missing, a check-in
       in progress could hold the old "done" word (all / some / none) instead of
       ``done_days``, check-in records could lack ``n`` (their number) and ``program``
       (the program they belong to).
    2  this module: every part typed; the migration fills what version 1 left out.

Two parts stay JSON documents on purpose: the report summary (``report``,
``previous_report``: results.summarise() writes it, storage also keeps it as an
assessment) and the interview result (``result``: backcare.interview.InterviewResult's
own ``to_dict``); photo results are backcare.report.PhotoResult's ``to_dict``.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

log = logging.getLogger(__name__)

STATE_VERSION = 2
JSON = dict[str, Any]
DEFAULT_PLANNED = 7  # no plan and no dose known: every day counts
OLD_DONE_SHARE = {"all": 1.0, "some": 0.5, "none": 0.0}  # check-ins before done_days existed

T = TypeVar("T")


class Unusable(ValueError):
    """A stored state (or a part of it) this version cannot read."""


# -- reading JSON values -------------------------------------------------------------------
def _opt_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    raise Unusable(f"{key}: not a string")


def _str(raw: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if isinstance(value, str):
        return value
    raise Unusable(f"{key}: not a string")


def _opt_int(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise Unusable(f"{key}: not a whole number")
    return int(value)


def _strs(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key) or []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise Unusable(f"{key}: not a list of strings")


def _ints(raw: Mapping[str, Any], key: str) -> list[int]:
    value = raw.get(key) or []
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return list(value)
    raise Unusable(f"{key}: not a list of whole numbers")


def _doc(raw: Mapping[str, Any], key: str) -> JSON | None:
    value = raw.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise Unusable(f"{key}: not a mapping")


def _docs(raw: Mapping[str, Any], key: str) -> dict[str, JSON]:
    value = raw.get(key) or {}
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return dict(value)
    raise Unusable(f"{key}: not a mapping of mappings")


def _part(raw: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], T]) -> T | None:
    value = raw.get(key)
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise Unusable(f"{key}: not a mapping")
    try:
        return parse(value)
    except Unusable as exc:
        raise Unusable(f"{key}.{exc}") from None


def _drop_empty(doc: JSON) -> JSON:
    return {k: v for k, v in doc.items() if v is not None}


def when(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- the parts -----------------------------------------------------------------------------
@dataclass
class Consent:
    data: bool = False  # answers and results may be kept (the required consent)
    keep_photos: bool = False  # photos may be kept too (optional, asked only when offered)
    at: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Consent:
        return cls(
            data=raw.get("data") is True,
            keep_photos=raw.get("keep_photos") is True,
            at=_opt_str(raw, "at"),
        )

    def to_json(self) -> JSON:
        return _drop_empty({"data": self.data, "keep_photos": self.keep_photos, "at": self.at})


@dataclass
class InterviewProgress:
    """The interview version started on, the answers, the way back and the question now."""

    digest: str | None
    version: str
    answers: dict[str, Any] = field(default_factory=dict)  # question id -> stored value
    history: list[str] = field(default_factory=list)  # answered questions in order
    current: str | None = None  # asked now; None when finished
    pending: list[str] = field(default_factory=list)  # a multiple choice being ticked
    started: str | None = None
    finished: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> InterviewProgress:
        answers = raw.get("answers") or {}
        if not isinstance(answers, dict):
            raise Unusable("answers: not a mapping")
        version = raw.get("version", "")
        return cls(
            digest=_opt_str(raw, "digest"),
            version=str(version) if version is not None else "",
            answers=copy.deepcopy(answers),
            history=_strs(raw, "history"),
            current=_opt_str(raw, "current"),
            pending=_strs(raw, "pending"),
            started=_opt_str(raw, "started"),
            finished=_opt_str(raw, "finished"),
        )

    def to_json(self) -> JSON:
        doc: JSON = {
            "digest": self.digest,
            "version": self.version,
            "answers": copy.deepcopy(self.answers),
            "history": list(self.history),
            "current": self.current,
            "pending": list(self.pending),
        }
        if self.started is not None:
            doc["started"] = self.started
        if self.finished is not None:
            doc["finished"] = self.finished
        return doc


@dataclass
class Referral:
    """Self-care stopped for a red flag: the messages are kept so nothing can lose them."""

    origin: str  # "interview" or "checkin"
    urgency: str | None = None
    rules: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)  # {language: text}
    at: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Referral:
        messages = raw.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise Unusable("messages: not a list of texts")
        return cls(
            origin=_str(raw, "origin", ""),
            urgency=_opt_str(raw, "urgency"),
            rules=_strs(raw, "rules"),
            facts=_strs(raw, "facts"),
            messages=[dict(m) for m in messages],
            at=_opt_str(raw, "at"),
        )

    def to_json(self) -> JSON:
        return {
            "origin": self.origin,
            "urgency": self.urgency,
            "rules": list(self.rules),
            "facts": list(self.facts),
            "messages": [dict(m) for m in self.messages],
            "at": self.at,
        }


@dataclass
class PhotoProgress:
    """The capture: the step asked now, the latest result per step, steps skipped, tries."""

    index: int = 0
    results: dict[str, JSON] = field(default_factory=dict)  # step -> PhotoResult.to_dict()
    skipped: list[str] = field(default_factory=list)
    tries: dict[str, int] = field(default_factory=dict)  # step -> photos sent
    pending: JSON | None = None  # a photo that looked like another movement, awaiting [use it]

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PhotoProgress:
        tries = raw.get("tries") or {}
        if not isinstance(tries, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in tries.values()
        ):
            raise Unusable("tries: not a mapping of counts")
        return cls(
            index=_opt_int(raw, "index") or 0,
            results=copy.deepcopy(_docs(raw, "results")),
            skipped=_strs(raw, "skipped"),
            tries=dict(tries),
            pending=copy.deepcopy(_doc(raw, "pending")),
        )

    def to_json(self) -> JSON:
        doc: JSON = {
            "index": self.index,
            "results": copy.deepcopy(self.results),
            "skipped": list(self.skipped),
            "tries": dict(self.tries),
        }
        if self.pending is not None:
            doc["pending"] = copy.deepcopy(self.pending)
        return doc

    def accepted(self) -> int:
        return sum(1 for r in self.results.values() if r.get("accepted"))


@dataclass
class ReminderPlan:
    """What the adapter schedules from: weekdays (Monday = 0), local time, zone, on or off."""

    days: list[int]
    time: str  # "HH:MM"
    tz: str  # "Area/City"
    active: bool = True

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ReminderPlan:
        return cls(
            days=_ints(raw, "days"),
            time=_str(raw, "time", ""),
            tz=_str(raw, "tz", ""),
            active=raw.get("active") is True,
        )

    def to_json(self) -> JSON:
        return {"days": list(self.days), "time": self.time, "tz": self.tz, "active": self.active}

    @property
    def complete(self) -> bool:
        return bool(self.days and self.time and self.tz)


@dataclass
class ReminderDraft:
    """The reminder set-up in progress."""

    days: list[int] | None = None
    time: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ReminderDraft:
        return cls(days=_ints(raw, "days") if "days" in raw else None, time=_opt_str(raw, "time"))

    def to_json(self) -> JSON:
        return _drop_empty({"days": self.days, "time": self.time})


@dataclass
class CheckinProgress:
    """A check-in while it runs: pain, the days planned and done, warning signs asked again."""

    pain: int | None = None
    planned: int | None = None
    done_days: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    current: str | None = None
    pending: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CheckinProgress:
        answers = raw.get("answers") or {}
        if not isinstance(answers, dict):
            raise Unusable("answers: not a mapping")
        return cls(
            pain=_opt_int(raw, "pain"),
            planned=_opt_int(raw, "planned"),
            done_days=_opt_int(raw, "done_days"),
            answers=copy.deepcopy(answers),
            current=_opt_str(raw, "current"),
            pending=_strs(raw, "pending"),
        )

    def to_json(self) -> JSON:
        return {
            "pain": self.pain,
            "planned": self.planned,
            "done_days": self.done_days,
            "answers": copy.deepcopy(self.answers),
            "current": self.current,
            "pending": list(self.pending),
        }


@dataclass
class CheckinRecord:
    """One finished check-in (bot/dialogs/history.py writes them; storage keeps them too).

    done is the old word ("all" | "some" | "none"), kept for older readers; outcome is
    "better" | "same" | "worse" | "red_flag"; n numbers them over the user's whole life
    (readers detect new records by a higher n); program is the program_started the
    check-in belongs to. Records from before issue 8 have no done_days or planned_days."""

    at: str
    pain: int
    done: str = "none"
    outcome: str | None = None
    n: int | None = None
    done_days: int | None = None
    planned_days: int | None = None
    red_flags: list[str] = field(default_factory=list)
    referral: str | None = None
    reassess: bool = False
    program: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CheckinRecord:
        at = raw.get("at")
        if not isinstance(at, str):
            raise Unusable("at: not a time")
        pain = _opt_int(raw, "pain")
        if pain is None:
            raise Unusable("pain: missing")
        done = raw.get("done")
        return cls(
            at=at,
            pain=pain,
            done=done if isinstance(done, str) else "none",
            outcome=_opt_str(raw, "outcome"),
            n=_opt_int(raw, "n"),
            done_days=_opt_int(raw, "done_days"),
            planned_days=_opt_int(raw, "planned_days"),
            red_flags=_strs(raw, "red_flags"),
            referral=_opt_str(raw, "referral"),
            reassess=raw.get("reassess") is True,
            program=_opt_str(raw, "program"),
        )

    def to_json(self) -> JSON:
        doc: JSON = {
            "at": self.at,
            "pain": self.pain,
            "done": self.done,
            "outcome": self.outcome,
            "n": self.n,
            "done_days": self.done_days,
            "planned_days": self.planned_days,
            "red_flags": list(self.red_flags),
            "referral": self.referral,
            "reassess": self.reassess,
            "program": self.program,
        }
        if self.done_days is None:  # a record from before issue 8: as it was
            del doc["done_days"], doc["planned_days"]
        return doc


@dataclass
class Reassessment:
    """Offered by a check-in (invited), running while the photos are retaken (started)."""

    invited: str | None = None
    started: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Reassessment:
        return cls(invited=_opt_str(raw, "invited"), started=_opt_str(raw, "started"))

    def to_json(self) -> JSON:
        doc: JSON = {"invited": self.invited}
        if self.started is not None:
            doc["started"] = self.started
        return doc


# -- the whole state --------------------------------------------------------------------------
@dataclass
class DialogState:
    step: str
    language: str
    session: str
    created: str
    updated: str
    consent: Consent | None = None
    interview: InterviewProgress | None = None
    result: JSON | None = None  # backcare.interview.InterviewResult.to_dict()
    referral: Referral | None = None
    photos: PhotoProgress | None = None
    report: JSON | None = None  # bot/dialogs/results.summarise(): what is kept of a Report
    previous_report: JSON | None = None  # the one before a re-assessment, to compare with
    program_started: str | None = None  # check-ins count from here
    reminders: ReminderPlan | None = None
    reminder_draft: ReminderDraft | None = None
    checkin: CheckinProgress | None = None
    checkins: list[CheckinRecord] = field(default_factory=list)  # oldest first
    reassessment: Reassessment | None = None
    done_log: list[str] = field(default_factory=list)  # dates the reminder's "done" was pressed
    extra: JSON = field(default_factory=dict)  # keys this version does not know, kept as they were

    @classmethod
    def new(cls, language: str, now: datetime) -> DialogState:
        stamp = now.isoformat(timespec="seconds")
        return cls(
            step="consent",
            language=language,
            session=uuid.uuid4().hex,
            created=stamp,
            updated=stamp,
        )

    def copy(self) -> DialogState:
        return copy.deepcopy(self)

    # -- what the adapter and the tests read ------------------------------------------------
    def asked(self) -> str | None:
        """The interview question waiting for an answer, if the user is in the interview."""
        if self.step != "interview" or self.interview is None:
            return None
        return self.interview.current

    def last_answered(self) -> str | None:
        """The interview question answered last (what an edit of the latest answer changes)."""
        if self.step != "interview" or self.interview is None or not self.interview.history:
            return None
        return self.interview.history[-1]

    def reminder_plan(self) -> ReminderPlan | None:
        """The reminder plan when it is on and complete (what the adapter schedules), else None."""
        plan = self.reminders
        return plan if plan is not None and plan.active and plan.complete else None

    def keeps_photos(self) -> bool:
        """Whether the patient agreed to keep their photos."""
        return self.consent is not None and self.consent.keep_photos

    def consents(self) -> dict[str, bool]:
        """What the patient agreed to (the user profile keeps it)."""
        if self.consent is None:
            return {}
        return {"data": self.consent.data, "keep_photos": self.consent.keep_photos}

    def zone(self) -> str | None:
        return self.reminders.tz if self.reminders is not None and self.reminders.tz else None

    def answers(self) -> dict[str, Any]:
        return dict(self.interview.answers) if self.interview is not None else {}

    def report_created(self) -> str | None:
        created = (self.report or {}).get("created")
        return created if isinstance(created, str) else None

    def checkin_times(self) -> list[str]:
        return [c.at for c in self.checkins]

    def program_start(self) -> str | None:
        """When the first program of this assessment was given (a re-assessment keeps it)."""
        return self.program_started or (self.report_created() if self.report else None)

    def baseline_pain(self) -> int | None:
        """Pain (0-10) at the assessment: what check-ins are compared with."""
        for source in (self.report or {}, self.result or {}):
            pain = (source.get("scores") or {}).get("pain")
            if isinstance(pain, (int, float)) and not isinstance(pain, bool) and 0 <= pain <= 10:
                return int(round(pain))
        return None

    def exercises(self) -> list[JSON]:
        program = (self.report or {}).get("program") or {}
        return list(program.get("exercises") or [])

    def planned_days(self) -> int:
        """Exercise days a week: the active reminder plan's days, else the program's dose."""
        if self.reminders is not None and self.reminders.active and self.reminders.days:
            return len(self.reminders.days)
        per_week = [
            ex["dose"]["days_per_week"]
            for ex in self.exercises()
            if (ex.get("dose") or {}).get("days_per_week")
        ]
        return min(7, max(per_week)) if per_week else DEFAULT_PLANNED

    # -- JSON -------------------------------------------------------------------------------
    def to_json(self) -> JSON:
        """The JSON document storage keeps (plain JSON: tuples become lists, a copy)."""
        doc: JSON = dict(self.extra)
        doc.update(
            v=STATE_VERSION,
            step=self.step,
            language=self.language,
            session=self.session,
            created=self.created,
            updated=self.updated,
        )
        parts: dict[str, Any] = {
            "consent": self.consent,
            "interview": self.interview,
            "referral": self.referral,
            "photos": self.photos,
            "reminders": self.reminders,
            "reminder_draft": self.reminder_draft,
            "checkin": self.checkin,
            "reassessment": self.reassessment,
        }
        for key, part in parts.items():
            if part is not None:
                doc[key] = part.to_json()
        for key, value in (
            ("result", self.result),
            ("report", self.report),
            ("previous_report", self.previous_report),
            ("program_started", self.program_started),
        ):
            if value is not None:
                doc[key] = value
        if self.checkins:
            doc["checkins"] = [c.to_json() for c in self.checkins]
        if self.done_log:
            doc["done_log"] = list(self.done_log)
        plain: JSON = json.loads(json.dumps(doc))
        return plain

    @classmethod
    def from_json(cls, raw: object) -> DialogState | None:
        """The state in a stored document (migrated from an older version), or None when
        there is none or it cannot be used (logged: the conversation starts over)."""
        if not raw:
            return None
        if not isinstance(raw, Mapping):
            log.warning("unusable dialog state (not a mapping): starting over")
            return None
        version = raw.get("v")
        try:
            if version == 1:
                return _read(_migrate_v1(raw))
            if version == STATE_VERSION:
                return _read(raw)
        except (Unusable, TypeError, ValueError) as exc:
            log.warning("unusable dialog state (version %r): %s: starting over", version, exc)
            return None
        log.warning(
            "unusable dialog state (version %r, step %r): starting over", version, raw.get("step")
        )
        return None


KNOWN = {
    "v",
    "step",
    "language",
    "session",
    "created",
    "updated",
    "consent",
    "interview",
    "result",
    "referral",
    "photos",
    "report",
    "previous_report",
    "program_started",
    "reminders",
    "reminder_draft",
    "checkin",
    "checkins",
    "reassessment",
    "done_log",
}


def _read(raw: Mapping[str, Any]) -> DialogState:
    step, language = raw.get("step"), raw.get("language")
    if not isinstance(step, str) or not step or not isinstance(language, str) or not language:
        raise Unusable("no step or no language")
    records = raw.get("checkins") or []
    if not isinstance(records, list):
        raise Unusable("checkins: not a list")
    checkins = []
    for record in records:
        try:
            if not isinstance(record, dict):
                raise Unusable("not a mapping")
            checkins.append(CheckinRecord.from_json(record))
        except Unusable:
            log.info("an unreadable check-in record was left out")
    created = raw.get("created")
    stamp = created if isinstance(created, str) else ""
    return DialogState(
        step=step,
        language=language,
        session=_str(raw, "session"),
        created=stamp,
        updated=_str(raw, "updated", stamp),
        consent=_part(raw, "consent", Consent.from_json),
        interview=_part(raw, "interview", InterviewProgress.from_json),
        result=copy.deepcopy(_doc(raw, "result")),
        referral=_part(raw, "referral", Referral.from_json),
        photos=_part(raw, "photos", PhotoProgress.from_json),
        report=copy.deepcopy(_doc(raw, "report")),
        previous_report=copy.deepcopy(_doc(raw, "previous_report")),
        program_started=_opt_str(raw, "program_started"),
        reminders=_part(raw, "reminders", ReminderPlan.from_json),
        reminder_draft=_part(raw, "reminder_draft", ReminderDraft.from_json),
        checkin=_part(raw, "checkin", CheckinProgress.from_json),
        checkins=checkins,
        reassessment=_part(raw, "reassessment", Reassessment.from_json),
        done_log=_strs(raw, "done_log"),
        extra={k: copy.deepcopy(v) for k, v in raw.items() if k not in KNOWN},
    )


def _migrate_v1(raw: Mapping[str, Any]) -> JSON:
    """A version 1 document in version 2's shape (the same keys; what was optional, filled)."""
    doc: JSON = copy.deepcopy(dict(raw))
    doc["v"] = STATE_VERSION
    if not isinstance(doc.get("session"), str) or not doc["session"]:
        doc["session"] = uuid.uuid4().hex
    created = doc.get("created") if isinstance(doc.get("created"), str) else ""
    doc.setdefault("created", created)
    doc.setdefault("updated", created)
    for key in ("photos", "reminder_draft", "checkin", "reassessment", "consent"):
        if doc.get(key) == {}:
            del doc[key]
    records = doc.get("checkins")
    if isinstance(records, list):
        _number_records(records, doc)
    checkin = doc.get("checkin")
    if isinstance(checkin, dict) and checkin.get("done_days") is None and "done" in checkin:
        # a check-in begun before days were counted: its old answer, in days
        planned = checkin.get("planned") or _read(doc).planned_days()
        share = checkin.pop("done")
        checkin["planned"] = planned
        checkin["done_days"] = round(
            (OLD_DONE_SHARE.get(share, 0.0) if isinstance(share, str) else 0.0) * planned
        )
    return doc


def _number_records(records: list[Any], doc: JSON) -> None:
    """Number the records without a number (their place) and tie the ones without a program
    to the program they were counted in: since it started, or none."""
    started = doc.get("program_started") or (
        (doc.get("report") or {}).get("created") if doc.get("report") else None
    )
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            continue
        record.setdefault("n", n)
        if "program" in record:
            continue
        mine = True
        if isinstance(started, str) and isinstance(record.get("at"), str):
            try:
                mine = when(record["at"]) >= when(started)
            except ValueError:
                mine = False
        record["program"] = started if mine else None
