"""How a check-in changes the advice: one pure function, to be swapped for backcare.checkin.evaluate.

A change of 2 points on the 0-10 numeric pain rating scale is the smallest
change patients with low back pain feel as real (Childs JD et al. Spine
2005;30:1331-4; Ostelo RW et al. Spine 2008;33:90-4). Worse twice in a row, or
severe pain, asks for a clinician; a red flag stops self-care.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

MCID = 2        # points on the 0-10 scale
SEVERE = 8      # pain at or above this is "worse" whatever the baseline

OUTCOMES = ("red_flag", "see_clinician", "worse", "better", "not_done", "same")


@dataclass(frozen=True)
class CheckinOutcome:
    kind: str                  # one of OUTCOMES
    urgency: str | None = None  # the red flag's urgency


def evaluate_checkin(pain: int, baseline: float | None, history: Sequence[Mapping], done: str,
                     red_flag: str | None = None) -> CheckinOutcome:
    """pain: now (0-10); baseline: pain at the assessment; history: earlier check-ins (oldest first),
    each {"pain", "outcome", ...}; done: "all" | "some" | "none"; red_flag: urgency of a new red flag."""
    if red_flag:
        return CheckinOutcome("red_flag", red_flag)
    reference = baseline if baseline is not None else (history[0]["pain"] if history else None)
    if pain >= SEVERE or (reference is not None and pain - reference >= MCID):
        worse_before = bool(history) and history[-1].get("outcome") in ("worse", "see_clinician")
        return CheckinOutcome("see_clinician" if worse_before or pain >= SEVERE + 1 else "worse")
    if reference is not None and reference - pain >= MCID:
        return CheckinOutcome("better")
    if done == "none":
        return CheckinOutcome("not_done")
    return CheckinOutcome("same")
