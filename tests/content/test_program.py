"""The program builder: what a patient takes home for each probable cause, dosed and safe."""

from __future__ import annotations

import pytest

from backcare.assessment.types import Observation
from backcare.content.catalog import CATEGORIES, load_catalog
from backcare.content.program import (
    MAX_EXERCISES,
    MAX_GENTLE,
    ProgramError,
    build_program,
    dose_band,
)
from backcare.content.texts import default_texts
from backcare.kernel.vocabulary import vocabulary
from backcare.reasoning.types import Diagnosis, Explanation

CATALOG = load_catalog()
TEXTS = default_texts()
CAUSES = [c for c in vocabulary().causes if c != "refer_clinician"]


def explanation(causes, evidence=None, cost=1.0, plausibility=1.0):
    return Explanation(
        causes=tuple(causes),
        cost=cost,
        plausibility=plausibility,
        explains=(),
        unexplained=(),
        against=(),
        evidence=evidence or {},
    )


def diagnosis(*explanations, referral=None):
    return Diagnosis(explanations=tuple(explanations), referral=referral)


def observation(atom: str) -> Observation:
    name, rating = atom.split("=")
    return Observation(
        name=name,
        rating=rating,
        value=1.0,
        unit="deg",
        normal_range=(0.0, 1.0),
        source="test",
        confidence=0.9,
        explanation={"en": "", "ja": ""},
    )


def ids(program):
    return [p.exercise_id for p in program.exercises]


# --- every cause gets a program that addresses it ---------------------------------------


@pytest.mark.parametrize("cause", CAUSES)
def test_program_for_each_cause_addresses_it(cause):
    program = build_program(diagnosis(explanation([cause])), [], frozenset(), {"pain": 4})
    assert program is not None
    assert 3 <= len(program.exercises) <= MAX_EXERCISES
    chosen = [p for p in program.exercises if p.chosen_for == cause]
    assert chosen, f"no exercise chosen for {cause}"
    assert all(cause in CATALOG.exercises[p.exercise_id].causes for p in chosen)
    label = TEXTS.get(f"program.cause_labels.{cause}", "en")
    assert all(label in p.why["en"] for p in chosen)
    assert cause in program.causes


@pytest.mark.parametrize("cause", CAUSES)
def test_each_cause_is_still_addressed_when_its_first_choice_is_contraindicated(cause):
    first = build_program(diagnosis(explanation([cause])), [], frozenset(), {"pain": 4})
    pick = next(p for p in first.exercises if p.chosen_for == cause)
    contra = CATALOG.exercises[pick.exercise_id].contraindications
    facts = frozenset(c for c in contra if "=" not in c)
    observations = [observation(c) for c in contra if "=" in c]
    program = build_program(diagnosis(explanation([cause])), observations, facts, {"pain": 4})
    assert pick.exercise_id not in ids(program) or not contra
    assert len(program.exercises) >= 3


# --- contraindications ---------------------------------------------------------------

CONTRAINDICATED = [
    (e.id, c) for e in CATALOG.exercises.values() for c in sorted(e.contraindications)
]


@pytest.mark.parametrize("exercise_id, contra", CONTRAINDICATED)
def test_contraindicated_exercise_is_never_offered(exercise_id, contra):
    exercise = CATALOG.exercises[exercise_id]
    # The patient has exactly the causes this exercise treats, and the one thing that rules it out.
    dx = diagnosis(
        explanation(
            exercise.causes, dict.fromkeys(exercise.causes, exercise.atoms[:1] + exercise.facts[:1])
        )
    )
    facts = frozenset({contra}) if "=" not in contra else frozenset()
    observations = [observation(contra)] if "=" in contra else []
    program = build_program(dx, observations, facts, {"pain": 3})
    assert exercise_id not in ids(program)
    assert exercise.name["en"] in program.notes["en"]  # the patient is told what was left out
    without = build_program(dx, [], frozenset(), {"pain": 3})
    assert exercise.name["en"] not in without.notes["en"]


def test_extension_exercises_are_left_out_when_leaning_back_hurts():
    dx = diagnosis(explanation(["flexion_impairment", "sitting_posture"]))
    free = build_program(dx, [], frozenset({"worse_sitting"}), {"pain": 3})
    assert {"prone_press_up", "standing_extension"} & set(ids(free))
    hurt = build_program(dx, [], frozenset({"worse_sitting", "worse_extension"}), {"pain": 3})
    assert not {"prone_press_up", "standing_extension"} & set(ids(hurt))


