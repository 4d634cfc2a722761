"""The exercise catalog: the shipped files load, and every kind of mistake an admin can
make is reported with the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.content.catalog import (
    BANDS,
    CATEGORIES,
    EXERCISES_PATH,
    VIDEOS_PATH,
    load_catalog,
    volume,
)
from backcare.kernel.vocabulary import vocabulary
from backcare.kernel.yamlfile import DataFileError

EXERCISES = EXERCISES_PATH.read_text(encoding="utf-8")
VIDEOS = VIDEOS_PATH.read_text(encoding="utf-8")


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th occurrence of ``fragment`` in ``text``."""
    at = -1
    for _ in range(occurrence):
        at = text.index(fragment, at + 1)
    return text.count("\n", 0, at) + 1


def load_edited(tmp_path: Path, exercises: str = EXERCISES, videos: str = VIDEOS):
    ex, vi = tmp_path / "exercises.yaml", tmp_path / "videos.yaml"
    ex.write_text(exercises, encoding="utf-8")
    vi.write_text(videos, encoding="utf-8")
    return load_catalog(ex, vi), ex, vi


def problems_of(tmp_path: Path, exercises: str = EXERCISES, videos: str = VIDEOS):
    with pytest.raises(DataFileError) as info:
        load_edited(tmp_path, exercises, videos)
    return info.value.problems


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"fixture text not found: {old!r}"
    return text.replace(old, new, 1)


# --- the shipped catalog ---------------------------------------------------------------


def test_shipped_catalog_has_12_to_20_exercises_with_both_languages_and_videos():
    catalog = load_catalog()
    assert 12 <= len(catalog.exercises) <= 20
    for ex in catalog.exercises.values():
        for text in (ex.name, ex.instructions, ex.progression, ex.regression, ex.safety):
            assert set(text) == {"en", "ja"} and all(text.values())
        assert ex.video_url == catalog.videos[ex.video].url
        assert ex.video_url.startswith("https://")
        assert ex.category in CATEGORIES
        assert set(ex.dose) == set(BANDS)
        assert ex.sources and all(s in catalog.sources for s in ex.sources)


def test_every_cause_except_referral_is_addressed_by_an_exercise():
    catalog = load_catalog()
    for cause in vocabulary().causes:
        if cause == "refer_clinician":
            assert catalog.addressing(cause) == []
        else:
            assert catalog.addressing(cause), cause


def test_gentler_pain_bands_never_ask_for_more_work():
    for ex in load_catalog().exercises.values():
        assert volume(ex.dose["severe"]) <= volume(ex.dose["moderate"]) <= volume(ex.dose["low"]), (
            ex.id
        )


def test_catalog_cites_the_literature_it_draws_on():
    sources = " ".join(load_catalog().sources.values())
    for citation in (
        "NG59",
        "Hayden",
        "Saragiotto",
        "Sahrmann",
        "Van Dillen",
        "McKenzie",
        "O'Sullivan",
    ):
        assert citation in sources


def test_unedited_copy_loads_from_other_paths(tmp_path):
    catalog, _, _ = load_edited(tmp_path)
    assert catalog.exercises.keys() == load_catalog().exercises.keys()


# --- one test per class of mistake: file, line, field -------------------------------------


def test_unknown_cause_names_file_line_and_field(tmp_path):
    old = "causes: [psychosocial_risk, motor_control_deficit]"
    text = edit(EXERCISES, old, "causes: [psychosocial_risk, core_weakness]")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.file.endswith("exercises.yaml")
    assert problem.line == line_of(text, "core_weakness")
    assert problem.field == "exercises.relaxed_breathing.addresses.causes"
    assert "unknown cause 'core_weakness'" in problem.message


def test_unknown_atom_is_refused(tmp_path):
    text = edit(EXERCISES, "[standing.pelvic_tilt=excessive,", "[standing.pelvic_tilt=huge,")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.line == line_of(text, "standing.pelvic_tilt=huge")
    assert problem.field == "exercises.pelvic_tilt.addresses.atoms"
    assert "unknown atom" in problem.message


def test_unknown_contraindication_fact_is_refused(tmp_path):
    text = edit(
        EXERCISES, "contraindications: [radiating_below_knee]", "contraindications: [sciatica]"
    )
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.line == line_of(text, "contraindications: [sciatica]")
    assert problem.field == "exercises.lateral_shift_correction.contraindications"
    assert "unknown fact or atom 'sciatica'" in problem.message


def test_red_flag_cannot_be_something_an_exercise_addresses(tmp_path):
    text = edit(EXERCISES, "facts: [startback_high,", "facts: [red_flag_trauma,")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.field == "exercises.relaxed_breathing.addresses.facts"
    assert "red flag" in problem.message


def test_missing_translation_is_reported_at_the_text(tmp_path):
    text = edit(EXERCISES, '      ja: "リラックスした腹式呼吸"\n', "")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.line == line_of(text, '      en: "Relaxed belly breathing"')
    assert problem.field == "exercises.relaxed_breathing.name.ja"
    assert problem.message == "missing translation"


def test_english_left_in_the_japanese_field_counts_as_missing_translation(tmp_path):
    text = edit(EXERCISES, 'ja: "リラックスした腹式呼吸"', 'ja: "Relaxed belly breathing"')
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.field == "exercises.relaxed_breathing.name.ja"
    assert problem.message == "missing translation (nothing in the script of ja)"


