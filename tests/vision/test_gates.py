"""Gates that refuse only what cannot be measured (issue 14).

A restricted movement is a finding: a photo sent for a step is measured as that
step unless it clearly shows another movement, and then it carries the step it
looks like. Size is judged along the body, so a deep bend far away passes. A
reading no body could give in the pose seen is marked unusable, never reported.
"""

from __future__ import annotations

import pytest

from backcare.vision.envelope import screen
from backcare.vision.errors import PhotoRejected
from backcare.vision.measure import Angles
from backcare.vision.movement import check_step, classify
from backcare.vision.types import Measurement, Movement, View, ViewKind
from tests.support.synthetic_landmarks import SynthCamera, SynthPose
from tests.vision.helpers import analyse_synthetic


def _judge(pose: SynthPose, camera: SynthCamera, expects: str, side: str | None = None):
    out, shot = analyse_synthetic(pose, camera, annotate=False)
    return check_step(out.analysis.movement, expects, side), out.analysis, shot


@pytest.mark.parametrize("flexion", [10, 15, 20, 25, 30, 35])
@pytest.mark.parametrize("yaw", [0, 30, 180])
def test_small_forward_bends_are_measured_as_forward_bends(flexion, yaw):
    judged, analysis, shot = _judge(
        SynthPose(hip_flexion=flexion), SynthCamera(yaw=yaw), "forward_bend"
    )
    assert judged.ok, (judged, analysis.movement)
    assert 8 <= shot.truth["trunk_inclination"] <= 40
    assert analysis.measurements["trunk_inclination"].value == pytest.approx(
        shot.truth["trunk_inclination"], abs=4
    )


@pytest.mark.parametrize("rotation", [10, 20, 30])
@pytest.mark.parametrize("yaw", [90, 70, 110])
def test_small_rotations_are_measured_as_rotations_to_their_side(rotation, yaw):
    for sign, side in ((1, "left"), (-1, "right")):
        judged, analysis, _ = _judge(
            SynthPose(trunk_rotation=sign * rotation), SynthCamera(yaw=yaw), "rotation", side
        )
        assert judged.ok, (side, judged, analysis.movement)


@pytest.mark.parametrize("bend", [5, 10, 15, 20])
@pytest.mark.parametrize("yaw", [270, 250, 90])
def test_small_side_bends_are_measured_as_side_bends_to_their_side(bend, yaw):
    for sign, side in ((1, "left"), (-1, "right")):
        judged, analysis, _ = _judge(
            SynthPose(lateral_bend=sign * bend), SynthCamera(yaw=yaw), "side_bend", side
        )
        assert judged.ok, (side, judged, analysis.movement)


def test_standing_still_for_a_movement_step_is_a_finding_not_a_wrong_photo():
    for expects in ("forward_bend", "backward_bend", "rotation", "side_bend"):
        judged, _, _ = _judge(SynthPose(), SynthCamera(yaw=0 if "bend" in expects else 90), expects)
        assert judged.ok and judged.suggested is None, expects


def test_a_photo_that_clearly_shows_another_movement_suggests_its_step():
    judged, _, _ = _judge(SynthPose(hip_flexion=80), SynthCamera(yaw=0), "side_bend", "left")
    assert not judged.ok and judged.suggested == "forward_bend" and judged.side is None
    judged, _, _ = _judge(SynthPose(lateral_bend=25), SynthCamera(yaw=270), "rotation", "left")
    assert not judged.ok and (judged.suggested, judged.side) == ("side_bend", "left")
    judged, _, _ = _judge(SynthPose(hip_flexion=80), SynthCamera(yaw=0), "standing")
    assert not judged.ok and judged.suggested == "forward_bend"


def test_a_clear_bend_to_the_other_side_suggests_that_side():
    judged, _, _ = _judge(SynthPose(lateral_bend=-25), SynthCamera(yaw=270), "side_bend", "left")
    assert not judged.ok and (judged.suggested, judged.side) == ("side_bend", "right")


@pytest.mark.parametrize("distance", [2.6, 3.0, 3.5])
def test_a_deep_bend_far_from_the_camera_is_big_enough(distance):
    camera = SynthCamera(yaw=0, distance=distance)
    out, _ = analyse_synthetic(SynthPose(hip_flexion=120, knee_flexion=5), camera, annotate=False)
    assert out.analysis.quality["person_frac"] >= 0.2
    assert out.analysis.movement.movement.value == "forward_bend"


def test_a_person_too_small_to_measure_is_still_refused():
    camera = SynthCamera(yaw=0, distance=9.0)
    with pytest.raises(PhotoRejected) as err:
        analyse_synthetic(SynthPose(hip_flexion=90), camera, annotate=False)
    assert err.value.reason.value == "person_too_small"


