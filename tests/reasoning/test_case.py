"""build_case turns assessment's observations and the interview's facts into a Case."""

from __future__ import annotations

import pytest

from backcare.reasoning.case import build_case, check_case
from backcare.reasoning.errors import CaseError
from backcare.reasoning.types import Case


def test_assessed_observations_become_atoms_normal_ones_included_with_their_confidence(
    make_observation,
):
    observation = make_observation
    case = build_case(
        [
            observation("forward_bend.hip_flexion", "insufficient", 0.8),
            observation("forward_bend.lumbar_flexion", "normal", 0.6),
            observation("backward_bend.hinge", "not_assessed"),
        ],
        facts=["worse_bending"],
        false_facts=["worse_sitting"],
    )
    assert case.observed == {
        "forward_bend.hip_flexion=insufficient",
        "forward_bend.lumbar_flexion=normal",
    }
    assert case.confidence == {
        "forward_bend.hip_flexion=insufficient": 0.8,
        "forward_bend.lumbar_flexion=normal": 0.6,
    }
    assert case.not_assessed == {"backward_bend.hinge"}
    assert case.facts == {"worse_bending"} and case.false_facts == {"worse_sitting"}


def test_confidence_outside_zero_to_one_is_clipped(make_observation):
    observation = make_observation
    case = build_case(
        [
            observation("standing.sway", "excessive", 1.7),
            observation("standing.pelvic_tilt", "normal", -0.2),
        ],
        facts=[],
    )
    assert case.confidence == {"standing.sway=excessive": 1.0, "standing.pelvic_tilt=normal": 0.0}


@pytest.mark.parametrize(
    "ratings, facts, false_facts, reason",
    [
        ([("standing.elbow", "normal")], [], [], "unknown"),
        ([("standing.sway", "wobbly")], [], [], "unknown"),
        ([], ["likes_cats"], [], "unknown"),
        ([("standing.sway", "normal"), ("standing.sway", "excessive")], [], [], "more than once"),
        ([], ["smoker"], ["smoker"], "both true and false"),
    ],
)
def test_bad_input_is_refused_with_a_reason_naming_the_items(
    make_observation, ratings, facts, false_facts, reason
):
    with pytest.raises(CaseError) as err:
        build_case([make_observation(n, r) for n, r in ratings], facts, false_facts)
    assert reason in err.value.reason
    assert err.value.items


def test_check_case_refuses_a_confidence_that_is_not_a_probability(kb):
    case = Case(
        observed=frozenset({"standing.sway=excessive"}),
        facts=frozenset(),
        confidence={"standing.sway=excessive": 3.0},
    )
    with pytest.raises(CaseError, match="between 0 and 1"):
        check_case(kb, case)


def test_check_case_refuses_an_observation_both_rated_and_not_assessed(kb):
    case = Case(
        observed=frozenset({"standing.sway=excessive"}),
        facts=frozenset(),
        not_assessed=frozenset({"standing.sway"}),
    )
    with pytest.raises(CaseError, match="more than once"):
        check_case(kb, case)
