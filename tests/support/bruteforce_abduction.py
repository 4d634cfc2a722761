"""Exact reference for small bases: try every set of causes.

Independent of the SAT encoding: it works from the definitions (the costs in
:mod:`reasoning.costs`, the constraints of the base) over all 2^n subsets of
causes, so property tests can hold the engine to it. An explanation is a set of
causes S and the findings E it claims to explain, where
  - no two causes of S exclude each other,
  - every claimed finding is explained by some cause of S,
  - no cannot-co-occur group is claimed whole,
  - every cause of S is the only one in S explaining some claimed finding
    (irredundant: a cause that adds nothing is not part of an explanation).
For each S only the claims that a group forces out can be worth giving up, so
E = covered - D with D ranging over subsets of the grouped findings.
"""

from __future__ import annotations

from itertools import chain, combinations

from backcare.reasoning.costs import CaseCosts, case_costs, total_cost
from backcare.reasoning.model import KnowledgeBase
from backcare.reasoning.types import Case, Explanation


def _subsets(items: list) -> chain:
    return chain.from_iterable(combinations(items, r) for r in range(len(items) + 1))


def best_claim(
    kb: KnowledgeBase, costs: CaseCosts, causes: frozenset[str]
) -> tuple[int, frozenset[str]] | None:
    """The cheapest valid claim for this set of causes, or None if the set is not an explanation."""
    for a in causes:
        if any(b in causes for b in kb.causes[a].excludes):
            return None
    covered = {f for f in costs.findings if any(f in kb.causes[c].explains for c in causes)}
    unique = {
        c: {f for f in covered if [d for d in causes if f in kb.causes[d].explains] == [c]}
        for c in causes
    }
    groups = [set(g) for g in kb.cannot_co_occur if covered.issuperset(g)]
    grouped = sorted(set().union(*groups)) if groups else []
    best: tuple[int, frozenset[str]] | None = None
    for dropped in _subsets(grouped):
        claimed = covered - set(dropped)
        if any(g <= claimed for g in groups):
            continue
        if any(not (unique[c] & claimed) for c in causes):
            continue
        cost = total_cost(costs, causes, claimed)
        if best is None or cost < best[0]:
            best = (cost, frozenset(claimed))
    return best


def explanations(kb: KnowledgeBase, case: Case) -> list[tuple[int, frozenset[str], frozenset[str]]]:
    """Every explanation as (cost units, causes, claimed findings), cheapest first."""
    costs = case_costs(kb, case)
    out = []
    for subset in _subsets(list(kb.causes)):
        causes = frozenset(subset)
        best = best_claim(kb, costs, causes)
        if best is not None:
            out.append((best[0], causes, best[1]))
    out.sort(key=lambda t: (t[0], len(t[1]), sorted(t[1])))
    return out


def optimum(kb: KnowledgeBase, case: Case) -> int:
    """Cost units of the best explanation (the empty set always qualifies)."""
    return explanations(kb, case)[0][0]


def problems(kb: KnowledgeBase, case: Case, expl: Explanation) -> list[str]:
    """What is wrong with a reported explanation (empty when it is consistent,
    claims only what its causes explain, and costs what it says)."""
    costs = case_costs(kb, case)
    causes = frozenset(expl.causes)
    claimed = frozenset(expl.explains)
    out = []
    if len(causes) != len(expl.causes) or not causes <= set(kb.causes):
        out.append(f"causes not distinct or unknown: {expl.causes}")
        return out
    for a in causes:
        for b in kb.causes[a].excludes:
            if b in causes:
                out.append(f"{a} and {b} exclude each other")
    if not claimed <= set(costs.findings):
        out.append(f"claims what is not a finding: {sorted(claimed - set(costs.findings))}")
    for f in claimed:
        if not any(f in kb.causes[c].explains for c in causes):
            out.append(f"claims {f} but no cause explains it")
    if set(expl.unexplained) != set(costs.findings) - claimed:
        out.append("unexplained is not the findings minus the claims")
    for g in kb.cannot_co_occur:
        if set(g) <= claimed:
            out.append(f"claims a group that cannot co-occur: {g}")
    for c in causes:
        alone = {f for f in claimed if [d for d in causes if f in kb.causes[d].explains] == [c]}
        if not alone:
            out.append(f"{c} is redundant")
        if not set(expl.evidence.get(c, ())) <= (claimed & set(kb.causes[c].explains)) | set(
            costs.support[c]
        ):
            out.append(f"evidence of {c} lists what does not support it")
    units = total_cost(costs, causes, claimed)
    if round(expl.cost * kb.settings.weight_scale) != units:
        out.append(f"cost {expl.cost} but the claims cost {units / kb.settings.weight_scale}")
    return out
