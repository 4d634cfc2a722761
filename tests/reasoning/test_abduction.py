"""The engine on clinical cases written from the literature's descriptions, and
its behaviour as a component (referrals, budget, bad input, reuse)."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcare.kernel.vocabulary import vocabulary
from backcare.reasoning.abduction import Engine
from backcare.reasoning.errors import CaseError
from backcare.reasoning.types import Case
from tests.support import bruteforce_abduction as bruteforce
from tests.support.synthetic_bases import patient_case


def top(diagnosis):
    return diagnosis.explanations[0]


# -- movement patterns (Sahrmann's MSI, O'Sullivan's classification) ----------------


def test_sitting_and_bending_pain_with_excessive_lumbar_flexion_and_stiff_hips_points_to_flexion_impairment(
    engine, make_patient
):
    case = make_patient(
        {
            "forward_bend.lumbar_flexion": "excessive",
            "forward_bend.lumbopelvic_ratio": "excessive",
            "forward_bend.hip_flexion": "insufficient",
        },
        facts=["worse_sitting", "worse_bending", "sitting_long"],
    )
    d = engine.diagnose(case)
    best = top(d)
    assert best.causes[0] == "flexion_impairment"
    assert d.referral is None
    assert {
        "forward_bend.lumbar_flexion=excessive",
        "forward_bend.hip_flexion=insufficient",
        "worse_sitting",
        "worse_bending",
    } <= set(best.evidence["flexion_impairment"])
    assert "sitting_long" in best.evidence["flexion_impairment"]  # a risk factor counts as support
    assert all("extension_impairment" not in e.causes for e in d.explanations[:2])


def test_pain_on_standing_and_leaning_back_with_an_arched_hinging_lower_back_points_to_extension_impairment(
    engine, make_patient
):
    case = make_patient(
        {
            "standing.lumbar_lordosis": "excessive",
            "backward_bend.lumbar_extension": "excessive",
            "backward_bend.hinge": "excessive",
            "backward_bend.hip_extension": "insufficient",
        },
        facts=["worse_standing", "worse_extension", "better_sitting"],
    )
    d = engine.diagnose(case)
    assert top(d).causes[0] == "extension_impairment"
    # short hip flexors (hips not extending while leaning back) are the runner-up addition
    assert any(
        set(e.causes) == {"extension_impairment", "hip_flexor_shortness"}
        for e in d.explanations[:2]
    )


def test_uneven_twisting_with_the_hips_turning_and_pain_on_twisting_points_to_rotation_impairment(
    engine, make_patient
):
    case = make_patient(
        {"rotation.asymmetry": "excessive", "rotation.pelvic_compensation": "excessive"},
        facts=["worse_twisting", "activity_high"],
    )
    best = top(engine.diagnose(case))
    assert best.causes == ("rotation_impairment",)
    assert best.unexplained == ()


def test_short_reach_with_little_hip_flexion_and_bent_knees_in_a_normal_lower_back_points_to_hamstring_shortness(
    engine, make_patient
):
    case = make_patient(
        {
            "forward_bend.hip_flexion": "insufficient",
            "forward_bend.reach": "insufficient",
            "forward_bend.knee_flexion": "excessive",
        },
        facts=["sex_male"],
    )
    assert top(engine.diagnose(case)).causes == ("hamstring_shortness",)


def test_a_stiff_rounded_upper_back_limiting_rotation_in_an_older_patient_points_to_thoracic_stiffness(
    engine, make_patient
):
    case = make_patient(
        {
            "rotation.range": "insufficient",
            "standing.thoracic_kyphosis": "excessive",
            "side_bend.range": "insufficient",
        },
        facts=["age_over_50", "age_over_65"],
    )
    best = top(engine.diagnose(case))
    assert best.causes == ("thoracic_stiffness",)
    assert "age_over_50" in best.evidence["thoracic_stiffness"]


def test_hips_pushed_forward_when_standing_with_pain_on_standing_points_to_standing_posture(
    engine, make_patient
):
    case = make_patient(
        {"standing.sway": "excessive", "standing.pelvic_tilt": "insufficient"},
        facts=["worse_standing", "standing_long"],
    )
    assert top(engine.diagnose(case)).causes == ("standing_posture",)


def test_long_slumped_sitting_with_a_rounded_upper_back_adds_sitting_posture_to_the_flexion_pattern(
    engine, make_patient
):
    case = make_patient(
        {
            "standing.thoracic_kyphosis": "excessive",
            "standing.head_forward": "excessive",
            "forward_bend.lumbar_flexion": "excessive",
            "forward_bend.lumbopelvic_ratio": "excessive",
        },
        facts=["sitting_long", "worse_sitting", "worse_bending"],
    )
    best = top(engine.diagnose(case))
    assert set(best.causes) == {"flexion_impairment", "sitting_posture"}
    assert best.unexplained == ()


def test_uneven_shoulders_and_pelvis_with_a_sideways_shift_point_to_lateral_imbalance(
    engine, make_patient
):
    case = make_patient(
        {
            "standing.shoulder_level": "excessive",
            "standing.pelvis_level": "excessive",
            "standing.spine_deviation": "excessive",
        }
    )
    assert top(engine.diagnose(case)).causes == ("lateral_imbalance",)


def test_hinging_sway_and_pelvis_turning_with_pain_on_lifting_point_to_motor_control_deficit(
    engine, make_patient
):
    case = make_patient(
        {
            "backward_bend.hinge": "excessive",
            "rotation.pelvic_compensation": "excessive",
            "standing.sway": "excessive",
        },
        facts=["worse_lifting", "activity_low", "chronic"],
    )
    d = engine.diagnose(case)
    assert top(d).causes == ("motor_control_deficit",)
    # deconditioning (low activity) contributing to it is the next explanation
    assert set(d.explanations[1].causes) == {"motor_control_deficit", "deconditioning"}


def test_low_activity_obesity_and_smoking_with_general_stiffness_point_to_deconditioning(
    engine, make_patient
):
    case = make_patient(
        {"side_bend.range": "insufficient", "backward_bend.extension": "insufficient"},
        facts=["activity_low", "bmi_over_30", "smoker"],
    )
    best = top(engine.diagnose(case))
    assert best.causes == ("deconditioning",)
    assert {"bmi_over_30", "smoker"} <= set(best.evidence["deconditioning"])


def test_high_start_back_risk_is_explained_by_psychosocial_risk_next_to_the_movement_pattern(
    engine, make_patient
):
    case = make_patient(
        {"forward_bend.lumbar_flexion": "excessive", "forward_bend.lumbopelvic_ratio": "excessive"},
        facts=["startback_high", "worse_bending", "pain_high"],
    )
    assert set(top(engine.diagnose(case)).causes) == {"psychosocial_risk", "flexion_impairment"}


def test_low_start_back_risk_speaks_against_psychosocial_risk(engine, make_patient):
    base = {
        "forward_bend.lumbar_flexion": "insufficient",
        "forward_bend.trunk_inclination": "insufficient",
    }
    worried = engine.diagnose(make_patient(base, facts=["startback_medium", "pain_high"]))
    calm = engine.diagnose(make_patient(base, facts=["startback_low", "pain_high"]))
    assert "psychosocial_risk" in top(worried).causes
    assert "psychosocial_risk" not in top(calm).causes


# -- what speaks against, constraints, noise -----------------------------------------


def test_a_normal_lumbar_flexion_speaks_against_flexion_impairment(engine, make_patient):
    facts = ["worse_sitting", "worse_bending"]
    abnormal = engine.diagnose(
        make_patient({"forward_bend.lumbar_flexion": "excessive"}, facts=facts)
    )
    normal = engine.diagnose(make_patient({}, facts=facts))

    def flexion(d):
        return next(e for e in d.explanations if e.causes == ("flexion_impairment",))

    assert "forward_bend.lumbar_flexion=normal" in flexion(normal).against
    assert (
        "forward_bend.lumbar_flexion=normal"
        in flexion(normal).counter_evidence["flexion_impairment"]
    )
    assert flexion(normal).cost > flexion(abnormal).cost
    assert top(abnormal).causes == ("flexion_impairment",)
    assert top(normal).causes != ("flexion_impairment",)


def test_a_denied_symptom_speaks_against_the_cause_that_predicts_it(engine, make_patient):
    ratings = {
        "forward_bend.lumbar_flexion": "excessive",
        "forward_bend.lumbopelvic_ratio": "excessive",
    }
    asked_no = engine.diagnose(make_patient(ratings, false_facts=["worse_bending"]))
    flexion = next(e for e in asked_no.explanations if "flexion_impairment" in e.causes)
    assert "not:worse_bending" in flexion.against


def test_flexion_and_extension_impairments_are_never_concluded_together(engine, make_patient):
    case = make_patient(
        {
            "forward_bend.lumbar_flexion": "excessive",
            "forward_bend.lumbopelvic_ratio": "excessive",
            "backward_bend.lumbar_extension": "excessive",
            "backward_bend.hinge": "excessive",
            "standing.pelvic_tilt": "excessive",
        },
        facts=["worse_bending", "worse_extension", "worse_sitting", "worse_standing"],
    )
    d = engine.diagnose(case, top_k=10)
    assert len(d.explanations) == 10
    assert not any(
        {"flexion_impairment", "extension_impairment"} <= set(e.causes) for e in d.explanations
    )


def test_findings_that_cannot_co_occur_are_never_all_claimed(engine, kb, make_patient):
    # bending barely forward yet reaching past the normal range: one of them is a measurement error
    case = make_patient(
        {"forward_bend.trunk_inclination": "insufficient", "forward_bend.reach": "excessive"},
        facts=["startback_high"],
    )
    assert (
        "forward_bend.reach=excessive",
        "forward_bend.trunk_inclination=insufficient",
    ) in kb.cannot_co_occur
    for e in engine.diagnose(case, top_k=8).explanations:
        assert not {
            "forward_bend.trunk_inclination=insufficient",
            "forward_bend.reach=excessive",
        } <= set(e.explains)


def test_a_low_confidence_photo_cannot_by_itself_produce_a_cause(engine, make_patient):
    ratings = {"rotation.asymmetry": "excessive", "rotation.pelvic_compensation": "excessive"}
    sure = engine.diagnose(make_patient(ratings))
    blurry = engine.diagnose(
        make_patient(
            ratings, confidence={"rotation.asymmetry": 0.2, "rotation.pelvic_compensation": 0.2}
        )
    )
    assert top(sure).causes == ("rotation_impairment",)
    assert top(blurry).causes == ()
    assert blurry.referral is None  # noise is not a reason to refer


def test_a_missing_forward_bend_photo_counts_neither_for_nor_against_and_is_listed_for_checking(
    engine, make_patient
):
    missing = dict.fromkeys(
        (
            "forward_bend.trunk_inclination",
            "forward_bend.hip_flexion",
            "forward_bend.lumbar_flexion",
            "forward_bend.lumbopelvic_ratio",
            "forward_bend.knee_flexion",
            "forward_bend.reach",
        ),
        "not_assessed",
    )
    case = make_patient(
        {**missing, "standing.lumbar_lordosis": "insufficient"},
        facts=["worse_sitting", "worse_bending"],
    )
    assert "forward_bend.lumbar_flexion" in case.not_assessed
    best = top(engine.diagnose(case))
    assert best.causes == ("flexion_impairment",)
    assert not any(a.startswith("forward_bend.") for a in best.against)
    assert "forward_bend.lumbar_flexion=excessive" in best.not_assessed


# -- referrals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag, urgency",
    [
        ("red_flag_cauda_equina", "emergency"),
        ("red_flag_progressive_weakness", "urgent"),
        ("red_flag_trauma", "urgent"),
        ("red_flag_fever", "urgent"),
        ("red_flag_cancer", "urgent"),
        ("red_flag_weight_loss", "urgent"),
        ("red_flag_night_pain", "soon"),
        ("red_flag_age_onset", "routine"),
        ("red_flag_steroids", "soon"),
        ("red_flag_infection_risk", "soon"),
    ],
)
def test_every_red_flag_leads_to_referral_at_its_urgency(engine, kb, make_patient, flag, urgency):
    assert kb.red_flags[flag] == urgency
    d = engine.diagnose(
        make_patient({"rotation.asymmetry": "excessive"}, facts=[flag, "worse_twisting"])
    )
    assert d.referral == urgency
    assert d.referral_reasons == (flag,)


def test_several_red_flags_refer_at_the_highest_urgency_most_urgent_first(engine, make_patient):
    d = engine.diagnose(
        make_patient(facts=["red_flag_night_pain", "red_flag_cauda_equina", "red_flag_fever"])
    )
    assert d.referral == "emergency"
    assert d.referral_reasons == ("red_flag_cauda_equina", "red_flag_fever", "red_flag_night_pain")


def test_a_red_flag_referral_still_gives_the_clinician_the_explanations(engine, make_patient):
    d = engine.diagnose(
        make_patient(
            {
                "forward_bend.lumbar_flexion": "excessive",
                "forward_bend.lumbopelvic_ratio": "excessive",
            },
            facts=["red_flag_cancer", "worse_bending", "worse_sitting"],
        )
    )
    assert d.referral == "urgent"
    best = top(d)
    assert set(best.causes) == {"refer_clinician", "flexion_impairment"}
    assert best.evidence["refer_clinician"] == ("red_flag_cancer",)


def test_red_flags_refer_even_when_the_solver_gets_no_time(kb, make_patient):
    d = Engine(kb).diagnose(make_patient(facts=["red_flag_trauma"]), budget_s=1e-9)
    assert d.referral == "urgent"
    assert d.complete is False
    assert d.solver == "none" and d.explanations == ()


def test_a_pattern_the_base_cannot_explain_is_referred_to_a_clinician(engine, make_patient):
    # scattered findings no cause accounts for together
    case = make_patient(
        {
            "standing.head_forward": "insufficient",
            "side_bend.range": "excessive",
            "backward_bend.hip_extension": "excessive",
            "forward_bend.hip_flexion": "excessive",
        }
    )
    d = engine.diagnose(case)
    assert top(d).causes == ()
    assert d.referral == "unexplained"
    assert d.referral_reasons[0] == "refer_clinician"
    assert set(d.referral_reasons[1:]) == {
        "standing.head_forward=insufficient",
        "side_bend.range=excessive",
        "backward_bend.hip_extension=excessive",
        "forward_bend.hip_flexion=excessive",
    }


def test_a_single_odd_measurement_is_not_a_reason_to_refer(engine, make_patient):
    d = engine.diagnose(make_patient({"standing.head_forward": "insufficient"}))
    assert top(d).unexplained == ("standing.head_forward=insufficient",)
    assert d.referral is None


def test_inflammatory_and_radicular_features_together_lead_to_a_routine_referral(
    engine, make_patient
):
    d = engine.diagnose(make_patient(facts=["morning_stiffness", "radiating_below_knee"]))
    assert top(d).causes == ("refer_clinician",)
    assert d.referral == "routine"
    assert set(d.referral_reasons) == {"morning_stiffness", "radiating_below_knee"}


def test_a_healthy_case_has_nothing_to_explain_and_no_referral(engine, make_patient):
    d = engine.diagnose(make_patient())
    assert top(d).causes == () and top(d).cost == 0.0
    assert d.referral is None


# -- the answer as a whole ---------------------------------------------------------------


def test_explanations_are_distinct_best_first_with_plausibilities_summing_to_one(
    engine, kb, make_patient
):
    case = make_patient(
        {
            "forward_bend.lumbar_flexion": "excessive",
            "standing.sway": "excessive",
            "rotation.range": "insufficient",
            "forward_bend.reach": "insufficient",
        },
        facts=["worse_bending", "worse_standing", "activity_low"],
    )
    d = engine.diagnose(case, top_k=7)
    assert len(d.explanations) == 7 and d.complete
    assert len({e.causes for e in d.explanations}) == 7
    costs = [e.cost for e in d.explanations]
    assert costs == sorted(costs)
    assert math.isclose(sum(e.plausibility for e in d.explanations), 1.0)
    ratios = [d.explanations[0].plausibility / e.plausibility for e in d.explanations]
    assert all(math.isclose(r, math.exp(e.cost - costs[0])) for r, e in zip(ratios, d.explanations))
    for e in d.explanations:
        assert bruteforce.problems(kb, case, e) == []


def test_the_engine_matches_the_brute_force_reference_on_clinical_cases(engine, kb, make_patient):
    case = make_patient(
        {
            "forward_bend.lumbar_flexion": "excessive",
            "backward_bend.hinge": "excessive",
            "rotation.asymmetry": "excessive",
            "standing.pelvis_level": "excessive",
        },
        facts=["worse_bending", "worse_twisting", "sitting_long", "startback_medium"],
    )
    d = engine.diagnose(case, top_k=5)
    reference = bruteforce.explanations(kb, case)
    assert [round(e.cost * 100) for e in d.explanations] == [c for c, _, _ in reference[:5]]


def test_when_rc2_overruns_its_share_highs_answers_with_the_same_ranking(kb, engine, make_patient):
    case = make_patient(
        {"forward_bend.lumbar_flexion": "excessive", "standing.sway": "excessive"},
        facts=["worse_bending", "worse_standing"],
    )
    rc2 = engine.diagnose(case)
    fallback = Engine(kb, rc2_share=0.0).diagnose(case, budget_s=5.0)
    assert rc2.solver == "rc2" and fallback.solver == "milp"
    assert [e.cost for e in fallback.explanations] == [e.cost for e in rc2.explanations]
    assert fallback.explanations[0].causes == rc2.explanations[0].causes


def test_one_engine_serves_many_cases_like_fresh_ones(kb, engine, make_patient):
    cases = [
        make_patient({"rotation.asymmetry": "excessive"}, facts=["worse_twisting"]),
        make_patient({"standing.sway": "excessive"}, facts=["worse_standing"]),
        make_patient(facts=["red_flag_fever"]),
    ]
    reused = [engine.diagnose(c) for c in cases + cases]
    fresh = [Engine(kb).diagnose(c) for c in cases + cases]
    assert [d.explanations for d in reused] == [d.explanations for d in fresh]


def test_a_case_with_names_unknown_to_the_base_is_refused_with_a_reason(engine):
    with pytest.raises(CaseError) as err:
        engine.diagnose(
            Case(
                observed=frozenset({"forward_bend.elbow=excessive"}),
                facts=frozenset({"likes_cats"}),
            )
        )
    assert "unknown" in err.value.reason
    assert set(err.value.items) == {"forward_bend.elbow=excessive", "likes_cats"}


def test_a_case_rating_one_observation_twice_is_refused(engine):
    with pytest.raises(CaseError, match="more than once"):
        engine.diagnose(
            Case(
                observed=frozenset({"standing.sway=normal", "standing.sway=excessive"}),
                facts=frozenset(),
            )
        )


@pytest.mark.parametrize("kwargs", [{"top_k": 0}, {"budget_s": 0}, {"top_k": 2.5}])
def test_nonsense_arguments_are_refused(engine, make_patient, kwargs):
    with pytest.raises(ValueError):
        engine.diagnose(make_patient(), **kwargs)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    flags=st.sets(st.sampled_from(sorted(vocabulary().red_flags())), min_size=1),
)
def test_any_red_flag_on_any_patient_refers_at_the_highest_urgency(engine, kb, seed, flags):
    case, _ = patient_case(random.Random(seed), kb, p_red_flag=0.0)
    case = dataclasses.replace(case, facts=case.facts | flags, false_facts=case.false_facts - flags)
    d = engine.diagnose(case)
    urgencies = ("emergency", "urgent", "soon", "routine")
    assert d.referral == min((kb.red_flags[f] for f in flags), key=urgencies.index)
    assert set(d.referral_reasons) == flags
    assert d.explanations and "refer_clinician" in d.explanations[0].causes
