"""From answers to what the rest of the pipeline needs: facts, scores, red flags, profile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backcare.assessment.types import SEXES, Profile
from backcare.interview.conditions import evaluate
from backcare.interview.model import Interview, RedFlagRule
from backcare.interview.scoring import compute_scores
from backcare.interview.triage import ROUTINE, Triage, judge
from backcare.kernel.vocabulary import STOPS, URGENCIES


@dataclass(frozen=True)
class InterviewResult:
    """What the interview established.

    facts:       vocabulary facts that hold
    false_facts: vocabulary facts known not to hold (asked, answered otherwise)
    scores:      e.g. {"startback_total": 5.0, "startback_psych": 2.0, "bmi": 24.1, "pain": 6.0}
    red_flags:   red-flag fact -> urgency ("emergency" | "urgent" | "soon" | "routine")
    profile:     age and sex for the reference ranges of assessment/
    version:     the interview's content hash (``Interview.digest``)
    red_flag_rules: ids of the red-flag rules that fired, for their messages
    triage:      the combined red-flag judgement (backcare/interview/triage.py)
    """

    facts: frozenset[str]
    false_facts: frozenset[str]
    scores: dict[str, float]
    red_flags: dict[str, str]
    profile: Profile
    version: str = ""
    red_flag_rules: tuple[str, ...] = field(default=())
    triage: Triage = field(default_factory=lambda: Triage(ROUTINE))

    @property
    def urgency(self) -> str | None:
        """The triage level when it stops self-care, or None."""
        return self.triage.level if self.triage.stops else None

    def to_dict(self) -> dict:
        return {
            "facts": sorted(self.facts),
            "false_facts": sorted(self.false_facts),
            "scores": dict(self.scores),
            "red_flags": dict(self.red_flags),
            "profile": {"age": self.profile.age, "sex": self.profile.sex},
            "version": self.version,
            "red_flag_rules": list(self.red_flag_rules),
            "triage": self.triage.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterviewResult:
        profile = data.get("profile") or {}
        red_flags = dict(data.get("red_flags") or {})
        if data.get("triage"):
            triage = Triage.from_dict(data["triage"])
        else:  # stored before triage: every fired red flag stopped self-care
            level = most_urgent(red_flags.values())
            triage = Triage(
                level if level in STOPS else ROUTINE, tuple(data.get("red_flag_rules", ()))
            )
        return cls(
            facts=frozenset(data.get("facts", ())),
            false_facts=frozenset(data.get("false_facts", ())),
            scores={k: float(v) for k, v in (data.get("scores") or {}).items()},
            red_flags=red_flags,
            profile=Profile(age=profile.get("age"), sex=profile.get("sex")),
            version=data.get("version", ""),
            red_flag_rules=tuple(data.get("red_flag_rules", ())),
            triage=triage,
        )


def most_urgent(urgencies) -> str | None:
    given = set(urgencies)
    ranked = [u for u in URGENCIES if u in given]
    return ranked[0] if ranked else None


def red_flags_now(
    interview: Interview, answers: Mapping[str, Any], scores: Mapping[str, float] | None = None
) -> list[RedFlagRule]:
    """The red-flag rules that surely hold on the answers so far (any level, advice too)."""
    if scores is None:
        scores = compute_scores(interview, answers)
    return [rule for rule in interview.red_flags if evaluate(rule.when, answers, scores) is True]


def profile_of(interview: Interview, answers: Mapping[str, Any]) -> Profile:
    age = answers.get(interview.profile_age) if interview.profile_age else None
    sex = answers.get(interview.profile_sex) if interview.profile_sex else None
    if isinstance(age, bool) or not isinstance(age, (int, float)) or not 0 <= age <= 130:
        age = None  # validated answers never get here; a raw mapping might
    return Profile(age=int(age) if age is not None else None, sex=sex if sex in SEXES else None)


def derive(interview: Interview, answers: Mapping[str, Any]) -> InterviewResult:
    """Facts (true and false), scores, red flags and profile from validated answers."""
    scores = compute_scores(interview, answers)
    facts: set[str] = set()
    false_facts: set[str] = set()
    for name, rule in interview.facts.items():
        value = evaluate(rule.when, answers, scores)
        if value is True:
            facts.add(name)
        elif value is False:
            false_facts.add(name)
    red_flags: dict[str, str] = {}
    fired: list[str] = []
    outcome: dict[str, list[bool | None]] = {}
    for flag in interview.red_flags:
        value = evaluate(flag.when, answers, scores)
        if value is True:
            fired.append(flag.id)
        if flag.fact is None:  # advice only
            continue
        outcome.setdefault(flag.fact, []).append(value)
        if value is True:
            red_flags[flag.fact] = (
                most_urgent([red_flags.get(flag.fact, flag.urgency), flag.urgency]) or flag.urgency
            )
    for fact, values in outcome.items():
        if any(v is True for v in values):
            facts.add(fact)
        elif all(v is False for v in values):
            false_facts.add(fact)
    return InterviewResult(
        facts=frozenset(facts),
        false_facts=frozenset(false_facts),
        scores=scores,
        red_flags=red_flags,
        profile=profile_of(interview, answers),
        version=interview.digest,
        red_flag_rules=tuple(fired),
        triage=judge(interview, answers, scores),
    )