def test_nerve_stretch_is_left_out_when_pain_spreads_below_the_knee():
    dx = diagnosis(explanation(["hamstring_shortness"]))
    assert "hamstring_stretch" in ids(build_program(dx, [], frozenset(), {"pain": 3}))
    program = build_program(dx, [], frozenset({"radiating_below_knee"}), {"pain": 3})
    assert "hamstring_stretch" not in ids(program)
    assert any(
        p.chosen_for == "hamstring_shortness" for p in program.exercises
    )  # hip hinge instead


# --- dosing by pain and risk group ----------------------------------------------------------


@pytest.mark.parametrize(
    "pain, band",
    [(0, "low"), (3, "low"), (4, "moderate"), (6, "moderate"), (7, "severe"), (10, "severe")],
)
def test_dose_follows_the_pain_band(pain, band):
    program = build_program(
        diagnosis(explanation(["motor_control_deficit"])), [], frozenset(), {"pain": pain}
    )
    for p in program.exercises:
        assert p.dose == CATALOG.exercises[p.exercise_id].dose[band]
    assert TEXTS.get(f"program.notes.band.{band}", "en") in program.notes["en"]


def test_more_pain_means_less_work():
    dx = diagnosis(explanation(["motor_control_deficit"]))
    low = build_program(dx, [], frozenset(), {"pain": 2})
    high = build_program(dx, [], frozenset(), {"pain": 8})
    by_id = {p.exercise_id: p.dose for p in low.exercises}
    shared = [p for p in high.exercises if p.exercise_id in by_id]
    assert shared
    for p in shared:
        assert p.dose.sets * (p.dose.reps or 1) <= by_id[p.exercise_id].sets * (
            by_id[p.exercise_id].reps or 1
        )
        assert p.dose != by_id[p.exercise_id]


def test_startback_high_risk_gets_gentler_dosing_fewer_exercises_and_psychological_advice():
    dx = diagnosis(
        explanation(["motor_control_deficit", "flexion_impairment", "rotation_impairment"]),
        explanation(["lateral_imbalance", "thoracic_stiffness"], cost=2.0),
    )
    low_risk = build_program(dx, [], frozenset({"startback_low"}), {"pain": 2})
    high_risk = build_program(dx, [], frozenset({"startback_high"}), {"pain": 2})
    for p in high_risk.exercises:
        assert (
            p.dose == CATALOG.exercises[p.exercise_id].dose["moderate"]
        )  # one band gentler than pain 2
    for p in low_risk.exercises:
        assert p.dose == CATALOG.exercises[p.exercise_id].dose["low"]
    assert len(low_risk.exercises) == MAX_EXERCISES
    assert len(high_risk.exercises) <= MAX_GENTLE
    psychological = [t["en"] for t in TEXTS.group("program.advice.psychological")]
    assert set(psychological) <= set(high_risk.advice["en"])
    assert not set(psychological) & set(low_risk.advice["en"])
    assert TEXTS.get("program.notes.eased", "en") in high_risk.notes["en"]
    assert TEXTS.get("program.notes.eased", "en") not in low_risk.notes["en"]


def test_startback_medium_keeps_the_pain_band():
    assert dose_band({"pain": 2}, frozenset({"startback_medium"})) == ("low", False)
    assert dose_band({"pain": 5}, frozenset({"startback_high"})) == ("severe", True)
    assert dose_band({"pain": 9}, frozenset({"startback_high"})) == ("severe", False)


def test_missing_pain_score_is_dosed_as_moderate_and_said_so():
    program = build_program(diagnosis(explanation(["deconditioning"])), [], frozenset(), {})
    for p in program.exercises:
        assert p.dose == CATALOG.exercises[p.exercise_id].dose["moderate"]
    assert TEXTS.get("program.notes.no_pain_score", "en") in program.notes["en"]


def test_psychosocial_cause_gets_psychological_advice_without_high_risk():
    program = build_program(
        diagnosis(explanation(["psychosocial_risk"])), [], frozenset(), {"pain": 5}
    )
    first = TEXTS.group("program.advice.psychological")[0]
    assert first["en"] in program.advice["en"] and first["ja"] in program.advice["ja"]


