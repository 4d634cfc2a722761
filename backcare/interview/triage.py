"""Red-flag triage: one graded, combined judgement over the interview's answers (pure).

The rules are data (interview.yaml ``red_flags``, each with its source): every
rule whose condition holds sets a floor, and the urgency is the most severe floor
any of them sets, so a combination (older age + steroids, cancer history alone)
reaches its own level whatever order the questions came in. Levels, most urgent
first: emergency (now), urgent (same day), soon (days to weeks) stop self-care;
routine keeps it, with the rules' advice (rheumatology, caution) added.

While the interview runs, triage is *decided* once no rule that is still unknown
could raise the urgency: a cauda equina sign ends the interview at once, a cancer
history after the cauda equina questions too, but a milder flag never hides a more
severe one still to be asked. The dialogs, the console and ``backcare analyze``
all go through :func:`judge`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backcare.interview.conditions import evaluate, questions_in
from backcare.interview.flow import is_shown
from backcare.interview.model import Interview, RedFlagRule
from backcare.interview.scoring import compute_scores
from backcare.kernel.vocabulary import ADVICE, STOPS, URGENCIES

ROUTINE = "routine"


def rank(level: str) -> int:
    """0 for the most urgent level; unknown levels rank as routine."""
    return URGENCIES.index(level) if level in URGENCIES else URGENCIES.index(ROUTINE)


def most_severe(levels) -> str:
    return min(levels, key=rank, default=ROUTINE)


@dataclass(frozen=True)
class Triage:
    """What the answers so far support.

    level:    emergency | urgent | soon | routine (the most severe rule that holds)
    rules:    ids of the rules that hold, most severe first
    advice:   rheumatology | caution, from routine rules that hold (empty when self-care stops)
    decided:  no rule still unknown could raise the level
    missing:  red-flag questions that could still be asked and are not answered
    notes:    the advice rules' own words ({language: text}), to go with the program
    """

    level: str
    rules: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    decided: bool = True
    missing: tuple[str, ...] = ()
    notes: tuple[dict[str, str], ...] = ()

    @property
    def stops(self) -> bool:
        """Self-care stops (a clinician first)."""
        return self.level in STOPS

    @property
    def complete(self) -> bool:
        """Every red-flag question that applies was answered."""
        return not self.missing

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "rules": list(self.rules),
            "advice": list(self.advice),
            "decided": self.decided,
            "missing": list(self.missing),
            "notes": [dict(n) for n in self.notes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Triage:
        level = data.get("level")
        return cls(
            level=level if level in URGENCIES else ROUTINE,
            rules=tuple(data.get("rules") or ()),
            advice=tuple(a for a in data.get("advice") or () if a in ADVICE),
            decided=bool(data.get("decided", True)),
            missing=tuple(data.get("missing") or ()),
            notes=tuple(dict(n) for n in data.get("notes") or () if isinstance(n, Mapping)),
        )


def red_flag_questions(interview: Interview) -> tuple[str, ...]:
    """The questions the rules that can stop self-care depend on, in asking order."""
    needed: set[str] = set()
    for rule in interview.red_flags:
        if rule.urgency in STOPS:
            needed |= questions_in(rule.when)
    return tuple(q for q in interview.order if q in needed)


def judge(
    interview: Interview, answers: Mapping[str, Any], scores: Mapping[str, float] | None = None
) -> Triage:
    """The triage the answers support (answers so far, or a whole answers file)."""
    if scores is None:
        scores = compute_scores(interview, answers)
    holding: list[RedFlagRule] = []
    possible: list[RedFlagRule] = []  # unknown yet: more answers could make them hold
    for rule in interview.red_flags:
        value = evaluate(rule.when, answers, scores)
        if value is True:
            holding.append(rule)
        elif value is None:
            possible.append(rule)
    holding.sort(key=lambda r: rank(r.urgency))
    level = most_severe(r.urgency for r in holding)
    decided = not any(rank(r.urgency) < rank(level) for r in possible)
    missing = tuple(
        q
        for q in red_flag_questions(interview)
        if answers.get(q) is None and is_shown(interview, q, answers, scores)
    )
    advice: tuple[str, ...] = ()
    notes: tuple[dict[str, str], ...] = ()
    if level not in STOPS:
        first = {}  # one note per kind of advice: the first rule of the file that holds
        for rule in holding:
            if rule.advice and rule.advice not in first:
                first[rule.advice] = rule
        advice = tuple(a for a in ADVICE if a in first)
        notes = tuple(dict(first[a].message) for a in advice)
    return Triage(
        level=level,
        rules=tuple(r.id for r in holding),
        advice=advice,
        decided=decided,
        missing=missing,
        notes=notes,
    )


def rules_of(interview: Interview, triage: Triage) -> list[RedFlagRule]:
    """The rules behind a triage, most severe first (for their messages and sources)."""
    by_id = {r.id: r for r in interview.red_flags}
    return [by_id[r] for r in triage.rules if r in by_id]