def test_missing_video_names_the_exercise_line(tmp_path):
    text = edit(EXERCISES, "video: dead_bug", "video: dead_bug_v2")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.line == line_of(text, "video: dead_bug_v2")
    assert problem.field == "exercises.dead_bug.video"
    assert "missing video 'dead_bug_v2'" in problem.message


def test_dose_out_of_range_is_a_bad_dose(tmp_path):
    old = "severe:   {sets: 1, reps: 6, days_per_week: 7}"
    text = edit(EXERCISES, old, "severe:   {sets: 1, reps: 6, days_per_week: 9}")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.line == line_of(text, "days_per_week: 9")
    assert problem.field == "exercises.relaxed_breathing.dose.severe.days_per_week"
    assert "bad dose" in problem.message


def test_dose_without_reps_hold_or_minutes_is_a_bad_dose(tmp_path):
    old = "severe:   {sets: 1, reps: 6, days_per_week: 7}"
    text = edit(EXERCISES, old, "severe:   {sets: 1, days_per_week: 7}")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.field == "exercises.relaxed_breathing.dose.severe"
    assert problem.line == line_of(text, "severe:   {sets: 1, days_per_week: 7}")
    assert "give reps, hold_s or minutes" in problem.message


def test_gentler_band_asking_for_more_work_is_a_bad_dose(tmp_path):
    old = "severe:   {sets: 1, reps: 6, days_per_week: 7}"
    text = edit(EXERCISES, old, "severe:   {sets: 3, reps: 20, days_per_week: 7}")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.field == "exercises.relaxed_breathing.dose.severe"
    assert "more work than the 'moderate' band" in problem.message


def test_missing_pain_band_is_reported(tmp_path):
    text = edit(EXERCISES, "      moderate: {sets: 1, reps: 8, days_per_week: 7}\n", "")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.field == "exercises.relaxed_breathing.dose.moderate"
    assert problem.message == "missing"


def test_unknown_source_is_refused(tmp_path):
    text = edit(
        EXERCISES, "sources: [osullivan2018, nice_ng59]", "sources: [osullivan2019, nice_ng59]"
    )
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.line == line_of(text, "osullivan2019")
    assert "unknown source 'osullivan2019'" in problem.message


def test_misspelt_field_is_refused(tmp_path):
    text = edit(
        EXERCISES,
        "    video: walking\n",
        "    video: walking\n    contraindication: [worse_sitting]\n",
    )
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.field == "exercises.walking.contraindication"
    assert problem.line == line_of(text, "contraindication: [worse_sitting]")


def test_cause_left_without_any_exercise_is_refused(tmp_path):
    # Remove thoracic_stiffness from both exercises that address it.
    text = EXERCISES.replace(
        "causes: [thoracic_stiffness, sitting_posture]", "causes: [sitting_posture]"
    )
    text = text.replace(
        "causes: [thoracic_stiffness, rotation_impairment]", "causes: [rotation_impairment]"
    )
    [problem] = problems_of(tmp_path, exercises=text)
    assert "no exercise addresses cause 'thoracic_stiffness'" in problem.message


def test_http_video_link_is_refused_with_its_line(tmp_path):
    old = "url: https://www.nhs.uk/live-well/exercise/walking-for-health/"
    text = edit(VIDEOS, old, "url: http://www.nhs.uk/live-well/exercise/walking-for-health/")
    [problem] = problems_of(tmp_path, videos=text)
    assert problem.file.endswith("videos.yaml")
    assert problem.line == line_of(text, "http://www.nhs.uk")
    assert problem.field == "videos.walking.url"
    assert "must use https" in problem.message


@pytest.mark.parametrize(
    "query", ["&si=AbC123", "&utm_source=telegram", "&feature=share", "&fbclid=x1"]
)
def test_tracking_parameter_in_video_link_is_refused(tmp_path, query):
    old = "url: https://www.youtube.com/watch?v=iZ611vwxI4I"
    text = edit(VIDEOS, old, old + query)
    [problem] = problems_of(tmp_path, videos=text)
    assert problem.line == line_of(text, query)
    assert problem.field == "videos.glute_bridge.url"
    assert "tracking parameter" in problem.message


def test_video_link_without_host_is_refused(tmp_path):
    old = "url: https://www.nhs.uk/live-well/exercise/walking-for-health/"
    text = edit(VIDEOS, old, "url: https:///walking-for-health/")
    [problem] = problems_of(tmp_path, videos=text)
    assert "host" in problem.message


def test_every_problem_is_reported_at_once(tmp_path):
    exercises = edit(EXERCISES, "video: dead_bug", "video: nope")
    exercises = edit(exercises, "[standing.pelvic_tilt=excessive,", "[standing.pelvic_tilt=huge,")
    videos = edit(
        VIDEOS,
        "https://www.youtube.com/watch?v=iZ611vwxI4I",
        "https://www.youtube.com/watch?v=iZ611vwxI4I&si=x",
    )
    problems = problems_of(tmp_path, exercises, videos)
    fields = {p.field for p in problems}
    assert {
        "exercises.dead_bug.video",
        "exercises.pelvic_tilt.addresses.atoms",
        "videos.glute_bridge.url",
    } <= fields


def test_yaml_syntax_error_names_the_line(tmp_path):
    text = edit(EXERCISES, "category: strength", "category: [strength")
    [problem] = problems_of(tmp_path, exercises=text)
    assert problem.file.endswith("exercises.yaml") and problem.line is not None
    assert "YAML syntax" in problem.message