def test_general_advice_and_what_to_do_if_worse_are_always_given():
    program = build_program(
        diagnosis(explanation(["thoracic_stiffness"])), [], frozenset(), {"pain": 2}
    )
    for lang in ("en", "ja"):
        assert [t[lang] for t in TEXTS.group("program.advice.general")] == list(
            program.advice[lang][:4]
        )
        assert program.if_worse[lang] == TEXTS.get("program.if_worse", lang)
    assert any("bed rest" in a for a in program.advice["en"])
    assert "urine" in program.if_worse["en"]


# --- referral ------------------------------------------------------------------------------------


@pytest.mark.parametrize("referral", ["emergency", "urgent", "routine"])
def test_referral_gets_no_program(referral):
    dx = diagnosis(explanation(["flexion_impairment"]), referral=referral)
    assert build_program(dx, [], frozenset(), {"pain": 3}) is None


def test_findings_no_cause_explains_get_a_program_and_advice_to_see_a_physiotherapist():
    # issue 16: "your results don't fit the patterns I know" used to end with no program
    dx = diagnosis(explanation(["flexion_impairment"]), referral="unexplained")
    program = build_program(dx, [], frozenset(), {"pain": 3})
    assert program is not None and len(program.exercises) >= 3
    for lang in ("en", "ja"):
        physio = [t[lang] for t in TEXTS.group("program.advice.unexplained")]
        assert physio and program.advice[lang][0] == physio[0]
    assert "physiotherapist" in program.advice["en"][0]


def test_the_if_worse_text_has_no_lead_in_of_its_own():
    # issue 16: "If the pain gets worse: If your pain gets worse: ..." under its heading
    for lang in ("en", "ja"):
        text = TEXTS.get("program.if_worse", lang)
        assert not text.lower().startswith(
            ("if your pain", "if the pain", "痛みが悪化", "痛みが強く")
        )


def test_red_flag_fact_gets_no_program_even_without_a_referral_diagnosis():
    dx = diagnosis(explanation(["flexion_impairment"]))
    assert build_program(dx, [], frozenset({"red_flag_fever"}), {"pain": 3}) is None


def test_refer_clinician_as_the_best_explanation_gets_no_program():
    dx = diagnosis(explanation(["refer_clinician"]), explanation(["flexion_impairment"], cost=3.0))
    assert build_program(dx, [], frozenset(), {"pain": 3}) is None


# --- choice, order and the reason for each exercise ---------------------------------------------


def test_causes_of_the_best_explanation_come_first_then_the_next():
    dx = diagnosis(
        explanation(["thoracic_stiffness", "hip_flexor_shortness"]),
        explanation(["lateral_imbalance"], cost=2.0),
        explanation(["deconditioning"], cost=3.0),
    )
    program = build_program(dx, [], frozenset(), {"pain": 2})
    assert program.causes[:2] == ("thoracic_stiffness", "hip_flexor_shortness")
    chosen_for = {p.chosen_for for p in program.exercises}
    assert {
        "thoracic_stiffness",
        "hip_flexor_shortness",
        "lateral_imbalance",
        "deconditioning",
    } <= chosen_for
    assert program.causes == (
        "thoracic_stiffness",
        "hip_flexor_shortness",
        "lateral_imbalance",
        "deconditioning",
    )


def test_long_shot_explanations_do_not_get_exercises():
    dx = diagnosis(
        explanation(["thoracic_stiffness"], plausibility=0.75),
        explanation(["lateral_imbalance"], cost=2.0, plausibility=0.2),
        explanation(["deconditioning"], cost=5.0, plausibility=0.05),
    )
    program = build_program(dx, [], frozenset(), {"pain": 2})
    assert program.causes == ("thoracic_stiffness", "lateral_imbalance")
    assert "deconditioning" not in {p.chosen_for for p in program.exercises}


def test_exercises_run_mobility_and_control_first_load_later():
    dx = diagnosis(
        explanation(
            ["deconditioning", "thoracic_stiffness", "motor_control_deficit", "hamstring_shortness"]
        )
    )
    program = build_program(dx, [], frozenset(), {"pain": 2})
    ranks = [CATEGORIES.index(p.category) for p in program.exercises]
    assert ranks == sorted(ranks)
    assert program.exercises[0].category in ("relaxation", "mobility", "control")
    assert program.exercises[-1].category in ("strength", "activity")


