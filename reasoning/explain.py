"""From solver solutions to :class:`Explanation`s a clinician can read."""

from __future__ import annotations

import math
from collections.abc import Sequence

from backcare.reasoning.costs import CaseCosts
from backcare.reasoning.maxsat import Solution
from backcare.reasoning.model import KnowledgeBase, is_atom, split_atom
from backcare.reasoning.types import Case, CauseSupport, Explanation


def explanation(
    kb: KnowledgeBase, case: Case, costs: CaseCosts, sol: Solution, plausibility: float = 0.0
) -> Explanation:
    claimed = sol.claimed
    evidence: dict[str, tuple[str, ...]] = {}
    for c in sol.causes:
        mine = tuple(sorted(f for f in claimed if f in kb.causes[c].explains))
        evidence[c] = mine + tuple(f for f in costs.support[c] if f not in mine)
    # The cause that accounts for the most (by what leaving it would cost) comes first.
    weight = {
        c: sum(costs.findings.get(f, 0) for f in evidence[c] if f in claimed) for c in sol.causes
    }
    order = list(kb.causes)
    causes = tuple(sorted(sol.causes, key=lambda c: (-weight[c], order.index(c))))
    counter = {c: costs.counter[c] for c in causes if costs.counter[c]}
    against = tuple(sorted({i for items in counter.values() for i in items}))
    untested = tuple(
        sorted(
            a
            for c in causes
            for a in kb.causes[c].explains
            if is_atom(a) and split_atom(a)[0] in case.not_assessed
        )
    )
    return Explanation(
        causes=causes,
        cost=sol.cost / kb.settings.weight_scale,
        plausibility=plausibility,
        explains=tuple(sorted(claimed)),
        unexplained=tuple(sorted(f for f in costs.findings if f not in claimed)),
        against=against,
        evidence={c: evidence[c] for c in causes},
        counter_evidence=counter,
        not_assessed=untested,
    )


def ranked(
    kb: KnowledgeBase, case: Case, costs: CaseCosts, solutions: Sequence[Solution]
) -> tuple[Explanation, ...]:
    """Explanations best first, plausibility ~ exp(-cost) normalised over these."""
    sols = sorted(solutions, key=lambda s: (s.cost, len(s.causes), sorted(s.causes)))
    if not sols:
        return ()
    best = sols[0].cost / kb.settings.weight_scale
    raw = [math.exp(-(s.cost / kb.settings.weight_scale - best)) for s in sols]
    total = sum(raw)
    return tuple(explanation(kb, case, costs, s, r / total) for s, r in zip(sols, raw))


def cause_support(
    kb: KnowledgeBase, case: Case, costs: CaseCosts, explanations: Sequence[Explanation]
) -> tuple[CauseSupport, ...]:
    """Every cause of the explanations once, with the summed plausibility of the
    explanations containing it, most plausible first (ties in knowledge-base order).

    Near-duplicate sets ({A}, {A, B}, {A, C}) thus read as "A, and possibly B or C",
    never as a list repeating A with small percentages."""
    total: dict[str, float] = {}
    supports: dict[str, list[str]] = {}
    for expl in explanations:
        for c in expl.causes:
            total[c] = total.get(c, 0.0) + expl.plausibility
            mine = supports.setdefault(c, [])
            mine += [a for a in expl.evidence.get(c, ()) if a not in mine]
    order = list(kb.causes)
    out = []
    for c in sorted(total, key=lambda c: (-total[c], order.index(c))):
        predicted = [a for a in kb.causes[c].explains if is_atom(a)]
        names = {split_atom(a)[0] for a in predicted}
        # a photo finding of what the cause predicts, with another rating, did not support it
        photo_against = sorted(
            a for a in case.observed if split_atom(a)[0] in names and a not in predicted
        )
        counter = costs.counter.get(c, ())
        photo_against += sorted(a for a in counter if is_atom(a) and a not in photo_against)
        ordered = sorted(supports[c], key=lambda a: (not is_atom(a), a))
        out.append(
            CauseSupport(
                cause=c,
                plausibility=round(min(1.0, total[c]), 4),
                supports=tuple(ordered),
                photo_against=tuple(photo_against),
                against=tuple(sorted(a for a in counter if not is_atom(a))),
                borderline=tuple(
                    sorted(a for a in predicted if split_atom(a)[0] in case.borderline)
                ),
                not_assessed=tuple(
                    sorted(a for a in predicted if split_atom(a)[0] in case.not_assessed)
                ),
            )
        )
    return tuple(out)


def unexplained_findings(costs: CaseCosts, explanations: Sequence[Explanation]) -> tuple[str, ...]:
    """Abnormal photo findings that the best explanation leaves unexplained."""
    if not explanations:
        return tuple(sorted(costs.abnormal))
    best = explanations[0]
    return tuple(sorted(a for a in costs.abnormal if a not in best.explains))
