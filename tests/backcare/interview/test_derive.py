"""From answers to facts, scores, red flags and profile (STarT Back as published)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcare.interview import InterviewResult, derive, load_answers, red_flags_now

SB_ITEMS = [
    "sb_leg",
    "sb_neck",
    "sb_walk",
    "sb_dress",
    "sb_safe",
    "sb_worry",
    "sb_terrible",
    "sb_enjoy",
]
BOTHER = ["not_at_all", "slightly", "moderately", "very", "extremely"]


@pytest.fixture(scope="module")
def healthy(interview, healthy_path):
    return load_answers(healthy_path, interview)


def test_the_healthy_answers_derive_the_expected_facts(interview, healthy):
    result = derive(interview, healthy)
    assert {
        "sex_female",
        "sitting_long",
        "worse_sitting",
        "worse_bending",
        "better_walking",
        "chronic",
        "activity_low",
        "bmi_over_25",
        "startback_low",
    } <= result.facts
    assert {
        "age_over_50",
        "smoker",
        "radiating_below_knee",
        "pain_high",
        "startback_high",
        "red_flag_cauda_equina",
        "red_flag_progressive_weakness",
    } <= result.false_facts
    assert not result.facts & result.false_facts
    assert result.red_flags == {} and result.urgency is None
    assert result.scores == {
        "startback_total": 2.0,
        "startback_psych": 1.0,
        "bmi": 25.7,
        "pain": 5.0,
    }
    assert (result.profile.age, result.profile.sex) == (42, "female")
    assert result.version == interview.digest


def test_unanswered_questions_leave_facts_unknown(interview):
    result = derive(interview, {"age": 70})
    assert {"age_over_50", "age_over_65"} <= result.facts and "age_under_30" in result.false_facts
    assert "sitting_long" not in result.facts | result.false_facts
    assert "startback_total" not in result.scores
    assert not {"startback_low", "startback_medium", "startback_high"} & (
        result.facts | result.false_facts
    )


@settings(max_examples=200, deadline=None)
@given(agrees=st.lists(st.booleans(), min_size=8, max_size=8), bother=st.sampled_from(BOTHER))
def test_startback_scores_and_risk_groups_follow_hill_2008(interview, agrees, bother):
    answers = {item: "agree" if a else "disagree" for item, a in zip(SB_ITEMS, agrees)}
    answers["sb_bother"] = bother
    bothered = bother in ("very", "extremely")
    total = sum(agrees) + bothered
    psych = sum(agrees[4:]) + bothered
    expected = "low" if total <= 3 else ("high" if psych >= 4 else "medium")
    result = derive(interview, answers)
    assert result.scores["startback_total"] == total and result.scores["startback_psych"] == psych
    groups = {g for g in ("low", "medium", "high") if f"startback_{g}" in result.facts}
    assert groups == {expected}
    assert {
        f"startback_{g}" for g in ("low", "medium", "high") if g != expected
    } <= result.false_facts


@pytest.mark.parametrize("rule_id", ["ces_saddle", "ces_bladder_bowel", "ces_both_legs"])
def test_each_cauda_equina_sign_alone_is_an_emergency(interview, healthy, rule_id):
    rule = next(r for r in interview.red_flags if r.id == rule_id)
    question = rule.when.ref  # a single comparison on one yes/no question
    answers = dict(healthy, **{question: True})
    result = derive(interview, answers)
    assert result.red_flags == {"red_flag_cauda_equina": "emergency"}
    assert result.red_flag_rules == (rule_id,)
    assert [r.id for r in red_flags_now(interview, answers)] == [rule_id]


def test_several_red_flags_keep_each_urgency(interview, healthy):
    answers = dict(healthy, saddle=True, fever=True, steroids=True, onset_age=60)
    result = derive(interview, answers)
    assert result.red_flags == {
        "red_flag_cauda_equina": "emergency",
        "red_flag_fever": "urgent",
        "red_flag_steroids": "soon",
        "red_flag_age_onset": "routine",
    }
    assert result.urgency == "emergency"


def test_progressive_weakness_needs_weakness_that_gets_worse(interview, healthy):
    assert (
        "red_flag_progressive_weakness"
        in derive(interview, dict(healthy, weakness=True, weakness_worse=False)).false_facts
    )
    worse = derive(interview, dict(healthy, weakness=True, weakness_worse=True))
    assert worse.red_flags == {"red_flag_progressive_weakness": "urgent"}


def test_sex_other_than_female_or_male_gives_no_profile_sex(interview, healthy):
    assert derive(interview, dict(healthy, sex="no_say")).profile.sex is None


def test_a_result_survives_json(interview, healthy):
    result = derive(interview, dict(healthy, fever=True))
    again = InterviewResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_most_urgent_ranks_emergency_first_from_any_iterable():
    from backcare.interview import most_urgent

    assert most_urgent(u for u in ["routine", "urgent"]) == "urgent"
    assert most_urgent(["routine", "emergency", "urgent"]) == "emergency"
    assert most_urgent([]) is None
