"""The shared vocabulary (``vocabulary.yaml``): movements, observations, facts, causes.

Assessment emits observations, the interview derives facts, the knowledge base
and the exercise catalog refer to all of them by name; each of those loaders
validates its names against this one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from backcare.kernel.catalogue import check_text
from backcare.kernel.translations import load_translated
from backcare.kernel.yamlfile import Checker

PATH = Path(__file__).with_name("vocabulary.yaml")
RATINGS = ("insufficient", "normal", "excessive")
NOT_ASSESSED = "not_assessed"
# Triage levels, most urgent first: emergency (now), urgent (same day), soon (days to
# weeks); those stop self-care. routine keeps self-care, with any advice below.
URGENCIES = ("emergency", "urgent", "soon", "routine")
STOPS = ("emergency", "urgent", "soon")
ADVICE = ("rheumatology", "caution")
SIDES = ("left", "right")
FIELDS = ("movement", "part", "expects", "view", "side", "red_flag")  # beside the texts


@dataclass(frozen=True)
class Term:
    name: str
    text: dict[str, str]  # language -> plain words
    movement: str | None = None  # observations: the capture step that measures it
    part: str | None = None  # observations: body part
    expects: str | None = None  # movements: the movement class vision should see
    view: str | None = None  # movements: the camera view asked for
    side: str | None = None  # movements done to one side: "left" or "right"
    red_flag: str | None = None  # facts: urgency when this fact is a red flag


@dataclass(frozen=True)
class Vocabulary:
    movements: dict[str, Term]
    observations: dict[str, Term]
    facts: dict[str, Term]
    causes: dict[str, Term]

    def atom(self, observation: str, rating: str) -> str:
        """The reasoning atom for an observation's rating, e.g. ``forward_bend.reach=insufficient``."""
        if observation not in self.observations:
            raise KeyError(f"unknown observation {observation!r}")
        if rating not in RATINGS:
            raise KeyError(f"unknown rating {rating!r}")
        return f"{observation}={rating}"

    def atoms(self) -> set[str]:
        return {f"{o}={r}" for o in self.observations for r in RATINGS}

    def red_flags(self) -> dict[str, str]:
        """fact name -> urgency, for the facts that are red flags."""
        return {name: t.red_flag for name, t in self.facts.items() if t.red_flag}


def parse(data: object, filename: str) -> Vocabulary:
    check = Checker(filename)
    sections: dict[str, dict[str, Term]] = {}
    for section in ("movements", "observations", "facts", "causes"):
        entries = check.need(data, section, "", dict) or {}
        terms: dict[str, Term] = {}
        for name, entry in entries.items():
            field = f"{section}.{name}"
            if not isinstance(entry, dict):
                check.problem(entries, name, field, "expected a mapping")
                continue
            text = check_text(check, entry, field, others=FIELDS) or {}
            extra = {k: entry.get(k) for k in FIELDS}
            if section == "movements":
                # what the pipeline needs to place a photo; vision's classes and views are
                # checked against these in tests/backcare/test_adding_a_movement.py
                check.need(entry, "expects", field, str)
                check.need(entry, "view", field, str)
                if extra["side"] not in (None, *SIDES):
                    check.problem(entry, "side", f"{field}.side", "must be left or right")
            if (
                section == "observations"
                and check.need(entry, "movement", field, str) is not None
                and extra["movement"] not in sections["movements"]
            ):
                check.problem(
                    entry,
                    "movement",
                    f"{field}.movement",
                    f"unknown movement {extra['movement']!r}",
                )
            if extra["red_flag"] is not None and extra["red_flag"] not in URGENCIES:
                check.problem(
                    entry, "red_flag", f"{field}.red_flag", f"must be one of {', '.join(URGENCIES)}"
                )
            terms[name] = Term(name=name, text=text, **extra)
        sections[section] = terms
    check.raise_if_any()
    return Vocabulary(**sections)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The project's vocabulary, loaded once."""
    return parse(load_translated(PATH), str(PATH))
