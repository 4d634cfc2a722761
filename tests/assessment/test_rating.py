"""Ratings: constructed measurements at and around every threshold of thresholds.yaml,
age and sex bands, confidence near thresholds, and not_assessed with its reason."""

from __future__ import annotations

import dataclasses
import math

import pytest

from backcare.assessment.rating import assess, rate
from backcare.assessment.texts import texts
from backcare.assessment.thresholds import thresholds
from backcare.assessment.types import Observation, Profile
from backcare.kernel.vocabulary import vocabulary
from backcare.vision.types import Measurement
from tests.assessment.construct import CONF, m, measurements_for, probes, profile_for

RULES = thresholds().rules


def _one(measurements, name, profile=None):
    return {o.name: o for o in assess(measurements, profile or Profile())}[name]


def _cases():
    for name, rule in RULES.items():
        for i, band in enumerate(rule.bands):
            for label, value, expected in probes(rule, band):
                yield pytest.param(
                    name, i, value, expected, id=f"{name}-band{i}-{label.replace(' ', '_')}"
                )


@pytest.mark.parametrize("name, band_index, value, expected", list(_cases()))
def test_every_threshold_of_every_band_rates_as_the_yaml_says(name, band_index, value, expected):
    rule = RULES[name]
    band = rule.bands[band_index]
    profile = profile_for(rule, band)
    obs = _one(measurements_for(rule, value), name, profile)
    assert obs.rating == expected, f"{name} = {value} for {profile}"
    assert obs.value == pytest.approx(value, abs=1e-9)
    assert obs.normal_range == (band.low, band.high)
    assert obs.uncertainty == rule.error_for("test")
    assert obs.unit == rule.unit
    assert obs.source == (band.source or rule.source)
    if expected == "borderline":  # shown with its interval; no evidence for the reasoning
        assert obs.atom is None and obs.leaning in (rule.below, rule.above)
        assert obs.explanation == texts().borderline_sentence(
            name, obs.leaning, obs.value, obs.uncertainty, obs.normal_range, rule.unit
        )
    else:
        assert obs.explanation == texts().rating(name, expected, _side(obs, rule))
        assert obs.atom == f"{name}={expected}"


def _side(obs, rule):
    # constructed difference values put the larger side first; signed measures are positive
    return rule.value.sides[0] if rule.value.sides and obs.value > 0 else None


def _edges(rule, band):
    """The printed limits where the rating changes."""
    edges = []
    if rule.below != "normal":
        edges.append(band.low)
    if rule.above != "normal":
        edges.append(band.high)
    return edges


def _phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@pytest.mark.parametrize("name", sorted(RULES))
def test_a_value_on_a_limit_is_borderline_and_confidence_grows_away_from_it(name):
    rule = RULES[name]
    band = rule.bands[-1]
    tol = rule.error_for("test")
    edges = _edges(rule, band)
    assert edges, f"{name} has no threshold"
    for edge in edges:
        inward = 1 if edge < (band.low + band.high) / 2 else -1
        at = _one(measurements_for(rule, edge), name)
        assert at.rating == "borderline" and at.atom is None
        assert at.confidence == pytest.approx(0.5 * CONF, abs=0.01)
        previous = at.confidence
        for steps in (1.2, 1.5, 2.0):  # beyond one uncertainty outwards: wholly outside
            target = edge - inward * steps * tol
            if rule.value.op == "share" and not 0 <= target <= 1:
                continue  # a share cannot leave [0, 1]
            out = _one(measurements_for(rule, target), name)
            assert out.rating not in ("normal", "borderline")
            assert out.value == pytest.approx(target)
            # the margin is the probability of the rated side, u as 1 SD
            distance = min(abs(target - e) for e in edges)
            assert out.confidence == pytest.approx(_phi(distance / tol) * CONF, abs=0.002)
            assert out.confidence >= previous
            previous = out.confidence


