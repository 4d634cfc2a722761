"""Values from measurements: one measurement, a share, a mean, a left-right difference,
and the reason when there is no value."""

from __future__ import annotations

import pytest

from backcare.assessment.thresholds import Term, ValueSpec, thresholds
from backcare.assessment.values import REASONS, derive
from tests.assessment.construct import m

RULES = thresholds().rules


def _spec(name):
    return RULES[name].value


def test_a_measure_with_a_minus_flips_the_sign():
    # backward bend: vision gives extension as negative lumbar flexion
    d = derive(
        _spec("backward_bend.lumbar_extension"),
        {"backward_bend": {"lumbar_flexion": m("lumbar_flexion", -20, 0.7, method="back-contour")}},
        "deg",
    )
    assert d.value == 20 and d.confidence == 0.7 and d.method == "back-contour" and d.reason == ""


def test_the_lumbopelvic_ratio_is_the_lumbar_share_of_the_bend():
    d = derive(
        _spec("forward_bend.lumbopelvic_ratio"),
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", 41.6, 0.6, method="contour"),
                "hip_flexion": m("hip_flexion", 69.4, 0.8, method="2d"),
            }
        },
        "ratio",
    )
    assert d.value == pytest.approx(41.6 / 111)
    assert d.confidence == 0.6  # the weaker input
    assert d.method == "2d+contour"


def test_a_lumbar_spine_that_extends_while_bending_forward_takes_no_share():
    d = derive(
        _spec("forward_bend.lumbopelvic_ratio"),
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", -10),
                "hip_flexion": m("hip_flexion", 80),
            }
        },
        "ratio",
    )
    assert d.value == 0.0


def test_the_hinge_share_uses_lumbar_extension_against_hip_extension():
    d = derive(
        _spec("backward_bend.hinge"),
        {
            "backward_bend": {
                "lumbar_flexion": m("lumbar_flexion", -27),
                "hip_extension": m("hip_extension", 3),
            }
        },
        "ratio",
    )
    assert d.value == pytest.approx(0.9)


def test_pelvic_compensation_averages_both_turns_by_magnitude():
    d = derive(
        _spec("rotation.pelvic_compensation"),
        {
            "rotation_left": {
                "pelvic_rotation": m("pelvic_rotation", 30),
                "trunk_rotation": m("trunk_rotation", 10),
            },
            "rotation_right": {
                "pelvic_rotation": m("pelvic_rotation", -20),
                "trunk_rotation": m("trunk_rotation", -20),
            },
        },
        "ratio",
    )
    assert d.value == pytest.approx((0.75 + 0.5) / 2)


def test_a_mean_of_sides_uses_magnitudes_and_tolerates_one_missing_side_with_less_confidence():
    spec = _spec("side_bend.range")
    both = derive(
        spec,
        {
            "side_bend_left": {"lateral_bend": m("lateral_bend", 30)},
            "side_bend_right": {"lateral_bend": m("lateral_bend", -20)},
        },
        "deg",
        0.75,
    )
    one = derive(spec, {"side_bend_right": {"lateral_bend": m("lateral_bend", -20)}}, "deg", 0.75)
    assert both.value == 25 and both.confidence == pytest.approx(0.9)
    assert one.value == 20 and one.confidence == pytest.approx(0.9 * 0.75)


def test_a_difference_names_the_larger_side():
    spec = _spec("side_bend.asymmetry")
    d = derive(
        spec,
        {
            "side_bend_left": {"lateral_bend": m("lateral_bend", 18)},
            "side_bend_right": {"lateral_bend": m("lateral_bend", -30)},
        },
        "deg",
    )
    assert d.value == 12 and d.side == "right"


@pytest.mark.parametrize(
    "steps, reason",
    [
        ({}, "no_photo"),
        ({"side_bend_left": {"lateral_bend": m("lateral_bend", 20)}}, "needs_both_sides"),
        ({"side_bend_left": {}, "side_bend_right": {}}, "not_measured"),
        (
            {
                "side_bend_left": {"lateral_bend": m("lateral_bend", float("nan"))},
                "side_bend_right": {},
            },
            "unusable",
        ),
    ],
)
def test_a_difference_without_both_values_says_why(steps, reason):
    d = derive(_spec("side_bend.asymmetry"), steps, "deg")
    assert d.value is None and d.reason == reason


def test_a_fault_in_the_photo_beats_a_missing_photo_as_the_reason():
    d = derive(_spec("rotation.range"), {"rotation_left": {}}, "deg")
    assert d.reason == "not_measured"


def test_a_share_needs_enough_movement_to_split():
    d = derive(
        ValueSpec(
            "share",
            (Term("forward_bend", "lumbar_flexion"), Term("forward_bend", "hip_flexion")),
            min_total=30,
        ),
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", 10),
                "hip_flexion": m("hip_flexion", 19),
            }
        },
        "ratio",
    )
    assert d.value is None and d.reason == "too_little_movement"


def test_a_share_of_measurements_in_different_units_is_unusable():
    d = derive(
        _spec("forward_bend.lumbopelvic_ratio"),
        {
            "forward_bend": {
                "lumbar_flexion": m("lumbar_flexion", 40),
                "hip_flexion": m("hip_flexion", 1.2, unit="rad"),
            }
        },
        "ratio",
    )
    assert d.reason == "unusable"


def test_every_reason_is_one_of_the_documented_reasons():
    assert set(REASONS) == {
        "no_photo",
        "not_measured",
        "low_confidence",
        "too_little_movement",
        "unusable",
        "needs_both_sides",
        "imprecise",
    }
