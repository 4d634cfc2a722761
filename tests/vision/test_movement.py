"""Movement check: which movement a photo shows, so a wrong photo can be caught."""

from __future__ import annotations

import pytest

from tests.vision.helpers import analyse_synthetic
from vision.errors import PhotoRejected
from vision.synthetic import SynthCamera, SynthPose
from vision.types import Movement


@pytest.mark.parametrize("pose, camera, expected", [
    (SynthPose(), SynthCamera(yaw=0), Movement.STANDING),
    (SynthPose(), SynthCamera(yaw=270), Movement.STANDING),
    (SynthPose(hip_flexion=75), SynthCamera(yaw=10), Movement.FORWARD_BEND),
    (SynthPose(hip_flexion=75), SynthCamera(yaw=60), Movement.FORWARD_BEND),
    (SynthPose(hip_flexion=-30), SynthCamera(yaw=0), Movement.BACKWARD_BEND),
    (SynthPose(lateral_bend=25), SynthCamera(yaw=270), Movement.SIDE_BEND),
    (SynthPose(lateral_bend=-25), SynthCamera(yaw=90), Movement.SIDE_BEND),
    (SynthPose(trunk_rotation=40), SynthCamera(yaw=90), Movement.ROTATION),
])
def test_synthetic_movements_are_recognised(pose, camera, expected):
    out, _ = analyse_synthetic(pose, camera, annotate=False)
    guess = out.analysis.movement
    assert guess.movement is expected, guess
    assert guess.confidence >= 0.5
    assert sum(guess.scores.values()) == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("photo, expected", [
    ("forward_bend/Standing_Toe_Touches__1.jpg", Movement.FORWARD_BEND),
    ("forward_bend/Good_Morning__1.jpg", Movement.FORWARD_BEND),
    ("forward_bend/Romanian_Deadlift__0.jpg", Movement.FORWARD_BEND),   # seen from the front
    ("standing_upright/Standing_Hip_Circles__0.jpg", Movement.STANDING),
    ("standing_upright/Standing_Calf_Raises__1.jpg", Movement.STANDING),
    ("side_bend/Dumbbell_Side_Bend__1.jpg", Movement.SIDE_BEND),
    ("backward_bend/Lower_Back_Curl__1.jpg", Movement.BACKWARD_BEND),   # prone, chest lifted
])
def test_real_key_photos_are_recognised(analysed, photo, expected):
    out = analysed(f"movements/{photo}")
    assert not isinstance(out, PhotoRejected), out
    assert out.analysis.movement.movement is expected, out.analysis.movement


def test_a_forward_bend_is_not_mistaken_for_standing_with_confidence(analysed):
    guess = analysed("movements/forward_bend/Standing_Toe_Touches__1.jpg").analysis.movement
    assert guess.confidence > 0.8 and guess.scores["standing"] < 0.05
