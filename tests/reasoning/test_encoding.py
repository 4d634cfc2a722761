"""The MaxSAT instance of a case: only what can matter enters it."""

from __future__ import annotations

from backcare.reasoning.costs import case_costs
from backcare.reasoning.encoding import CompiledBase
from backcare.reasoning.types import Case


def test_only_findings_and_the_causes_that_explain_them_enter_the_instance(kb):
    compiled = CompiledBase(kb)
    case = Case(
        observed=frozenset(
            {
                "rotation.asymmetry=excessive",
                "standing.head_forward=insufficient",
                "standing.sway=normal",
            }
        ),
        facts=frozenset({"worse_twisting", "sex_female"}),
    )
    inst = compiled.encode(case_costs(kb, case))
    assert set(inst.finding_var) == {"rotation.asymmetry=excessive", "worse_twisting"}
    assert set(inst.cause_var) == {"rotation_impairment", "lateral_imbalance"}
    # head_forward=insufficient: no cause explains it, so it is paid whatever is concluded
    assert inst.constant == 200


def test_concluding_nothing_satisfies_every_hard_clause_so_no_case_is_unsatisfiable(kb):
    compiled = CompiledBase(kb)
    case = Case(
        observed=frozenset(
            {
                "forward_bend.trunk_inclination=insufficient",
                "forward_bend.reach=excessive",
                "forward_bend.lumbar_flexion=excessive",
                "backward_bend.hinge=excessive",
            }
        ),
        facts=frozenset({"worse_bending", "worse_extension", "red_flag_fever"}),
    )
    inst = compiled.encode(case_costs(kb, case))
    # all variables false: every hard clause must contain a negative literal
    assert inst.hard and all(any(lit < 0 for lit in clause) for clause in inst.hard)


def test_the_blocking_clause_forbids_exactly_one_set_of_causes(kb):
    compiled = CompiledBase(kb)
    case = Case(observed=frozenset({"rotation.asymmetry=excessive"}), facts=frozenset())
    inst = compiled.encode(case_costs(kb, case))
    clause = inst.blocking_clause(frozenset({"rotation_impairment"}))
    assert sorted(clause) == sorted(
        [-inst.cause_var["rotation_impairment"], inst.cause_var["lateral_imbalance"]]
    )
