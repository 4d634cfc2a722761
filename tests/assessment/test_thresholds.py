"""thresholds.yaml: complete, cited, and refused with file, line and field when broken."""

from __future__ import annotations

import pytest

from backcare.assessment.thresholds import MEASUREMENTS, PATH, load_thresholds, thresholds
from backcare.assessment.types import Profile
from backcare.kernel.vocabulary import vocabulary
from backcare.kernel.yamlfile import DataFileError

TEXT = PATH.read_text(encoding="utf-8")


def test_every_vocabulary_observation_has_a_rule_with_a_source_and_a_catch_all_band():
    rules = thresholds().rules
    assert set(rules) == set(vocabulary().observations)
    for rule in rules.values():
        assert rule.source.strip()
        assert rule.bands[-1].age is None and rule.bands[-1].sex is None
        assert rule.errors["default"] > 0
        assert "normal" in rule.ratings() and len(rule.ratings()) >= 2


def test_rules_read_the_vocabulary_step_of_their_observation_and_documented_measurements():
    vocab = vocabulary()
    for name, rule in thresholds().rules.items():
        assert vocab.observations[name].movement in rule.value.steps
        assert all(t.name in MEASUREMENTS for t in rule.value.terms)


def test_the_file_says_camera_proxies_are_not_goniometer_values():
    assert "not the same quantity" in TEXT
    assert "no hidden widening" in TEXT


def test_forward_bending_follows_esola_110_degrees_split_40_lumbar_70_hip():
    rules = thresholds().rules
    young = Profile(age=25, sex="male")
    lumbar = rules["forward_bend.lumbar_flexion"].band_for(young)
    hip = rules["forward_bend.hip_flexion"].band_for(young)
    ratio = rules["forward_bend.lumbopelvic_ratio"].band_for(young)
    assert lumbar.low < 41.6 < lumbar.high
    assert hip.low < 69.4 < hip.high
    assert ratio.low < 41.6 / 111 < ratio.high


def test_band_selection_takes_the_first_matching_band():
    rule = thresholds().rules["forward_bend.lumbar_flexion"]
    assert rule.band_for(Profile(age=29)).age is None
    assert rule.band_for(Profile(age=30)).age == (30, 50)
    assert rule.band_for(Profile(age=69)).age == (50, 70)
    assert rule.band_for(Profile(age=70)).age == (70, None)
    assert rule.band_for(Profile()).age is None


# A small file of its own, so these tests do not break when the real ranges change.
SMALL = """\
settings:
  min_confidence: 0.2
  partial_confidence: 0.75
observations:
  standing.pelvic_tilt:
    value: {measure: standing_side.pelvic_tilt}
    unit: deg
    error: 5
    below: insufficient
    above: excessive
    source: Someone 2001
    bands:
      - {when: {sex: female}, low: 12, high: 32}
      - {when: {age: [40, 60]}, low: 8, high: 28}
      - {low: 10, high: 30}
"""


