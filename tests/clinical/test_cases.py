"""The clinical validation suite (tests/clinical/cases): every case history, played as a patient
of the bot (real dialogs, real pipeline, answers only), reaches the urgency, the program and the
advice its sources lead to; no red-flag case is under-graded. The cases whose photos are in
the repository (tests/clinical/photos, rendered by bench/synth/render_clinical.py) are also
played with their photos through the photo workers (MediaPipe: slow): their movement
patterns lead to the expected top cause, and people who move normally get no headline cause
and no abnormal rating.

``bench/clinical.py`` prints the same cases as a table with the agreement.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.application.pipeline import Pipeline
from backcare.interview import InterviewRegistry, judge, load_interview, rules_of
from backcare.kernel.vocabulary import STOPS, vocabulary
from backcare.kernel.yamlfile import DataFileError
from tests.clinical.suite import (
    BASE,
    CASES,
    INTERVIEW_PATH,
    Outcome,
    load_base,
    load_case,
    load_cases,
    movement_agrees,
    movement_judged,
    run_case,
    severity,
    verdict,
)

INTERVIEW = load_interview(INTERVIEW_PATH)
ALL = load_cases(CASES, INTERVIEW)
WITH_PHOTOS = [c for c in ALL if c.photos_in_repo]
AGREEMENT = 0.9  # issue 16's acceptance: top cause, and normal people


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """Answers only (photos are optional: the bench plays them)."""
    registry = InterviewRegistry(INTERVIEW_PATH)
    return {case.id: run_case(case, registry=registry) for case in ALL}


@pytest.mark.parametrize("case", ALL, ids=lambda c: c.id)
def test_each_case_gets_what_its_sources_lead_to(case, outcomes):
    outcome = outcomes[case.id]
    assert outcome.urgency == case.expected.urgency, f"{case.title}: {case.source}"
    assert outcome.program == case.expected.program
    assert set(case.expected.advice) <= set(outcome.advice)
    assert verdict(case, outcome) == "agree"


def test_every_red_flag_case_reaches_its_urgency_and_none_is_under_graded(outcomes):
    red = [c for c in ALL if c.red_flag]
    right = [c for c in red if outcomes[c.id].urgency == c.expected.urgency]
    under = [c.id for c in ALL if severity(outcomes[c.id].urgency) < severity(c.expected.urgency)]
    assert len(red) >= 15 and len(right) == len(red) and under == []


def test_the_inflammatory_cases_get_rheumatology_advice_and_keep_their_program(outcomes):
    inflammatory = [c for c in ALL if "rheumatology" in c.expected.advice]
    assert len(inflammatory) >= 3
    for case in inflammatory:
        assert "rheumatology" in outcomes[case.id].advice and outcomes[case.id].program
        assert "rheumatologist" in outcomes[case.id].text
    others = [c for c in ALL if "rheumatology" not in c.expected.advice]
    assert not [c.id for c in others if "rheumatology" in outcomes[c.id].advice]


def test_the_suite_covers_each_red_flag_alone_and_in_combination():
    assert len(ALL) >= 20
    flags_of = {c.id: _stopping_facts(c.answers) for c in ALL}
    alone = {next(iter(f)) for f in flags_of.values() if len(f) == 1}
    facts = {f for f, u in vocabulary().red_flags().items() if u in STOPS}
    assert facts <= alone, f"no case with only this red flag: {facts - alone}"
    assert len([c for c, f in flags_of.items() if len(f) > 1]) >= 3  # combinations
    kinds = {a for c in ALL for a in c.expected.advice}
    assert {"rheumatology", "caution", "psychological"} <= kinds
    normal_ages = {
        c.answers["age"] // 10
        for c in ALL
        if c.expected.urgency == "routine" and "caution" not in c.expected.advice
    }
    assert len(normal_ages) >= 4  # normal people of several ages


def test_every_case_names_its_source_and_tells_its_story():
    for case in ALL:
        assert any(str(year) in case.source for year in range(1990, 2030)), case.id
        assert len(case.story) > 30 and case.title


def test_a_broken_case_file_names_the_file_the_line_and_the_field(tmp_path: Path):
    text = (CASES / "night_pain_alone.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "night_pain_alone.yaml"
    broken.write_text(
        text.replace("night_pain: constant", "night_ache: constant").replace(
            "urgency: soon", "urgency: whenever"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as caught:
        load_case(broken, INTERVIEW, load_base(INTERVIEW))
    problems = {p.field: p for p in caught.value.problems}
    assert "night_ache" in problems and "unknown question" in problems["night_ache"].message
    assert problems["expected.urgency"].line == text[: text.index("urgency: soon")].count("\n") + 1
    assert all(p.file == str(broken) for p in caught.value.problems)


def test_the_base_patient_raises_no_warning_sign():
    triage = judge(INTERVIEW, load_base(INTERVIEW))
    assert triage.level == "routine" and not triage.advice and triage.complete
    assert BASE.is_file()


def _stopping_facts(answers) -> set[str]:
    triage = judge(INTERVIEW, answers)
    return {r.fact for r in rules_of(INTERVIEW, triage) if r.urgency in STOPS and r.fact}


@pytest.fixture(scope="module")
def photo_outcomes() -> dict[str, Outcome]:
    """The cases with photos, played with them through the bot's own pipeline (pose workers)."""
    registry = InterviewRegistry(INTERVIEW_PATH)
    pipeline = Pipeline.create(workers=1)
    try:
        return {case.id: run_case(case, pipeline, registry) for case in WITH_PHOTOS}
    finally:
        pipeline.close()