@pytest.mark.parametrize("name", sorted(RULES))
def test_confidence_scales_with_the_measurement_confidence(name):
    rule = RULES[name]
    band = rule.bands[-1]
    value = (band.low + band.high) / 2
    sure = _one(measurements_for(rule, value, confidence=0.9), name)
    unsure = _one(measurements_for(rule, value, confidence=0.45), name)
    assert sure.rating == unsure.rating
    assert sure.rating in ("normal", "borderline")
    assert unsure.confidence == pytest.approx(sure.confidence / 2, abs=0.002)


def _band_splits():
    for name, rule in RULES.items():
        default = rule.bands[-1]
        tol = rule.error_for("test")
        for i, band in enumerate(rule.bands[:-1]):
            # just inside and just outside each group's limits
            for value in (
                band.low - tol - 1e-6,
                band.high + tol + 1e-6,
                default.low - tol - 1e-6,
                default.high + tol + 1e-6,
                (band.low + band.high) / 2,
            ):
                yield pytest.param(name, i, value, id=f"{name}-band{i}-{value:.3g}")


def _expected(rule, band, value):
    tol = rule.error_for("test")
    if value + tol < band.low and rule.below != "normal":
        return rule.below
    if value - tol > band.high and rule.above != "normal":
        return rule.above
    crossing = (rule.below != "normal" and value - tol < band.low < value + tol) or (
        rule.above != "normal" and value - tol < band.high < value + tol
    )
    return "borderline" if crossing else "normal"


@pytest.mark.parametrize("name, band_index, value", list(_band_splits()))
def test_the_profile_selects_the_reference_range_where_the_source_gives_age_or_sex_norms(
    name, band_index, value
):
    rule = RULES[name]
    band, default = rule.bands[band_index], rule.bands[-1]
    group = _one(measurements_for(rule, value), name, profile_for(rule, band))
    everyone = _one(measurements_for(rule, value), name, Profile())
    assert group.normal_range == (band.low, band.high)
    assert everyone.normal_range == (default.low, default.high)
    assert group.rating == _expected(rule, band, value)
    assert everyone.rating == _expected(rule, default, value)


def test_age_and_sex_bands_exist_where_the_literature_gives_them():
    # Troke 2005 / Esola 1996: forward-bend lumbar flexion falls with age;
    # Vazirian 2017: smaller lumbar share over 50 and in women.
    flex = RULES["forward_bend.lumbar_flexion"]
    young, old = flex.band_for(Profile(age=25)), flex.band_for(Profile(age=75))
    assert old.low < young.low and old.high < young.high
    ratio = RULES["forward_bend.lumbopelvic_ratio"]
    assert ratio.band_for(Profile(40, "female")).high < ratio.band_for(Profile(40, "male")).high
    assert ratio.band_for(Profile(60, "female")).high < ratio.band_for(Profile(40, "female")).high
    # a 50 ± 4 degree lumbar bend (the measurement's own uncertainty) is normal at 25 and
    # excessive at 75
    obs = {
        age: _one(
            {
                "forward_bend": {
                    "lumbar_flexion": Measurement("lumbar_flexion", 50.0, "deg", CONF, "x", 4.0)
                }
            },
            "forward_bend.lumbar_flexion",
            Profile(age=age),
        )
        for age in (25, 75)
    }
    assert obs[25].rating == "normal" and obs[75].rating == "excessive"
    assert obs[75].population == "age 70+"


def test_an_unknown_age_or_sex_says_so_in_the_population():
    obs = _one(
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", 40),
                "hip_flexion": m("hip_flexion", 70),
            }
        },
        "forward_bend.lumbopelvic_ratio",
    )
    assert obs.population == "adults (age and sex not given)"


def test_assess_returns_one_observation_per_vocabulary_observation_in_vocabulary_order():
    names = [o.name for o in assess({}, Profile())]
    assert names == list(vocabulary().observations)


def test_missing_steps_give_not_assessed_with_the_no_photo_reason():
    for obs in assess({}, Profile(40, "male")):
        assert obs.rating == "not_assessed"
        assert obs.value is None and obs.atom is None and obs.confidence == 0.0
        assert obs.reason == "no_photo"
        assert obs.explanation == texts().missing("no_photo")
        assert obs.normal_range is not None  # the clinician still sees the range


