"""How a report's causes read: summed per cause, which ones head the results, and whether
the patient reads them at all. The report documents (backcare/application/render.py) and
the chat's results (bot/dialogs/results.py) both ask here, so they never disagree."""

from __future__ import annotations

from backcare.kernel.vocabulary import STOPS
from backcare.reasoning.types import CauseSupport
from backcare.report.types import Report

# From this summed plausibility a cause is in the headline; from POSSIBLE, "also possible".
LIKELY = 0.5
POSSIBLE = 0.2


def causes_of(report: Report) -> tuple[CauseSupport, ...]:
    """The diagnosis' causes; for a report made before they were summed (a stored one, or a
    hand-built Diagnosis), summed here from the explanations the same way."""
    d = report.diagnosis
    if d.causes or not d.explanations:
        return d.causes
    total: dict[str, float] = {}
    support: dict[str, list[str]] = {}
    against: dict[str, list[str]] = {}
    for e in d.explanations:
        for c in e.causes:
            total[c] = total.get(c, 0.0) + e.plausibility
            support.setdefault(c, [])
            support[c] += [a for a in e.evidence.get(c, ()) if a not in support[c]]
            against.setdefault(c, [])
            against[c] += [a for a in e.against if a not in against[c]]
    return tuple(
        CauseSupport(
            cause=c,
            plausibility=min(1.0, total[c]),
            supports=tuple(support[c]),
            photo_against=tuple(a for a in against[c] if "=" in a),
            against=tuple(a for a in against[c] if "=" not in a),
        )
        for c in sorted(total, key=lambda c: -total[c])
    )


def is_headline(cause: CauseSupport) -> bool:
    """Whether a cause is "most likely": plausible enough, and not a movement pattern that
    the photos measured and did not show (then it is only possible, and said so)."""
    photo_support = any("=" in a for a in cause.supports)
    contradicted = bool(cause.photo_against) and not photo_support
    return cause.plausibility >= LIKELY and not contradicted


def patient_causes(report: Report) -> bool:
    """Whether the patient reads causes: not while a red flag stops self-care (a list of
    mechanical causes beside "see a doctor today" would reassure where it must not; the
    clinician's section keeps them)."""
    if report.referral in STOPS:
        return False
    return report.program is not None or bool(causes_of(report))
