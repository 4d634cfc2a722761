"""What each choice costs for one case, in whole cost units.

The cost of an explanation (a set S of causes, claiming a set E of the findings) is

    sum over c in S of  standalone(c) - sum of contributions (a, c) with a in S
  + sum over findings f not in E of  unexplained(f)

standalone(c) = max(floor + all contributions into c, cost(c) - risk factors present
+ protective factors present) + the weights of its `against` items that hold.
Findings are the observed abnormal atoms (weighted by their confidence), the true
facts some cause explains, and the true red flags. The encoder, the brute-force
reference and the explanation all use these numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backcare.reasoning.model import ABNORMAL, NOT, KnowledgeBase, is_atom, split_atom
from backcare.reasoning.types import Case


@dataclass(frozen=True)
class CaseCosts:
    findings: dict[str, int]  # item -> units paid if left unexplained (all > 0)
    standalone: dict[str, int]  # cause -> units when concluded without its contributors
    contributions: dict[tuple[str, str], int]  # (contributor, cause) -> units saved together
    support: dict[str, tuple[str, ...]]  # cause -> risk facts present
    counter: dict[str, tuple[str, ...]]  # cause -> against items holding + protective facts present
    abnormal: dict[str, float]  # observed abnormal atom -> confidence (for the referral rule)


def holds(item: str, case: Case) -> bool:
    """Whether an `against` item holds in the case: an observed atom, a true fact,
    or "not:<fact>" for a fact answered no."""
    if item.startswith(NOT):
        return item[len(NOT) :] in case.false_facts
    return item in case.observed if is_atom(item) else item in case.facts


def unexplained_weight(kb: KnowledgeBase, item: str, case: Case) -> float:
    s = kb.settings
    if item in s.unexplained_items:
        base = s.unexplained_items[item]
    elif is_atom(item):
        base = s.unexplained_observation
    elif item in kb.red_flags:
        base = s.unexplained_red_flag
    else:
        base = s.unexplained_fact
    return base * case.confidence.get(item, 1.0) if is_atom(item) else base


def case_costs(kb: KnowledgeBase, case: Case) -> CaseCosts:
    s = kb.settings
    findings: dict[str, int] = {}
    abnormal: dict[str, float] = {}
    for atom in sorted(case.observed):
        if split_atom(atom)[1] in ABNORMAL:
            abnormal[atom] = case.confidence.get(atom, 1.0)
            units = s.units(unexplained_weight(kb, atom, case))
            if units > 0:
                findings[atom] = units
    for fact in sorted(case.facts & (kb.explainable_facts | set(kb.red_flags))):
        units = s.units(unexplained_weight(kb, fact, case))
        if units > 0:
            findings[fact] = units

    # Only a cause that explains some finding can be concluded: the others need no price.
    names = {c for f in findings for c in kb.explainers.get(f, ())}
    relevant = [c for n, c in kb.causes.items() if n in names]
    contributions = {
        (a.name, b.item): s.units(b.weight)
        for a in relevant
        for b in a.contributes_to
        if b.item in names
    }
    into = {
        c.name: sum(
            s.units(w.weight)
            for a in kb.contributors.get(c.name, ())
            for w in kb.causes[a].contributes_to
            if w.item == c.name
        )
        for c in relevant
    }
    standalone, support, counter = {}, {}, {}
    for c in relevant:
        risk = [w for w in c.more_likely_with if w.item in case.facts]
        protect = [w for w in c.less_likely_with if w.item in case.facts]
        against = [w for w in c.against if holds(w.item, case)]
        adjusted = (
            s.units(c.cost)
            - sum(s.units(w.weight) for w in risk)
            + sum(s.units(w.weight) for w in protect)
        )
        standalone[c.name] = max(s.units(s.min_cause_cost) + into.get(c.name, 0), adjusted) + sum(
            s.units(w.weight) for w in against
        )
        support[c.name] = tuple(w.item for w in risk)
        counter[c.name] = tuple(w.item for w in against) + tuple(w.item for w in protect)
    return CaseCosts(
        findings=findings,
        standalone=standalone,
        contributions=contributions,
        support=support,
        counter=counter,
        abnormal=abnormal,
    )


def cause_cost(costs: CaseCosts, causes: Iterable[str]) -> int:
    chosen = set(causes)
    return sum(costs.standalone[c] for c in chosen) - sum(
        u for (a, b), u in costs.contributions.items() if a in chosen and b in chosen
    )


def total_cost(costs: CaseCosts, causes: Iterable[str], claimed: Iterable[str]) -> int:
    """Units of the explanation: its causes, plus every finding it does not claim."""
    claimed = set(claimed)
    return cause_cost(costs, causes) + sum(u for f, u in costs.findings.items() if f not in claimed)