def test_only_the_observations_of_the_missing_step_are_not_assessed():
    rule = RULES["forward_bend.hip_flexion"]
    out = {o.name: o for o in assess(measurements_for(rule, 70.0), Profile())}
    assert out["forward_bend.hip_flexion"].rating == "normal"
    assert out["standing.pelvic_tilt"].reason == "no_photo"
    # same step, measurement the view did not allow
    assert out["forward_bend.knee_flexion"].reason == "not_measured"
    assert out["forward_bend.knee_flexion"].explanation == texts().missing("not_measured")


def test_a_measurement_below_the_minimum_confidence_is_not_assessed():
    floor = thresholds().settings.min_confidence
    rule = RULES["forward_bend.hip_flexion"]
    low = _one(measurements_for(rule, 70.0, confidence=floor - 0.01), rule.name)
    ok = _one(measurements_for(rule, 70.0, confidence=floor + 0.01), rule.name)
    assert low.rating == "not_assessed" and low.reason == "low_confidence" and low.value is None
    assert ok.rating == "normal"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "12"])
def test_a_value_that_is_not_a_finite_number_is_unusable(bad):
    obs = _one({"forward_bend": {"hip_flexion": m("hip_flexion", bad)}}, "forward_bend.hip_flexion")
    assert obs.rating == "not_assessed" and obs.reason == "unusable"


def test_a_measurement_in_an_unexpected_unit_is_unusable_but_percent_and_ratio_convert():
    hip = _one(
        {"forward_bend": {"hip_flexion": m("hip_flexion", 1.2, unit="rad")}},
        "forward_bend.hip_flexion",
    )
    assert hip.reason == "unusable"
    reach = _one({"forward_bend": {"reach": m("reach", 20.0, unit="%")}}, "forward_bend.reach")
    assert reach.value == pytest.approx(0.20) and reach.rating == "insufficient"


def test_a_confidence_outside_0_to_1_is_clamped():
    obs = _one(
        {"forward_bend": {"hip_flexion": m("hip_flexion", 70, confidence=7.0)}},
        "forward_bend.hip_flexion",
    )
    assert 0 < obs.confidence <= 1


def test_unknown_capture_steps_are_ignored(caplog):
    rule = RULES["forward_bend.hip_flexion"]
    data = {**measurements_for(rule, 70.0), "unassigned": {"hip_flexion": m("hip_flexion", 5)}}
    with caplog.at_level("WARNING"):
        out = assess(data, Profile())
    assert len(out) == len(vocabulary().observations)
    assert "unassigned" in caplog.text


def test_no_profile_means_the_all_adult_ranges():
    rule = RULES["forward_bend.trunk_inclination"]
    assert _one(measurements_for(rule, 100.0), rule.name, None).normal_range == (
        rule.bands[-1].low,
        rule.bands[-1].high,
    )
    assert assess(measurements_for(rule, 100.0)) == assess(measurements_for(rule, 100.0), Profile())


def test_the_side_is_named_in_the_patient_sentence():
    left_high = _one(
        {"standing_back": {"shoulder_level": m("shoulder_level", 8.0)}}, "standing.shoulder_level"
    )
    right_high = _one(
        {"standing_back": {"shoulder_level": m("shoulder_level", -8.0)}}, "standing.shoulder_level"
    )
    assert left_high.rating == right_high.rating == "excessive"
    assert left_high.value == right_high.value == 8.0
    assert "left" in left_high.explanation["en"] and "左" in left_high.explanation["ja"]
    assert "right" in right_high.explanation["en"] and "右" in right_high.explanation["ja"]
    turns = {
        "rotation_left": {"trunk_rotation": m("trunk_rotation", 50.0)},
        "rotation_right": {"trunk_rotation": m("trunk_rotation", -20.0)},
    }
    asym = _one(turns, "rotation.asymmetry")
    assert asym.rating == "excessive" and asym.value == 30.0
    assert asym.explanation["en"] == "You turn further to the left than to the other side."


