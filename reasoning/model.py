"""The knowledge base in memory: causes, their rules, constraints and settings.

Built by :mod:`reasoning.knowledge` from the YAML file (validated there, with
line numbers) or by tests.support.synthetic_bases for benchmarks and property tests.
Weights are in cost units (about -ln of a likelihood ratio); the solver works on
integers, so :meth:`Settings.units` turns each weight into whole units once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

RATINGS = ("insufficient", "normal", "excessive")
ABNORMAL = ("insufficient", "excessive")
REFER = "refer_clinician"  # the cause that stands for "a clinician should look at this"
NOT = "not:"  # prefix of an `against` item that holds when the fact was answered no


def is_atom(item: str) -> bool:
    return "=" in item


def split_atom(atom: str) -> tuple[str, str]:
    name, rating = atom.split("=", 1)
    return name, rating


@dataclass(frozen=True)
class Weighted:
    """A rule with a weight and the literature it comes from."""

    item: str  # an atom, a fact, "not:<fact>" or a cause name
    weight: float
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cause:
    """One cause and its rules.

    cost:             cost of concluding it alone (no risk factors, no contributing cause)
    explains:         abnormal atoms and facts it accounts for (item -> sources)
    against:          observation atoms (often the normal rating of what it explains) and
                      "not:<fact>" (a symptom denied) that speak against it, each with a weight
    more_likely_with: facts that lower its cost when true (risk factors)
    less_likely_with: facts that raise its cost when true (protective factors)
    contributes_to:   causes it makes cheaper when both are concluded (a causal chain; no cycles)
    excludes:         causes that cannot be concluded together with it
    """

    name: str
    cost: float
    explains: dict[str, tuple[str, ...]]
    against: tuple[Weighted, ...] = ()
    more_likely_with: tuple[Weighted, ...] = ()
    less_likely_with: tuple[Weighted, ...] = ()
    contributes_to: tuple[Weighted, ...] = ()
    excludes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Costs of what is left unexplained, floors, and the referral threshold."""

    weight_scale: int = 100  # cost units per 1.0 of weight (the solver needs integers)
    min_cause_cost: float = 0.5  # no cause becomes free, however many risk factors it has
    unexplained_observation: float = 2.0  # leaving an abnormal atom unexplained, at confidence 1
    unexplained_fact: float = 1.5  # leaving a symptom fact unexplained
    unexplained_red_flag: float = 20.0  # a red flag must always be accounted for
    unexplained_items: dict[str, float] = field(default_factory=dict)  # per-item overrides
    refer_share: float = 0.5  # refer when more than this share of abnormal atoms stays unexplained
    refer_min_observations: int = 2  # ... and at least this many
    refer_min_confidence: float = 0.5  # only observations measured at least this surely count

    def units(self, weight: float) -> int:
        return int(round(weight * self.weight_scale))


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the engine needs; names are checked when it is built.

    observations: observation names (atoms are "<observation>=<rating>")
    facts:        interview fact names
    red_flags:    fact -> urgency ("emergency" | "urgent" | "routine")
    causes:       name -> Cause, in file order
    cannot_co_occur: groups of abnormal atoms that cannot all hold together
                  (a case showing all of them carries a measurement error)
    sources:      citation key -> full reference
    """

    observations: tuple[str, ...]
    facts: tuple[str, ...]
    red_flags: dict[str, str]
    causes: dict[str, Cause]
    cannot_co_occur: tuple[tuple[str, ...], ...] = ()
    settings: Settings = field(default_factory=Settings)
    sources: dict[str, str] = field(default_factory=dict)
    path: str = "<memory>"

    # Derived indexes, computed once per base (the base itself never changes).
    @cached_property
    def atoms(self) -> frozenset[str]:
        return frozenset(f"{o}={r}" for o in self.observations for r in RATINGS)

    @cached_property
    def explainers(self) -> dict[str, tuple[str, ...]]:
        """item -> the causes that explain it (file order)."""
        out: dict[str, list[str]] = {}
        for cause in self.causes.values():
            for item in cause.explains:
                out.setdefault(item, []).append(cause.name)
        return {item: tuple(names) for item, names in out.items()}

    @cached_property
    def explainable_facts(self) -> frozenset[str]:
        return frozenset(i for c in self.causes.values() for i in c.explains if not is_atom(i))

    @cached_property
    def contributors(self) -> dict[str, tuple[str, ...]]:
        """cause -> the causes that contribute to it."""
        out: dict[str, list[str]] = {}
        for cause in self.causes.values():
            for w in cause.contributes_to:
                out.setdefault(w.item, []).append(cause.name)
        return {name: tuple(names) for name, names in out.items()}
