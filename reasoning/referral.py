"""When to send the patient to a clinician instead of self-care."""

from __future__ import annotations

from backcare.kernel.vocabulary import URGENCIES  # most urgent first
from backcare.reasoning.costs import CaseCosts
from backcare.reasoning.model import REFER, KnowledgeBase
from backcare.reasoning.types import Case, Explanation


def red_flag_referral(kb: KnowledgeBase, case: Case) -> tuple[str | None, tuple[str, ...]]:
    """The highest urgency among the true red-flag facts, and those facts (most urgent first)."""
    flags = sorted((URGENCIES.index(kb.red_flags[f]), f) for f in case.facts if f in kb.red_flags)
    if not flags:
        return None, ()
    return URGENCIES[flags[0][0]], tuple(f for _, f in flags)


def referral(
    kb: KnowledgeBase, case: Case, costs: CaseCosts, best: Explanation | None
) -> tuple[str | None, tuple[str, ...]]:
    """Red flags first (always, whatever the explanations say). Then a referral the
    base itself concludes (``refer_clinician`` in the best explanation: "routine").
    Then the "unexplained" rule, over the abnormal observations measured with at
    least ``settings.refer_min_confidence``: the best explanation leaves more than
    ``settings.refer_share`` of them (weighted by confidence) unexplained, and at
    least ``settings.refer_min_observations`` of them. A single odd observation, or
    a few unsure ones, are more likely measurement errors than a pattern."""
    urgency, reasons = red_flag_referral(kb, case)
    if urgency:
        return urgency, reasons
    if best is None:
        return None, ()
    if REFER in best.causes:
        return "routine", best.evidence.get(REFER, ())
    s = kb.settings
    sure = {a: c for a, c in costs.abnormal.items() if c > 0 and c >= s.refer_min_confidence}
    left = [a for a in sure if a not in best.explains]
    total = sum(sure.values())
    share = sum(sure[a] for a in left) / total if total else 0.0
    if len(left) >= s.refer_min_observations and share > s.refer_share:
        return "unexplained", (REFER, *left)
    return None, ()
