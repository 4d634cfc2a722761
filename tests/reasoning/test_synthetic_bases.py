"""Synthetic bases and patients are well-formed, and sized as asked."""

from __future__ import annotations

import random

from backcare.reasoning.model import REFER, split_atom
from tests.support.synthetic_bases import patient_case, random_base, scaled_base


def well_formed(kb):
    names = set(kb.causes)
    # acyclic causal chain, costs that stay above the floor, exclusions between real causes
    order = {name: i for i, name in enumerate(kb.causes)}
    into: dict[str, float] = {}
    for c in kb.causes.values():
        assert c.explains and c.cost >= kb.settings.min_cause_cost
        for w in c.contributes_to:
            assert w.item in names and order[w.item] > order[c.name]
            into[w.item] = into.get(w.item, 0.0) + w.weight
        assert set(c.excludes) <= names - {c.name}
        for item in c.explains:
            assert item in kb.atoms or item in kb.facts
    for name, total in into.items():
        assert kb.causes[name].cost - total >= kb.settings.min_cause_cost - 1e-9
    for group in kb.cannot_co_occur:
        assert not any(all(a in c.explains for a in group) for c in kb.causes.values())
        assert len({split_atom(a)[0] for a in group}) == len(group)
    for flag in kb.red_flags:
        assert flag in kb.causes[REFER].explains


def test_random_bases_are_well_formed():
    for seed in range(40):
        well_formed(random_base(random.Random(seed), causes=8, observations=5, facts=4))


def test_scaled_bases_have_factor_times_the_causes_and_the_clinical_shape(kb):
    movement_causes = len(kb.causes) - 1
    for factor in (10, 100):
        big = scaled_base(kb, factor, seed=1)
        well_formed(big)
        assert len(big.causes) == movement_causes * factor + 1
        assert len(big.red_flags) == len(kb.red_flags)


def test_a_generated_patient_shows_one_rating_per_observation_from_compatible_hidden_causes(kb):
    rng = random.Random(2)
    for _ in range(30):
        case, hidden = patient_case(rng, kb)
        assert 1 <= len(hidden) <= 3 and REFER not in hidden
        assert not any(b in kb.causes[a].excludes for a in hidden for b in hidden)
        names = [split_atom(a)[0] for a in case.observed]
        assert len(names) == len(set(names))
        assert not set(names) & case.not_assessed
        assert not case.facts & case.false_facts
