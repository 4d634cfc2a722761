"""Weekly check-ins: pain 0-10, exercise days done, red flags asked again -> what to advise.

Better or worse is judged against the smallest change in pain that matters (MCID:
2 points or 30%, Ostelo 2008; backcare/followup/settings.yaml), from the pain at the start of
the program (or the first check-in when the start is not known). A rise by the MCID
since the previous check-in counts as worse too: a flare-up after an improvement is
still a flare-up. Any red flag refers, with the most urgent urgency of the vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from backcare.content.texts import default_texts
from backcare.followup.settings import Followup, default_followup
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.vocabulary import URGENCIES, vocabulary

STATUSES = ("better", "same", "worse")


class CheckinError(ValueError):
    """A check-in that cannot be used. ``reason`` is a stable code for the dialogs."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class CheckIn:
    at: str  # ISO 8601 date or datetime of the check-in
    pain: int  # 0-10 numeric rating scale
    done_days: int  # days the exercises were done since the last check-in
    planned_days: int  # days they were planned for
    red_flags: tuple[str, ...] = ()  # vocabulary red-flag facts reported now

    def __post_init__(self) -> None:
        when(self.at)
        for name, value, high in (
            ("pain", self.pain, 10),
            ("done_days", self.done_days, 31),
            ("planned_days", self.planned_days, 31),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                raise CheckinError(
                    f"bad_{name}", f"{name} must be a whole number from 0 to {high}, got {value!r}"
                )
        known = vocabulary().red_flags()
        object.__setattr__(self, "red_flags", tuple(self.red_flags))
        for flag in self.red_flags:
            if flag not in known:
                raise CheckinError("bad_red_flag", f"unknown red flag {flag!r}")

    def to_dict(self) -> dict:
        return {
            "at": self.at,
            "pain": self.pain,
            "done_days": self.done_days,
            "planned_days": self.planned_days,
            "red_flags": list(self.red_flags),
        }

    @classmethod
    def from_dict(cls, data: dict) -> CheckIn:
        """From a stored record (extra keys ignored). Raises CheckinError when unusable."""
        try:
            return cls(
                at=data["at"],
                pain=data["pain"],
                done_days=data["done_days"],
                planned_days=data["planned_days"],
                red_flags=tuple(data.get("red_flags") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise CheckinError("bad_record", f"not a check-in: {data!r}") from exc

    @property
    def adherence(self) -> float | None:
        """Share of planned days done, in percent (capped at 100), or None when none were planned."""
        if self.planned_days == 0:
            return None
        return min(100.0, 100.0 * self.done_days / self.planned_days)


@dataclass(frozen=True)
class CheckinOutcome:
    status: str  # "better" | "same" | "worse"
    referral: str | None  # None, or the most urgent red flag's urgency
    advice: dict[str, str]  # language -> what to do now
    invite_reassessment: bool  # offer new photos to compare before and after
    reference_pain: int | None = None  # the pain compared with (start of program)
    change: int | None = None  # new pain - reference pain
    mcid: float | None = None  # the smallest change that matters from the reference
    red_flags: tuple[str, ...] = field(default_factory=tuple)


def when(at: str) -> datetime:
    """The check-in time as an aware datetime (a date or a naive time is taken as UTC)."""
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError) as exc:
        raise CheckinError("bad_time", f"check-in time must be ISO 8601, got {at!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def classify(reference: int, pain: int, settings: Followup | None = None) -> str:
    """better | same | worse: a change of at least the MCID from ``reference``."""
    threshold = (settings or default_followup()).mcid(reference)
    change = pain - reference
    if change <= -threshold:
        return "better"
    if change >= threshold:
        return "worse"
    return "same"


def referral_for(flags: Sequence[str]) -> str | None:
    """The most urgent urgency among red-flag facts, or None."""
    urgencies = vocabulary().red_flags()
    found = {urgencies[f] for f in flags if f in urgencies}
    return next((u for u in URGENCIES if u in found), None)


def evaluate(
    baseline_pain: int | None,
    history: Sequence[CheckIn],
    new: CheckIn,
    *,
    program_started: str | None = None,
    settings: Followup | None = None,
    texts: Catalogue | None = None,
) -> CheckinOutcome:
    """What a new check-in means and what to advise.

    baseline_pain:   pain when the program started (None if not known: the first check-in is used)
    history:         earlier check-ins of this program, any order
    program_started: ISO time the first program was given (default: the first check-in);
                     a re-assessment is offered each time another ``reassess_after_days`` pass
    """
    settings = settings or default_followup()
    texts = texts or default_texts()
    if baseline_pain is not None and (
        isinstance(baseline_pain, bool)
        or not isinstance(baseline_pain, int)
        or not 0 <= baseline_pain <= 10
    ):
        raise CheckinError("bad_baseline", f"baseline pain must be 0 to 10, got {baseline_pain!r}")
    earlier = sorted(history, key=lambda c: when(c.at))
    reference = (
        baseline_pain if baseline_pain is not None else (earlier[0].pain if earlier else new.pain)
    )
    previous = earlier[-1] if earlier else None

    status = classify(reference, new.pain, settings)
    flare = previous is not None and classify(previous.pain, new.pain, settings) == "worse"
    if flare:
        status = "worse"
    # Worse at the previous check-in too (against the start or the one before it)?
    worse_before = False
    if previous is not None:
        before_previous = earlier[-2].pain if len(earlier) >= 2 else None
        worse_before = classify(reference, previous.pain, settings) == "worse" or (
            before_previous is not None
            and classify(before_previous, previous.pain, settings) == "worse"
        )

    referral = referral_for(new.red_flags)
    start = when(program_started) if program_started else when(earlier[0].at if earlier else new.at)
    invite = referral is None and _period_crossed(
        start, previous, new, settings.reassess_after_days
    )

    parts: list[str] = []
    if referral is not None:
        parts.append(f"checkin.referral.{referral}")
        values: dict[str, dict] = {}
    else:
        key = "checkin.worse_again" if status == "worse" and worse_before else f"checkin.{status}"
        parts.append(key)
        values = {
            key: {"before": reference, "now": new.pain} if key != "checkin.worse_again" else {}
        }
        adherence = new.adherence
        if adherence is not None and adherence < settings.low_adherence_percent:
            parts.append("checkin.low_adherence")
            values["checkin.low_adherence"] = {"done": new.done_days, "planned": new.planned_days}
        if invite:
            weeks = (when(new.at) - start).days // 7
            parts.append("checkin.reassess")
            values["checkin.reassess"] = {"weeks": weeks}
    advice = {
        lang: "\n\n".join(texts.get(k, lang, **values.get(k, {})) for k in parts)
        for lang in LANGUAGES
    }
    return CheckinOutcome(
        status=status,
        referral=referral,
        advice=advice,
        invite_reassessment=invite,
        reference_pain=reference,
        change=new.pain - reference,
        mcid=settings.mcid(reference),
        red_flags=new.red_flags,
    )


def _period_crossed(start: datetime, previous: CheckIn | None, new: CheckIn, days: int) -> bool:
    """True when this check-in is the first after another full period since the start."""
    period = timedelta(days=days)
    now = when(new.at)
    before = when(previous.at) if previous is not None else start
    return (now - start) // period > max(timedelta(0), before - start) // period
