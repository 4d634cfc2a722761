"""Synthetic knowledge bases and patient cases, for property tests and the benchmark.

- :func:`random_base`: a small random base (any structure the file format allows:
  weights, against rules, risk factors, causal chains, exclusions, cannot-co-occur
  groups, red flags), for comparing the engine with the brute-force reference.
- :func:`scaled_base`: a base ``factor`` times the clinical one, with the same
  shape per cause (how many atoms and facts a cause explains, how many rules
  speak against it). Observations and facts grow with the square root of the
  factor, so each finding has more candidate causes as the base grows (the hard
  direction for the solver), as when a base adds finer-grained causes.
- :func:`random_case`: any case (ratings, confidences, facts at random).
- :func:`patient_case`: a plausible patient: a few hidden causes produce most of
  what they explain, plus measurement noise, missing photos and unrelated facts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from backcare.reasoning.model import (
    ABNORMAL,
    NOT,
    RATINGS,
    REFER,
    Cause,
    KnowledgeBase,
    Settings,
    Weighted,
    is_atom,
    split_atom,
)
from backcare.reasoning.types import Case

URGENCIES = ("emergency", "urgent", "routine")


@dataclass(frozen=True)
class Shape:
    """How a synthetic base is built; counts are per cause unless said otherwise."""

    causes: int = 6
    observations: int = 4
    facts: int = 4
    red_flags: int = 1
    explains_atoms: tuple[int, int] = (1, 3)
    explains_facts: tuple[int, int] = (0, 2)
    against: tuple[int, int] = (0, 2)
    risk: tuple[int, int] = (0, 1)
    protective: tuple[int, int] = (0, 1)
    p_contributes: float = 0.2
    p_excludes: float = 0.15  # per cause: excludes one other cause
    groups: int = 1  # cannot-co-occur groups in the whole base
    cost: tuple[float, float] = (0.5, 4.0)
    weight: tuple[float, float] = (0.1, 2.0)


def _w(rng: random.Random, lo_hi: tuple[float, float]) -> float:
    return round(rng.uniform(*lo_hi), 1)


def synthetic_base(rng: random.Random, shape: Shape) -> KnowledgeBase:
    observations = tuple(f"o{i}" for i in range(shape.observations))
    plain_facts = [f"f{i}" for i in range(shape.facts)]
    flags = [f"rf{i}" for i in range(shape.red_flags)]
    facts = tuple(plain_facts + flags)
    abnormal = [f"{o}={r}" for o in observations for r in ABNORMAL]
    all_atoms = [f"{o}={r}" for o in observations for r in RATINGS]
    names = [f"c{i}" for i in range(shape.causes)]
    settings = Settings(
        min_cause_cost=0.5,
        unexplained_observation=_w(rng, (0.5, 3.0)),
        unexplained_fact=_w(rng, (0.5, 2.0)),
        unexplained_red_flag=10.0,
    )

    def pick(
        pool: list[str], lo_hi: tuple[int, int], avoid: AbstractSet[str] = frozenset()
    ) -> list[str]:
        pool = [p for p in pool if p not in avoid]
        return rng.sample(pool, min(len(pool), rng.randint(*lo_hi)))

    explains: dict[str, list[str]] = {}
    for name in names:
        items = pick(abnormal, shape.explains_atoms) + pick(plain_facts, shape.explains_facts)
        explains[name] = items or [rng.choice(abnormal)]
    contributes: dict[str, list[Weighted]] = {n: [] for n in names}
    into: dict[str, float] = dict.fromkeys(names, 0.0)
    costs = {n: _w(rng, shape.cost) for n in names}
    for i, name in enumerate(names[:-1]):
        if rng.random() < shape.p_contributes:
            target = rng.choice(names[i + 1 :])  # only forward: the causal chain stays acyclic
            room = costs[target] - settings.min_cause_cost - into[target]
            if room >= 0.1:
                w = round(rng.uniform(0.1, room), 1)
                contributes[name].append(Weighted(target, w))
                into[target] += w
    excludes: dict[str, set[str]] = {n: set() for n in names}
    chained = {(a, w.item) for a in names for w in contributes[a]}
    for name in names:
        if rng.random() < shape.p_excludes:
            other = rng.choice(names)
            if other != name and (name, other) not in chained and (other, name) not in chained:
                excludes[name].add(other)
    causes: dict[str, Cause] = {}
    for name in names:
        against = [
            Weighted(a, _w(rng, shape.weight))
            for a in pick(
                all_atoms + [NOT + f for f in plain_facts], shape.against, set(explains[name])
            )
        ]
        risk_facts = pick(plain_facts, shape.risk)
        risk = [Weighted(f, _w(rng, shape.weight)) for f in risk_facts]
        protect = [
            Weighted(f, _w(rng, shape.weight))
            for f in pick(plain_facts, shape.protective, set(risk_facts))
        ]
        causes[name] = Cause(
            name=name,
            cost=costs[name],
            explains=dict.fromkeys(explains[name], ()),
            against=tuple(against),
            more_likely_with=tuple(risk),
            less_likely_with=tuple(protect),
            contributes_to=tuple(contributes[name]),
            excludes=tuple(sorted(excludes[name])),
        )
    if flags:
        causes[REFER] = Cause(name=REFER, cost=2.0, explains=dict.fromkeys(flags, ()))
    groups: list[tuple[str, ...]] = []
    for _ in range(shape.groups):
        if len(observations) < 2:
            break
        obs = rng.sample(observations, rng.randint(2, min(3, len(observations))))
        group = tuple(sorted(f"{o}={rng.choice(ABNORMAL)}" for o in obs))
        if group not in groups and not any(
            all(a in c.explains for a in group) for c in causes.values()
        ):
            groups.append(group)
    return KnowledgeBase(
        observations=observations,
        facts=facts,
        red_flags={f: rng.choice(URGENCIES) for f in flags},
        causes=causes,
        cannot_co_occur=tuple(groups),
        settings=settings,
        path="<generated>",
    )


def random_base(
    rng: random.Random, causes: int = 6, observations: int = 4, facts: int = 4
) -> KnowledgeBase:
    """A small random base for property tests (brute force stays cheap up to ~10 causes)."""
    return synthetic_base(
        rng,
        Shape(
            causes=causes,
            observations=observations,
            facts=facts,
            red_flags=rng.randint(0, 1),
            groups=rng.randint(0, 2),
        ),
    )


def shape_of(kb: KnowledgeBase) -> Shape:
    """The per-cause shape of an existing base (min..max of each count)."""
    cs = [c for c in kb.causes.values() if c.name != REFER]

    def span(values: list[int]) -> tuple[int, int]:
        return (min(values), max(values)) if values else (0, 0)

    return Shape(
        causes=len(cs),
        observations=len(kb.observations),
        facts=len([f for f in kb.facts if f not in kb.red_flags]),
        red_flags=len(kb.red_flags),
        explains_atoms=span([sum(is_atom(i) for i in c.explains) for c in cs]),
        explains_facts=span([sum(not is_atom(i) for i in c.explains) for c in cs]),
        against=span([len(c.against) for c in cs]),
        risk=span([len(c.more_likely_with) for c in cs]),
        protective=span([len(c.less_likely_with) for c in cs]),
        p_contributes=sum(bool(c.contributes_to) for c in cs) / max(1, len(cs)),
        p_excludes=sum(bool(c.excludes) for c in cs) / max(1, len(cs)),
        groups=len(kb.cannot_co_occur),
    )


def scaled_base(template: KnowledgeBase, factor: int, seed: int = 0) -> KnowledgeBase:
    """A synthetic base with ``factor`` times the causes of ``template`` (see module doc)."""
    s = shape_of(template)
    root = math.sqrt(factor)
    shape = Shape(
        causes=s.causes * factor,
        observations=round(s.observations * root),
        facts=round(s.facts * root),
        red_flags=s.red_flags,
        explains_atoms=s.explains_atoms,
        explains_facts=s.explains_facts,
        against=s.against,
        risk=s.risk,
        protective=s.protective,
        p_contributes=s.p_contributes,
        p_excludes=s.p_excludes,
        groups=round(s.groups * root),
        cost=(2.0, 3.5),
        weight=(0.3, 2.0),
    )
    return synthetic_base(random.Random(seed), shape)


def random_case(
    rng: random.Random,
    kb: KnowledgeBase,
    p_missing: float = 0.2,
    p_abnormal: float = 0.4,
    p_fact: float = 0.3,
    p_false: float = 0.3,
) -> Case:
    """Any case: each observation missing, normal or abnormal at random, random facts."""
    observed, confidence, missing = set(), {}, set()
    for o in kb.observations:
        if rng.random() < p_missing:
            missing.add(o)
            continue
        rating = rng.choice(ABNORMAL) if rng.random() < p_abnormal else "normal"
        atom = f"{o}={rating}"
        observed.add(atom)
        confidence[atom] = rng.choice((1.0, round(rng.random(), 2)))
    facts, false = set(), set()
    for f in kb.facts:
        roll = rng.random()
        if roll < p_fact:
            facts.add(f)
        elif roll < p_fact + p_false:
            false.add(f)
    return Case(
        observed=frozenset(observed),
        facts=frozenset(facts),
        false_facts=frozenset(false),
        not_assessed=frozenset(missing),
        confidence=confidence,
    )


def patient_case(
    rng: random.Random,
    kb: KnowledgeBase,
    hidden: int | None = None,
    p_show: float = 0.75,
    p_noise: float = 0.08,
    p_missing: float = 0.1,
    p_red_flag: float = 0.01,
) -> tuple[Case, frozenset[str]]:
    """A plausible patient and the causes that produced it.

    ``hidden`` causes (1-3 at random; never refer_clinician, never two that
    exclude each other) each show what they explain with probability ``p_show``;
    other observations are normal except for noise; some photos are missing.
    """
    pool = [c for c in kb.causes if c != REFER]
    chosen: list[str] = []
    for name in rng.sample(pool, len(pool)):
        if len(chosen) >= (hidden or rng.randint(1, 3)):
            break
        cause = kb.causes[name]
        if any(name in kb.causes[c].excludes or c in cause.excludes for c in chosen):
            continue
        chosen.append(name)
    ratings: dict[str, str] = {}
    facts: set[str] = set()
    for name in chosen:
        cause = kb.causes[name]
        for item in cause.explains:
            if rng.random() >= p_show:
                continue
            if is_atom(item):
                ratings.setdefault(split_atom(item)[0], split_atom(item)[1])
            else:
                facts.add(item)
        facts.update(w.item for w in cause.more_likely_with if rng.random() < 0.5)
    observed, confidence, missing = set(), {}, set()
    for o in kb.observations:
        if rng.random() < p_missing:
            missing.add(o)
            continue
        rating = ratings.get(o) or (rng.choice(ABNORMAL) if rng.random() < p_noise else "normal")
        atom = f"{o}={rating}"
        observed.add(atom)
        confidence[atom] = round(rng.uniform(0.5, 1.0), 2)
    for f in kb.facts:
        if f in kb.red_flags:
            if rng.random() < p_red_flag:
                facts.add(f)
        elif rng.random() < 0.05:
            facts.add(f)
    false = {f for f in kb.facts if f not in facts and rng.random() < 0.5}
    case = Case(
        observed=frozenset(observed),
        facts=frozenset(facts),
        false_facts=frozenset(false),
        not_assessed=frozenset(missing),
        confidence=confidence,
    )
    return case, frozenset(chosen)
