"""HiGHS on the same instance: same answers, and it can take over from RC2."""

from __future__ import annotations

import random
import time

from backcare.reasoning.costs import case_costs
from backcare.reasoning.encoding import CompiledBase
from backcare.reasoning.ilp import enumerate_milp
from backcare.reasoning.maxsat import Solution, enumerate_rc2
from backcare.reasoning.types import Case
from tests.support.synthetic_bases import patient_case


def test_highs_continues_an_enumeration_rc2_started_with_the_same_ranking(kb):
    rng = random.Random(11)
    compiled = CompiledBase(kb)
    for _ in range(5):
        case, _ = patient_case(rng, kb)
        inst = compiled.encode(case_costs(kb, case))
        rc2_only: list[Solution] = []
        enumerate_rc2(inst, 6, time.perf_counter() + 10, rc2_only)
        handed_over: list[Solution] = []
        enumerate_rc2(inst, 2, time.perf_counter() + 10, handed_over)
        assert enumerate_milp(inst, 6, time.perf_counter() + 10, handed_over) is True
        assert [s.cost for s in handed_over] == [s.cost for s in rc2_only]
        assert len({s.causes for s in handed_over}) == len(handed_over)


def test_a_case_with_nothing_to_decide_has_the_empty_explanation_only(kb):
    case = Case(observed=frozenset({"standing.head_forward=insufficient"}), facts=frozenset())
    inst = CompiledBase(kb).encode(case_costs(kb, case))
    found: list[Solution] = []
    assert enumerate_milp(inst, 5, time.perf_counter() + 10, found) is True
    assert found == [Solution(frozenset(), frozenset(), 200)]


def test_highs_gives_up_at_the_deadline(kb):
    case = Case(observed=frozenset({"rotation.asymmetry=excessive"}), facts=frozenset())
    found: list[Solution] = []
    assert (
        enumerate_milp(
            CompiledBase(kb).encode(case_costs(kb, case)), 5, time.perf_counter() - 1, found
        )
        is False
    )
    assert found == []
