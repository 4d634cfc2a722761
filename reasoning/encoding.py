"""The knowledge base as weighted MaxSAT clauses: compiled once, instantiated per case.

Variables (numbered once for the whole base):
  c      a cause is concluded
  e_f    finding f is claimed explained (soft: leaving it unclaimed costs its weight)
  y_cf   c is the only concluded cause that explains f, and f is claimed

Hard clauses:
  e_f -> some explainer of f                    (a claim needs a cause)
  y_cf -> c,  y_cf -> e_f,  y_cf -> not c'      (for every other explainer c' of f)
  c -> some y_cf over the case's findings       (no redundant cause: each concluded
                                                 cause alone accounts for a claimed finding)
  not (a and b) for causes that exclude each other
  not all e_f of a cannot-co-occur group        (one of them is a measurement error)

Soft clauses: not c (its standalone cost less the contributions it can receive),
(not b or a) for each contribution a -> b, and e_f (the cost of leaving f unexplained).

Per case only the findings and the causes that explain one of them enter the
instance: any other cause cannot be concluded (it would explain nothing), so its
clauses would only slow the solver. The clause blocks themselves are built once.
The empty explanation always satisfies the hard clauses, so a case is never UNSAT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backcare.reasoning.costs import CaseCosts
from backcare.reasoning.model import KnowledgeBase


@dataclass
class Instance:
    """One case's weighted MaxSAT problem."""

    nvars: int
    hard: list[list[int]]
    soft: list[list[int]]
    weights: list[int]
    constant: int  # units paid whatever is concluded (findings no cause explains)
    cause_var: dict[str, int]  # the causes that may be concluded, in base order
    finding_var: dict[str, int]
    blocked: list[frozenset[str]] = field(default_factory=list)

    def blocking_clause(self, causes: frozenset[str]) -> list[int]:
        """Forbid exactly this set of causes (other sets stay allowed)."""
        return [-v if name in causes else v for name, v in self.cause_var.items()]

    def decode(self, true_vars: set[int]) -> tuple[frozenset[str], frozenset[str]]:
        causes = frozenset(c for c, v in self.cause_var.items() if v in true_vars)
        claimed = frozenset(f for f, v in self.finding_var.items() if v in true_vars)
        return causes, claimed


class CompiledBase:
    """Variable numbering and clause blocks of a knowledge base, built once."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.cause_order = list(kb.causes)
        self.cvar = {c: i + 1 for i, c in enumerate(self.cause_order)}
        explainers = kb.explainers
        self.explainers = explainers
        top = len(self.cause_order)
        self.evar = {f: top + j + 1 for j, f in enumerate(explainers)}
        top += len(explainers)
        self.item_block: dict[str, list[list[int]]] = {}
        self.cause_items: dict[str, list[tuple[str, int]]] = {c: [] for c in self.cause_order}
        for f, names in explainers.items():
            e = self.evar[f]
            block = [[-e] + [self.cvar[c] for c in names]]
            for c in names:
                top += 1
                y = top
                self.cause_items[c].append((f, y))
                block.append([-y, self.cvar[c]])
                block.append([-y, e])
                block.extend([-y, -self.cvar[o]] for o in names if o != c)
            self.item_block[f] = block
        self.nvars = top
        self.excludes: dict[str, set[str]] = {c: set() for c in self.cause_order}
        for cause in kb.causes.values():
            for other in cause.excludes:
                self.excludes[cause.name].add(other)
                self.excludes[other].add(cause.name)
        self.groups = [g for g in kb.cannot_co_occur if all(f in self.evar for f in g)]
        self.contributors: dict[str, list[str]] = {c: [] for c in self.cause_order}
        for cause in kb.causes.values():
            for w in cause.contributes_to:
                self.contributors[w.item].append(cause.name)

    def encode(self, costs: CaseCosts) -> Instance:
        findings = [f for f in costs.findings if f in self.evar]
        present = set(findings)
        relevant = {c for f in findings for c in self.explainers[f]}
        causes = [c for c in self.cause_order if c in relevant]
        hard: list[list[int]] = []
        for f in findings:
            hard.extend(self.item_block[f])
        for c in causes:
            hard.append([-self.cvar[c]] + [y for f, y in self.cause_items[c] if f in present])
            hard.extend(
                [-self.cvar[c], -self.cvar[o]]
                for o in self.excludes[c]
                if o in relevant and self.cvar[c] < self.cvar[o]
            )
        hard.extend([-self.evar[f] for f in g] for g in self.groups if present.issuperset(g))
        soft: list[list[int]] = []
        weights: list[int] = []
        for c in causes:
            unit = costs.standalone[c]
            for a in self.contributors[c]:
                if a in relevant:
                    unit -= costs.contributions[(a, c)]
                    if costs.contributions[(a, c)] > 0:
                        soft.append([-self.cvar[c], self.cvar[a]])
                        weights.append(costs.contributions[(a, c)])
            if unit > 0:
                soft.append([-self.cvar[c]])
                weights.append(unit)
        for f in findings:
            soft.append([self.evar[f]])
            weights.append(costs.findings[f])
        constant = sum(u for f, u in costs.findings.items() if f not in present)
        return Instance(
            nvars=self.nvars,
            hard=hard,
            soft=soft,
            weights=weights,
            constant=constant,
            cause_var={c: self.cvar[c] for c in causes},
            finding_var={f: self.evar[f] for f in findings},
        )