@pytest.mark.parametrize("bend", [15, -15])
def test_a_back_view_keeps_left_and_right(bend):
    out, shot = analyse_synthetic(
        SynthPose(lateral_bend=bend), SynthCamera(yaw=270), annotate=False
    )
    a = out.analysis
    assert a.view.kind.value == "back"
    # the body-frame reading is exact on this rigid skeleton; the fitted estimator (learnt on
    # spines that curve as they bend) keeps its side
    assert a.angles["lateral_bend"] == pytest.approx(shot.truth["lateral_bend"], abs=3)
    assert a.measurements["lateral_bend"].value * bend > 0


def _m(name: str, value: float) -> Measurement:
    return Measurement(name, value, "deg", 0.9, "test")


@pytest.mark.parametrize(
    "name, value, pose",
    [
        ("lumbar_flexion", 54.0, {"trunk_inclination": 3.0, "trunk_thigh_angle": 2.0}),
        ("hip_flexion", -36.0, {"trunk_inclination": 3.0, "trunk_thigh_angle": 2.0}),
        ("lumbar_flexion", 87.0, {"trunk_inclination": 40.0, "trunk_thigh_angle": 50.0}),
        ("trunk_rotation", 95.0, {"trunk_inclination": 60.0, "trunk_thigh_angle": 60.0}),
        ("lumbar_flexion", 60.0, {"trunk_inclination": -25.0, "trunk_thigh_angle": -30.0}),
    ],
)
def test_absurd_readings_are_marked_unusable_with_a_reason(name, value, pose):
    kept, unusable = screen({name: _m(name, value)}, pose)
    assert name not in kept and unusable[name]


@pytest.mark.parametrize(
    "name, value, pose",
    [
        ("lumbar_flexion", 45.0, {"trunk_inclination": 95.0, "trunk_thigh_angle": 110.0}),
        ("hip_flexion", 70.0, {"trunk_inclination": 95.0, "trunk_thigh_angle": 110.0}),
        ("lumbar_flexion", -25.0, {"trunk_inclination": 2.0, "trunk_thigh_angle": 0.0}),
        ("trunk_rotation", -45.0, {"trunk_inclination": 3.0, "trunk_thigh_angle": 2.0}),
        ("lumbar_flexion", -30.0, {"trunk_inclination": -25.0, "trunk_thigh_angle": -30.0}),
    ],
)
def test_readings_within_the_envelope_are_kept(name, value, pose):
    kept, unusable = screen({name: _m(name, value)}, pose)
    assert name in kept and not unusable


def test_every_measurement_carries_an_uncertainty_in_its_unit():
    out, _ = analyse_synthetic(SynthPose(hip_flexion=60), SynthCamera(yaw=10), annotate=False)
    for m in out.analysis.measurements.values():
        assert m.uncertainty is not None and m.uncertainty > 0, m


def test_a_tilt_only_the_body_suggests_must_be_larger_to_refuse():
    from backcare.vision.quality import check_tilt

    check_tilt(17.0, "floor+legs+balance")  # oblique views of level cameras read this much
    check_tilt(-17.0, "floor+legs")
    with pytest.raises(PhotoRejected):
        check_tilt(25.0, "floor+legs+balance")
    with pytest.raises(PhotoRejected):
        check_tilt(17.0, "room+legs")  # the room's verticals are surer


def _guess(incl: float, flex: float, on_feet: bool = True, lateral: float = 0.0):
    values = {
        "trunk_inclination": incl,
        "trunk_thigh_angle": flex,
        "lateral_bend": lateral,
        "shoulder_level": 0.0,
        "trunk_rotation": 0.0,
        "mediapipe_rotation": 0.0,
        "shoulder_knee_rotation": 0.0,
    }
    view = View(ViewKind.OBLIQUE, 300.0, 5.0, 0.0, "away", 0.9)
    return classify(Angles(values, upright=False), view, on_feet)


@pytest.mark.parametrize("asked", ["forward_bend", "backward_bend", "side_bend", "standing"])
def test_a_trunk_no_body_on_its_feet_can_hold_shows_no_movement_to_question(asked):
    # a deep forward bend BlazePose folded over: leaning back 165 deg on the feet, the
    # envelope sets the trunk aside, so it cannot say the photo shows a backward bend
    misread = _guess(-165.0, -177.0, lateral=-17.0)
    assert misread.movement is Movement.STANDING
    assert not any(misread.evidence.values())
    assert check_step(misread, asked, "left" if asked == "side_bend" else None).ok
    # a backward lean a body can hold is still a backward bend
    assert _guess(-30.0, -32.0).movement is Movement.BACKWARD_BEND
    assert not check_step(_guess(-30.0, -32.0), "side_bend", "left").ok
    # kneeling or lying, the trunk may lie flat or further: not a misread
    assert _guess(-100.0, -20.0, on_feet=False).evidence["backward_bend"] == 100.0
