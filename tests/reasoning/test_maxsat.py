"""RC2 enumeration: best first, distinct, and it stops at its deadline."""

from __future__ import annotations

import random
import time

from backcare.reasoning.costs import case_costs
from backcare.reasoning.encoding import CompiledBase
from backcare.reasoning.maxsat import Solution, enumerate_rc2
from backcare.reasoning.types import Case
from tests.support.synthetic_bases import patient_case, scaled_base


def instance(kb, case):
    return CompiledBase(kb).encode(case_costs(kb, case))


def test_enumeration_lists_distinct_sets_best_first_and_says_when_all_are_listed(kb):
    case = Case(
        observed=frozenset({"rotation.asymmetry=excessive"}), facts=frozenset({"worse_twisting"})
    )
    found: list[Solution] = []
    assert enumerate_rc2(instance(kb, case), 10, time.perf_counter() + 10, found) is True
    # two candidate causes: {}, {rotation}, {lateral}, {rotation, lateral} (lateral claims nothing alone
    # once rotation explains the atom, so that pair is redundant)
    assert {s.causes for s in found} == {
        frozenset(),
        frozenset({"rotation_impairment"}),
        frozenset({"lateral_imbalance"}),
    }
    assert [s.cost for s in found] == sorted(s.cost for s in found)


def test_sets_already_found_are_blocked_first(kb):
    case = Case(
        observed=frozenset({"rotation.asymmetry=excessive"}), facts=frozenset({"worse_twisting"})
    )
    first: list[Solution] = []
    enumerate_rc2(instance(kb, case), 1, time.perf_counter() + 10, first)
    more = list(first)
    enumerate_rc2(instance(kb, case), 3, time.perf_counter() + 10, more)
    assert more[0] == first[0] and len({s.causes for s in more}) == 3


def test_a_deadline_already_past_gives_up_without_an_answer(kb):
    found: list[Solution] = []
    case = Case(observed=frozenset({"rotation.asymmetry=excessive"}), facts=frozenset())
    assert enumerate_rc2(instance(kb, case), 5, time.perf_counter() - 1, found) is False
    assert found == []


def test_a_deadline_reached_while_solving_stops_the_solver(kb):
    big = scaled_base(kb, 30, seed=3)
    case, _ = patient_case(random.Random(5), big)
    inst = CompiledBase(big).encode(case_costs(big, case))
    found: list[Solution] = []
    assert enumerate_rc2(inst, 50, time.perf_counter() + 0.002, found) is False
    assert len(found) < 50


def test_a_sat_call_still_running_at_the_deadline_is_interrupted():
    # ten pigeons in nine holes as hard clauses: one SAT call would run for minutes
    from pysat.examples.genhard import PHP

    from backcare.reasoning.encoding import Instance

    php = PHP(9)
    extra = php.nv + 1
    inst = Instance(
        nvars=extra,
        hard=[list(c) for c in php.clauses],
        soft=[[extra]],
        weights=[1],
        constant=0,
        cause_var={"c": extra},
        finding_var={},
    )
    start = time.perf_counter()
    assert enumerate_rc2(inst, 1, start + 0.05, []) is False
    assert time.perf_counter() - start < 5.0  # stopped, not run to the end
