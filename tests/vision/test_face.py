"""Front or back from the picture: a face where the landmarks put one (vision.face).

BlazePose sometimes returns a consistent front-facing body for a photo of someone's
back (issue 14: ~3% of rendered back views, left and right swapped). The landmarks
cannot tell; the picture can: no eyes where the eye landmarks sit means the camera
sees the back of the head.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from backcare.vision.face import PhotoLandmarks, face_detail, featureless
from backcare.vision.geometry import body_frame, estimate_gravity, reconstruct
from backcare.vision.types import Landmarks, ViewKind
from backcare.vision.view import estimate_view
from tests.support.synthetic_landmarks import SynthCamera, SynthPose, shoot
from tests.vision.helpers import StandIn, textured

FRONT = SynthCamera(yaw=90, pitch=5, distance=2.0)  # the landmarks' claim: a front view


def _photo(lm: Landmarks, eyes: bool) -> np.ndarray:
    """A tiled wall with a plain, softly shaded head (the back of a bald head, as in the
    renders BlazePose read as fronts) where the landmarks put the head; with ``eyes``,
    eyes drawn at the eye landmarks (white, dark iris) as on a face."""
    img = textured(*lm.image_size)
    ears = np.linalg.norm(lm.px("left_ear") - lm.px("right_ear"))
    centre = tuple(int(v) for v in (lm.px("left_ear") + lm.px("right_ear")) / 2)
    radius = int(0.75 * ears)
    cv2.circle(img, centre, radius, (190, 150, 120), -1)
    cv2.circle(
        img, (centre[0] - radius // 4, centre[1] - radius // 4), radius // 2, (196, 156, 126), -1
    )
    img = cv2.GaussianBlur(img, (0, 0), 1.5)
    if eyes:
        for side in ("left_eye", "right_eye"):
            x, y = (int(v) for v in lm.px(side))
            size = max(2, int(0.12 * ears))
            cv2.ellipse(img, (x, y), (size, size // 2 + 1), 0, 0, 360, (240, 240, 240), -1)
            cv2.circle(img, (x, y), max(1, size // 2), (40, 30, 25), -1)
    return img


def _with_face(lm: Landmarks, detail: float | None) -> PhotoLandmarks:
    return PhotoLandmarks(
        lm.pixel, lm.normalized, lm.world, lm.visibility, lm.presence, lm.image_size, detail
    )


@pytest.fixture(scope="module")
def front_shot():
    return shoot(SynthPose(), FRONT, depth_gain=0.8)


def test_plain_head_reads_as_no_face_and_eyes_as_a_face(front_shot):
    lm = front_shot.landmarks
    plain = face_detail(_photo(lm, eyes=False), lm)
    seen = face_detail(_photo(lm, eyes=True), lm)
    assert plain is not None and seen is not None
    assert featureless(plain) == 1.0
    assert featureless(seen) == 0.0


def test_the_picture_is_not_asked_when_it_cannot_show_eyes(front_shot):
    lm = front_shot.landmarks
    img = _photo(lm, eyes=False)
    # a head too small to resolve eyes
    far = shoot(SynthPose(), replace(FRONT, distance=25.0)).landmarks
    assert face_detail(img, far) is None
    # a head below the shoulders (bent over: the face turns to the floor)
    bowed = shoot(SynthPose(hip_flexion=110), FRONT).landmarks
    assert face_detail(img, bowed) is None
    assert featureless(None) == 0.0


def test_landmarks_turned_to_the_camera_without_a_face_are_turned_round(front_shot):
    """The old votes (feet, face, MediaPipe's world nose) all said front; the plain
    picture outweighs them, and the body is read from the back, left and right swapped."""
    lm = front_shot.landmarks
    sk = reconstruct(lm)
    gravity = estimate_gravity(sk, lm)
    assert not body_frame(sk, gravity, lm).swapped  # landmarks alone: a front view

    plain = _with_face(lm, face_detail(_photo(lm, eyes=False), lm))
    frame = body_frame(sk, gravity, plain)
    assert frame.swapped
    assert estimate_view(sk, frame, gravity).kind is ViewKind.BACK

    face = _with_face(lm, face_detail(_photo(lm, eyes=True), lm))
    frame = body_frame(sk, gravity, face)
    assert not frame.swapped
    assert estimate_view(sk, frame, gravity).kind is ViewKind.FRONT


def test_a_plain_head_does_not_turn_a_side_view():
    """Seen from the side the eye region says little about front or back."""
    lm = shoot(SynthPose(), SynthCamera(yaw=0, pitch=5, distance=2.0), depth_gain=0.8).landmarks
    sk = reconstruct(lm)
    gravity = estimate_gravity(sk, lm)
    frame = body_frame(sk, gravity, _with_face(lm, 0.0))
    assert not frame.swapped


def test_whole_analysis_reads_a_faceless_front_claim_as_a_back_view(front_shot):
    """End to end, as the pose wrapper hands it over: landmarks with the picture's
    face detail attached."""
    from backcare.vision.analysis import analyse_image

    lm = front_shot.landmarks
    img = _photo(lm, eyes=False)
    shot = replace(front_shot, landmarks=_with_face(lm, face_detail(img, lm)))
    out = analyse_image(img, StandIn(shot), annotate=False, fitted=False)
    assert out.analysis.view.kind is ViewKind.BACK
    assert "left and right looked swapped and were corrected" in out.analysis.warnings


def test_pose_wrapper_attaches_the_face_detail(estimator, photo_bytes):
    """The real pipeline: BlazePose's landmarks come with the picture's face detail."""
    from backcare.vision.loading import load_image

    pose = estimator.estimate(load_image(photo_bytes("renders/standing_front.jpg")))
    assert isinstance(pose.landmarks, PhotoLandmarks)
    assert pose.landmarks.face_detail is not None
    assert featureless(pose.landmarks.face_detail) == 0.0
