"""What each choice costs for a case: findings, risk factors, rules against, chains."""

from __future__ import annotations

from backcare.reasoning.costs import case_costs, total_cost
from backcare.reasoning.types import Case


def case(observed=(), facts=(), false_facts=(), confidence=None):
    return Case(
        observed=frozenset(observed),
        facts=frozenset(facts),
        false_facts=frozenset(false_facts),
        confidence=confidence or {},
    )


def test_abnormal_atoms_are_findings_weighted_by_confidence_and_normal_ones_are_not(kb):
    costs = case_costs(
        kb,
        case(
            [
                "standing.sway=excessive",
                "rotation.range=insufficient",
                "standing.pelvic_tilt=normal",
            ],
            confidence={"standing.sway=excessive": 0.5},
        ),
    )
    assert costs.findings == {"standing.sway=excessive": 100, "rotation.range=insufficient": 200}
    assert costs.abnormal == {"standing.sway=excessive": 0.5, "rotation.range=insufficient": 1.0}


def test_an_atom_seen_with_zero_confidence_costs_nothing_to_leave(kb):
    costs = case_costs(
        kb, case(["standing.sway=excessive"], confidence={"standing.sway=excessive": 0.0})
    )
    assert costs.findings == {}


def test_facts_are_findings_only_when_some_cause_explains_them_and_red_flags_cost_most(kb):
    costs = case_costs(
        kb, case(facts=["worse_sitting", "sex_female", "red_flag_fever", "startback_high"])
    )
    assert costs.findings == {"worse_sitting": 150, "red_flag_fever": 2000, "startback_high": 400}


def test_risk_factors_lower_a_cause_and_protective_facts_raise_it(kb):
    finding = ["forward_bend.lumbar_flexion=excessive"]
    plain = case_costs(kb, case(finding)).standalone["flexion_impairment"]
    sitter = case_costs(kb, case(finding, facts=["sitting_long", "heavy_lifting"])).standalone[
        "flexion_impairment"
    ]
    eased = case_costs(kb, case(finding, facts=["better_sitting"])).standalone["flexion_impairment"]
    assert plain == 300
    assert sitter == 300 - 50 - 30
    assert eased == 300 + 150


def test_a_cause_never_costs_less_than_the_floor_plus_what_contributions_can_take_off(kb):
    # deconditioning: 3.0 - (0.3 + 0.5 + 0.3 + 0.3) = 1.6 is above the floor
    facts = ["activity_low", "bmi_over_25", "bmi_over_30", "smoker", "age_over_65"]
    assert case_costs(kb, case(facts=facts)).standalone["deconditioning"] == 160
    # flexion_impairment receives 0.5 + 0.5 from its contributors: floor 0.5 + 1.0
    facts = ["sitting_long", "heavy_lifting", "worse_bending"]
    costs = case_costs(kb, case(["forward_bend.lumbar_flexion=excessive"], facts=facts))
    assert costs.standalone["flexion_impairment"] >= 150


def test_against_items_add_their_weight_when_they_hold_including_denied_symptoms(kb):
    base = case_costs(kb, case(["forward_bend.hip_flexion=insufficient"])).standalone[
        "flexion_impairment"
    ]
    normal = case_costs(
        kb,
        case(
            ["forward_bend.hip_flexion=insufficient", "forward_bend.lumbar_flexion=normal"],
            false_facts=["worse_bending"],
        ),
    )
    assert normal.standalone["flexion_impairment"] == base + 100 + 100
    assert set(normal.counter["flexion_impairment"]) == {
        "forward_bend.lumbar_flexion=normal",
        "not:worse_bending",
    }


def test_a_contributing_cause_makes_the_other_cheaper_when_both_are_concluded(kb):
    costs = case_costs(kb, case(["forward_bend.lumbar_flexion=excessive"], facts=["sitting_long"]))
    flex, sit = costs.standalone["flexion_impairment"], costs.standalone["sitting_posture"]
    assert costs.contributions[("sitting_posture", "flexion_impairment")] == 50
    both = ["forward_bend.lumbar_flexion=excessive", "sitting_long"]
    assert total_cost(costs, {"flexion_impairment", "sitting_posture"}, both) == flex + sit - 50
    assert (
        total_cost(costs, {"flexion_impairment"}, ["forward_bend.lumbar_flexion=excessive"])
        == flex + 150
    )
