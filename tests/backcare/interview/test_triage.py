"""Red-flag triage is one graded judgement over all the answers (interview.yaml's rules).

Each case comes from a defect seen with simulated patients (issue 16) or from a
source the rule cites; answers are the healthy patient's with the story's changes.
"""

from __future__ import annotations

import pytest

from backcare.interview import derive, judge, load_answers, red_flag_questions
from backcare.interview.triage import Triage


@pytest.fixture
def healthy(interview, healthy_path):
    return load_answers(healthy_path, interview)


def story(healthy: dict, **changes) -> dict:
    return {**healthy, **changes}


def test_a_cancer_history_alone_is_urgent(interview, healthy):
    triage = judge(interview, story(healthy, cancer=True))
    assert triage.level == "urgent" and triage.stops and triage.rules == ("cancer",)


def test_onset_after_55_alone_keeps_self_care_with_a_caution_note(interview, healthy):
    triage = judge(interview, story(healthy, age=63, onset_age=60))
    assert triage.level == "routine" and not triage.stops
    assert triage.advice == ("caution",)
    assert "more care" in triage.notes[0]["en"] and triage.notes[0]["ja"]


def test_onset_after_55_does_not_decide_triage_before_the_other_flags_are_asked(interview, healthy):
    so_far = {k: healthy[k] for k in ("age", "sex", "duration")} | {"onset_age": 60}
    triage = judge(interview, so_far)
    assert not triage.stops and not triage.decided
    assert {"cancer", "weight_loss", "trauma", "steroids"} <= set(triage.missing)


def test_a_78_year_old_after_a_fall_on_steroids_is_urgent_for_a_fracture(interview, healthy):
    triage = judge(interview, story(healthy, age=78, onset_age=70, trauma=True, steroids=True))
    assert triage.level == "urgent"
    assert {"trauma", "fracture_older_steroids", "fracture_combination"} <= set(triage.rules)


def test_older_age_and_steroids_without_a_fall_are_urgent_steroids_alone_soon(interview, healthy):
    assert judge(interview, story(healthy, age=75, steroids=True)).level == "urgent"
    assert judge(interview, story(healthy, age=45, steroids=True)).level == "soon"


def test_night_pain_before_the_cancer_question_cannot_end_triage(interview, healthy):
    so_far = {q: healthy[q] for q in interview.order[: interview.order.index("night_pain")]}
    night = judge(interview, so_far | {"night_pain": "constant"})
    assert night.level == "soon" and not night.decided  # cauda equina, cancer... still to ask
    full = judge(interview, story(healthy, night_pain="constant", cancer=True))
    assert full.level == "urgent" and full.rules[0] == "cancer"


def test_cauda_equina_is_an_emergency_at_once_whatever_is_left(interview, healthy):
    so_far = {q: healthy[q] for q in interview.order[: interview.order.index("saddle")]}
    triage = judge(interview, so_far | {"saddle": True})
    assert triage.level == "emergency" and triage.decided and triage.missing


@pytest.mark.parametrize("combined", [{}, {"cancer": True}, {"night_pain": "constant"}])
def test_the_most_severe_flag_wins_whatever_else_holds(interview, healthy, combined):
    triage = judge(interview, story(healthy, bladder_bowel=True, **combined))
    assert triage.level == "emergency"


def test_an_inflammatory_profile_gets_rheumatology_advice_and_keeps_self_care(interview, healthy):
    # 27 years old, 30+ minutes of morning stiffness, better with exercise, worse at night
    answers = story(
        healthy,
        age=27,
        onset_age=24,
        onset_how="gradual",
        stiffness="long",
        exercise_helps=True,
        rest_helps=False,
        night_pain="wakes_late",
    )
    triage = judge(interview, answers)
    assert triage.level == "routine" and triage.advice == ("rheumatology",)
    assert "rheumatologist" in triage.notes[0]["en"] and "リウマチ" in triage.notes[0]["ja"]
    assert len(triage.notes) == 1  # ASAS and Berlin both hold: one piece of advice


def test_three_of_five_asas_items_are_not_inflammatory_back_pain(interview, healthy):
    # the healthy patient: onset before 40, better with exercise, but sudden and eased by rest
    assert judge(interview, story(healthy, onset_how="gradual")).advice == ()


def test_a_mechanical_pain_profile_gets_no_advice(interview, healthy):
    triage = judge(interview, healthy)
    assert triage == Triage("routine", decided=True)


def test_red_flag_questions_are_those_of_the_rules_that_stop_self_care(interview):
    questions = red_flag_questions(interview)
    assert {"saddle", "bladder_bowel", "cancer", "steroids", "age", "night_pain"} <= set(questions)
    assert "exercise_helps" not in questions  # advice only


def test_the_interview_result_carries_the_triage_and_survives_a_round_trip(interview, healthy):
    result = derive(interview, story(healthy, onset_age=60))
    again = type(result).from_dict(result.to_dict())
    assert again.triage == result.triage and again.triage.advice == ("caution",)
    assert again.urgency is None  # a caution note is no referral


def test_a_result_stored_before_triage_keeps_its_referral(interview, healthy):
    stored = derive(interview, story(healthy, saddle=True)).to_dict()
    del stored["triage"]
    assert type(derive(interview, healthy)).from_dict(stored).urgency == "emergency"
