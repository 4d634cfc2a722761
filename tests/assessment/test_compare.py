"""Progress between two assessments: better, worse, same, new, lost."""

from __future__ import annotations

import pytest

from backcare.assessment.compare import compare, deviation
from backcare.assessment.rating import assess
from backcare.assessment.rating import compare as compare_from_rating
from backcare.assessment.thresholds import thresholds
from backcare.assessment.types import DIRECTIONS, Observation, Profile
from tests.assessment.construct import measurements_for

RULES = thresholds().rules
HIP = RULES["forward_bend.hip_flexion"]  # adults under 60: 50-90 deg, error 8


def _hip(value):
    out = {o.name: o for o in assess(measurements_for(HIP, value), Profile(40))}
    return [out["forward_bend.hip_flexion"]]


def _change(before, after):
    changes = compare(before, after)
    assert [c.name for c in changes] == ["forward_bend.hip_flexion"]
    return changes[0]


@pytest.mark.parametrize(
    "before, after, direction",
    [
        (30, 70, "better"),  # insufficient -> normal
        (70, 30, "worse"),  # normal -> insufficient
        (60, 80, "same"),  # normal -> normal
        (20, 38, "better"),  # still insufficient, 18 deg closer (more than the 8 deg error)
        (38, 20, "worse"),
        (36, 40, "same"),  # still insufficient, within the error: noise
        (110, 75, "better"),  # excessive -> normal
    ],
)
def test_direction_is_judged_against_the_usual_range(before, after, direction):
    c = _change(_hip(before), _hip(after))
    assert c.direction == direction
    assert (c.before_value, c.after_value) == (before, after)
    assert c.unit == "deg"


def test_an_observation_measured_only_now_is_new_and_only_before_is_lost():
    missing = [o for o in assess({}, Profile(40)) if o.name == "forward_bend.hip_flexion"]
    new = _change(missing, _hip(70))
    lost = _change(_hip(70), missing)
    assert (new.direction, new.before_rating, new.after_rating) == ("new", "not_assessed", "normal")
    assert (lost.direction, lost.after_value) == ("lost", None)
    assert _change([], _hip(70)).direction == "new"


def test_observations_assessed_neither_time_are_left_out():
    assert compare(assess({}), assess({})) == []


def test_each_change_carries_a_plain_sentence():
    c = _change(_hip(30), _hip(70))
    assert c.explanation["en"] == "Bending at the hips: better than last time."
    assert c.explanation["ja"] == "股関節の曲がり：前回より良くなりました。"


def test_a_full_assessment_compares_in_vocabulary_order_with_known_directions():
    before = assess(
        {**measurements_for(HIP, 30), **measurements_for(RULES["side_bend.range"], 30)}, Profile(40)
    )
    after = assess({**measurements_for(HIP, 70)}, Profile(40))
    changes = compare(before, after)
    assert [c.name for c in changes] == [
        "forward_bend.hip_flexion",
        "side_bend.range",
        "side_bend.asymmetry",
    ]
    assert [c.direction for c in changes] == ["better", "lost", "lost"]
    assert all(c.direction in DIRECTIONS for c in changes)
    assert compare_from_rating is compare


def test_deviation_is_the_distance_outside_the_printed_range():
    o = Observation("x", "insufficient", 30.0, "deg", (50.0, 90.0), "", 0.9, {}, uncertainty=8.0)
    assert deviation(o) == 20.0
    assert (
        deviation(
            Observation("x", "normal", 60.0, "deg", (50.0, 90.0), "", 0.9, {}, uncertainty=8.0)
        )
        == 0.0
    )