def test_a_standing_trunk_lean_is_rated_from_the_back_view_with_its_side():
    # the trunk line's frontal angle of the standing back photo (McKenzie's lateral shift)
    def lean(value: float, u: float) -> Observation:
        reading = dataclasses.replace(m("lateral_bend", value), uncertainty=u)
        return _one({"standing_back": {"lateral_bend": reading}}, "standing.trunk_lean")

    assert lean(0.5, 1.0).rating == "normal"
    shifted = lean(-6.0, 1.5)
    assert shifted.rating == "excessive" and shifted.value == 6.0
    assert shifted.explanation["en"] == "Your trunk leans to the right when you stand."
    assert lean(3.0, 2.0).rating == "borderline"  # 1-5 deg straddles the 2 deg limit


def test_the_forward_bend_example_of_the_brief_reads_as_a_patient_sentence():
    # lumbar 70, hip 30: the lower back took 70% of the bend
    obs = _one(
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", 70),
                "hip_flexion": m("hip_flexion", 30),
            }
        },
        "forward_bend.lumbopelvic_ratio",
        Profile(35, "male"),
    )
    assert obs.value == pytest.approx(0.7)
    assert obs.rating == "excessive"
    assert (
        obs.explanation["en"] == "You bent mostly from your lower back and little from your hips."
    )
    assert "Esola" in obs.source


def test_a_two_sided_range_with_one_side_photographed_is_rated_with_less_confidence():
    rule = RULES["side_bend.range"]
    both = _one(measurements_for(rule, 20.0), rule.name)
    left_only = _one({"side_bend_left": {"lateral_bend": m("lateral_bend", 20.0)}}, rule.name)
    assert left_only.rating == both.rating == "normal"
    assert left_only.confidence == pytest.approx(
        both.confidence * thresholds().settings.partial_confidence, abs=0.002
    )
    asym = _one(
        {"side_bend_left": {"lateral_bend": m("lateral_bend", 30.0)}}, "side_bend.asymmetry"
    )
    assert asym.reason == "needs_both_sides"


def test_a_bend_too_small_to_split_is_not_assessed():
    obs = _one(
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", 5),
                "hip_flexion": m("hip_flexion", 5),
            }
        },
        "forward_bend.lumbopelvic_ratio",
    )
    assert obs.rating == "not_assessed" and obs.reason == "too_little_movement"


class TestRate:
    """The pure rating function."""

    def test_bounds_are_inside(self):
        assert rate(10.0, 0.0, 10.0, 20.0, "insufficient", "excessive")[0] == "normal"
        assert rate(20.0, 0.0, 10.0, 20.0, "insufficient", "excessive")[0] == "normal"

    def test_an_interval_across_a_limit_is_borderline_and_leans_across_it(self):
        assert rate(11.0, 2.0, 10.0, 20.0, "insufficient", "excessive") == (
            "borderline",
            0.5,
            "insufficient",
        )
        assert rate(8.5, 2.0, 10.0, 20.0, "insufficient", "excessive")[2] == "insufficient"
        assert rate(21.0, 2.0, 10.0, 20.0, "insufficient", "excessive")[:1] == ("borderline",)

    def test_no_hidden_tolerance_a_value_outside_the_printed_range_is_never_normal(self):
        for value in (7.9, 9.9, 20.1, 22.1):
            assert rate(value, 2.0, 10.0, 20.0, "insufficient", "excessive")[0] != "normal"
        assert rate(7.9, 2.0, 10.0, 20.0, "insufficient", "excessive")[0] == "insufficient"
        assert rate(22.1, 2.0, 10.0, 20.0, "insufficient", "excessive")[0] == "excessive"

    def test_a_one_sided_range_is_normal_below_and_sure_of_it(self):
        rating, margin, _ = rate(-50.0, 2.0, 0.0, 10.0, "normal", "excessive")
        assert rating == "normal" and margin == pytest.approx(1.0)

    def test_margin_is_the_normal_probability_of_the_rated_side(self):
        _, margin, _ = rate(15.0, 2.5, 10.0, 20.0, "insufficient", "excessive")  # 2 u from both
        assert margin == pytest.approx(0.5 * (1 + math.erf(2 / math.sqrt(2))))
