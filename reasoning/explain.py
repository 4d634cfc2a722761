"""From solver solutions to :class:`Explanation`s a clinician can read."""

from __future__ import annotations

import math
from collections.abc import Sequence

from backcare.reasoning.costs import CaseCosts
from backcare.reasoning.maxsat import Solution
from backcare.reasoning.model import KnowledgeBase, is_atom, split_atom
from backcare.reasoning.types import Case, Explanation


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