def test_the_movement_cases_have_their_photos_in_the_repository():
    named = [c for c in ALL if c.expected_top_cause and c.photos]
    assert len(named) >= 10 and len([c for c in named if c.normal]) >= 5
    assert len({c.answers["age"] // 10 for c in named if c.normal}) >= 4  # several ages
    missing = [str(p) for c in named for p in c.photos.values() if not p.is_file()]
    assert not missing, "rebuild: bench/synth/render_clinical.py"
    assert all(len(c.photos) == 8 for c in named)  # every capture step


@pytest.mark.slow
def test_with_photos_every_case_keeps_its_triage_and_every_photo_is_used(photo_outcomes):
    for case in WITH_PHOTOS:
        outcome = photo_outcomes[case.id]
        assert outcome.photos_sent == len(case.photos), case.id
        assert outcome.urgency == case.expected.urgency, case.id
        assert outcome.program == case.expected.program, case.id
        assert set(case.expected.advice) <= set(outcome.advice), case.id
        assert movement_judged(case, outcome)


@pytest.mark.slow
def test_with_photos_movement_patterns_lead_to_the_expected_top_cause(photo_outcomes):
    patterns = [c for c in WITH_PHOTOS if c.expected_top_cause and not c.normal]
    assert len(patterns) >= 5
    got = {c.id: photo_outcomes[c.id].top_cause for c in patterns}
    missed = {
        c.id: (c.expected_top_cause, got[c.id])
        for c in patterns
        if not movement_agrees(c, photo_outcomes[c.id])
    }
    # Issue 16 asks >= 90%; bench/clinical.py prints the figure. Each miss the product
    # cannot yet avoid is named with its cause, and one that starts to agree fails here
    # so the list only shrinks.
    assert set(missed) == set(KNOWN_MISSES), f"missed: {missed}; known: {sorted(KNOWN_MISSES)}"


# Open gaps, each traced to the measurement that lacks it (see bench/clinical.py --photos).
KNOWN_MISSES = {
    "lateral_shift": (
        "the standing lean (standing.trunk_lean) reads 3.2 +- 2.1 deg for a ~4.5 deg shift: "
        "an uncertainty wider than its 0-2 deg range, so not rated (imprecise), no evidence; "
        "the side-bend asymmetry alone does not outweigh the flexion answers (worse sitting "
        "and bending)"
    ),
}


@pytest.mark.slow
def test_with_photos_normal_movers_get_no_headline_cause_and_no_abnormal_rating(photo_outcomes):
    normal = [c for c in WITH_PHOTOS if c.normal]
    assert len(normal) >= 5
    wrong = {
        c.id: (photo_outcomes[c.id].headline, photo_outcomes[c.id].abnormal)
        for c in normal
        if not movement_agrees(c, photo_outcomes[c.id])
    }
    assert len(normal) - len(wrong) >= AGREEMENT * len(normal), f"not normal: {wrong}"