def test_why_names_the_cause_and_the_finding_that_supports_it():
    evidence = {"flexion_impairment": ("forward_bend.lumbar_flexion=excessive", "worse_bending")}
    dx = diagnosis(explanation(["flexion_impairment"], evidence))
    observations = [observation("forward_bend.lumbar_flexion=excessive")]
    program = build_program(dx, observations, frozenset({"worse_bending"}), {"pain": 3})
    hinge = next(p for p in program.exercises if p.exercise_id == "hip_hinge")
    assert hinge.why["en"] == (
        "Chosen for a flexion-related movement pattern (your lower back rounds too easily): "
        "in your photos, rounding of the lower back was above the usual range."
    )
    assert "腰の丸まり" in hinge.why["ja"] and "基準より大きかった" in hinge.why["ja"]


def test_why_falls_back_to_an_interview_answer():
    dx = diagnosis(explanation(["deconditioning"], {"deconditioning": ("activity_low",)}))
    program = build_program(dx, [], frozenset({"activity_low"}), {"pain": 3})
    picked = next(p for p in program.exercises if p.chosen_for == "deconditioning")
    assert "less than 150 minutes of activity a week" in picked.why["en"]
    assert "週150分未満の運動" in picked.why["ja"]


def test_exercise_that_fits_the_patients_findings_is_preferred():
    # Both the hip hinge and the hamstring stretch address hamstring shortness; a patient
    # whose forward bend shows a low-back-dominant pattern gets the hinge first.
    dx = diagnosis(
        explanation(
            ["hamstring_shortness"],
            {"hamstring_shortness": ("forward_bend.lumbar_flexion=excessive",)},
        )
    )
    program = build_program(
        dx, [observation("forward_bend.lumbar_flexion=excessive")], frozenset(), {"pain": 2}
    )
    first_for_cause = [
        p.exercise_id for p in program.exercises if p.chosen_for == "hamstring_shortness"
    ]
    assert "hip_hinge" in first_for_cause


def test_no_explanation_gives_a_short_general_program():
    program = build_program(diagnosis(), [], frozenset(), {"pain": 2})
    assert len(program.exercises) == 3
    assert all(CATALOG.exercises[p.exercise_id].general for p in program.exercises)
    assert all(p.why == TEXTS.every("program.why.general") for p in program.exercises)


def test_prescriptions_carry_everything_the_patient_needs_in_both_languages():
    dx = diagnosis(explanation(["extension_impairment", "hip_flexor_shortness"]))
    program = build_program(dx, [], frozenset(), {"pain": 5}, language="ja")
    for p in program.exercises:
        for text in (
            p.name,
            p.instructions,
            p.why,
            p.progression,
            p.regression,
            p.stop_if,
            p.dose_text,
        ):
            assert set(text) == {"en", "ja"} and all(text.values())
        assert p.video_url.startswith("https://")
        assert f"週{p.dose.days_per_week}日" in p.dose_text["ja"]
        assert f"{p.dose.days_per_week} days a week" in p.dose_text["en"]


def test_dose_text_spells_out_holds_sides_and_minutes():
    dx = diagnosis(explanation(["deconditioning", "thoracic_stiffness"]))
    program = build_program(dx, [], frozenset({"activity_low"}), {"pain": 2})
    walking = next(p for p in program.exercises if p.exercise_id == "walking")
    assert walking.dose_text["en"] == "30 minutes, 5 days a week"
    assert walking.dose_text["ja"] == "30分、週5日"
    book = next(p for p in program.exercises if p.exercise_id == "open_book")
    assert book.dose_text["en"] == "2 × 8 reps, hold 3 s, each side, 5 days a week"
    assert book.dose_text["ja"] == "8回×2セット、3秒キープ、左右それぞれ、週5日"


# --- bad input -----------------------------------------------------------------------------------


def test_unsupported_language_is_a_clear_error():
    with pytest.raises(ProgramError, match="unsupported language 'fr'"):
        build_program(diagnosis(), [], frozenset(), {"pain": 2}, language="fr")


@pytest.mark.parametrize("pain", [-1, 11, float("nan"), "7"])
def test_pain_score_outside_0_to_10_is_a_clear_error(pain):
    with pytest.raises(ProgramError, match="pain score"):
        build_program(diagnosis(explanation(["deconditioning"])), [], frozenset(), {"pain": pain})