def _broken(tmp_path, old: str, new: str):
    assert old in SMALL, old
    text = SMALL.replace(old, new, 1)
    path = tmp_path / "thresholds.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[: text.index(new)].count("\n") + 1
    with pytest.raises(DataFileError) as err:
        load_thresholds(path)
    return err.value.problems, line, str(path)


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        (
            "{measure: standing_side.pelvic_tilt}",
            "{measure: standing_side.pelvic_tilts}",
            "observations.standing.pelvic_tilt.value.measure",
            "unknown measurement",
        ),
        (
            "{measure: standing_side.pelvic_tilt}",
            "{measure: standing_front.pelvic_tilt}",
            "observations.standing.pelvic_tilt.value.measure",
            "unknown capture step",
        ),
        (
            "{measure: standing_side.pelvic_tilt}",
            "{measure: standing_back.pelvis_level}",
            "observations.standing.pelvic_tilt.value",
            "does not use that step",
        ),
        (
            "{measure: standing_side.pelvic_tilt}",
            "{measure: standing_side.pelvic_tilt, mean: [standing_side.sway]}",
            "observations.standing.pelvic_tilt.value",
            "exactly one of",
        ),
        (
            "{measure: standing_side.pelvic_tilt}",
            "{measure: standing_side.pelvic_tilt, min_total: 5}",
            "observations.standing.pelvic_tilt.value.min_total",
            "only with share",
        ),
        (
            "      - {low: 10, high: 30}",
            "      - {low: 30, high: 10}",
            "observations.standing.pelvic_tilt.bands[2].high",
            "must be above low",
        ),
        (
            "      - {low: 10, high: 30}",
            "      - {when: {age: [60, null]}, low: 10, high: 30}",
            "observations.standing.pelvic_tilt.bands[2]",
            "last band must have no condition",
        ),
        (
            "{when: {sex: female}, low: 12",
            "{when: {sex: woman}, low: 12",
            "observations.standing.pelvic_tilt.bands[0].when.sex",
            "must be one of",
        ),
        (
            "{when: {age: [40, 60]}",
            "{when: {age: [60, 40]}",
            "observations.standing.pelvic_tilt.bands[1].when.age",
            "from < to",
        ),
        (
            "{when: {age: [40, 60]}",
            "{when: {height: [40, 60]}",
            "observations.standing.pelvic_tilt.bands[1].when.height",
            "unknown condition",
        ),
        (
            "    below: insufficient",
            "    below: insufficent",
            "observations.standing.pelvic_tilt.below",
            "must be one of",
        ),
        (
            "    above: excessive",
            "    above: insufficient",
            "observations.standing.pelvic_tilt.above",
            "rate differently",
        ),
        ("    error: 5", "    error: -5", "observations.standing.pelvic_tilt.error.default", "> 0"),
        (
            "    error: 5",
            "    error: {3d: 5}",
            "observations.standing.pelvic_tilt.error",
            "needs a default",
        ),
        (
            "    unit: deg",
            "    unit: degrees",
            "observations.standing.pelvic_tilt.unit",
            "must be one of",
        ),
        (
            "    source: Someone 2001",
            "    sauce: Someone 2001",
            "observations.standing.pelvic_tilt.sauce",
            "unknown key",
        ),
        (
            "  min_confidence: 0.2",
            "  min_confidence: 2",
            "settings.min_confidence",
            "between 0 and 1",
        ),
    ],
)
def test_a_broken_rule_is_refused_naming_file_line_and_field(tmp_path, old, new, field, words):
    problems, line, path = _broken(tmp_path, old, new)
    matching = [p for p in problems if p.field == field]
    assert matching, [str(p) for p in problems]
    assert words in matching[0].message
    assert matching[0].file == path
    assert matching[0].line == line


def test_the_small_file_is_only_refused_for_the_observations_it_lacks(tmp_path):
    path = tmp_path / "thresholds.yaml"
    path.write_text(SMALL, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_thresholds(path)
    assert all(p.message.startswith("missing") for p in err.value.problems)
    assert len(err.value.problems) == len(vocabulary().observations) - 1


def test_a_missing_observation_is_reported(tmp_path):
    start = TEXT.index("  standing.sway:")
    end = TEXT.index("  # ----", start)
    path = tmp_path / "t.yaml"
    path.write_text(TEXT[:start] + TEXT[end:], encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_thresholds(path)
    assert any(
        p.field == "observations.standing.sway" and "missing" in p.message
        for p in err.value.problems
    )


def test_an_observation_outside_the_vocabulary_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(TEXT.replace("  standing.sway:", "  standing.swagger:", 1), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_thresholds(path)
    fields = {p.field for p in err.value.problems}
    assert "observations.standing.swagger" in fields and "observations.standing.sway" in fields


def test_all_problems_are_reported_at_once(tmp_path):
    text = TEXT.replace("{measure: standing_side.pelvic_tilt}", "{measure: standing_side.nope}", 1)
    text = text.replace("{measure: standing_side.sway}", "{measure: standing_side.nada}", 1)
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_thresholds(path)
    assert len(err.value.problems) >= 2
    assert "nope" in str(err.value) and "nada" in str(err.value)


def test_a_per_method_error_is_used_for_that_method(tmp_path):
    path = tmp_path / "t.yaml"
    old = "{measure: forward_bend.trunk_inclination}\n    unit: deg\n    error:"
    assert old in TEXT
    start = TEXT.index(old) + len(old)
    end = TEXT.index("\n", start)
    path.write_text(TEXT[:start] + " {default: 4.5, 2d-oblique: 9}" + TEXT[end:], encoding="utf-8")
    rule = load_thresholds(path).rules["forward_bend.trunk_inclination"]
    assert rule.error_for("2d-oblique") == 9.0
    assert rule.error_for("some-other-method") == 4.5


def test_a_duplicate_key_is_refused_by_the_strict_loader(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        TEXT.replace("    unit: deg\n", "    unit: deg\n    unit: deg\n", 1), encoding="utf-8"
    )
    with pytest.raises(DataFileError, match="duplicate key"):
        load_thresholds(path)
