"""Quality gates: every kind of unusable photo is refused with its own reason.

Rendered photos (tests/data/renders) are spoiled on purpose (darkened, blurred, cut,
rotated, shrunk);
the too-close case needs a known lens and distance, so it is photographed
synthetically and fed through the same analysis with a stand-in estimator.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from backcare.vision.analysis import analyse_image
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.quality import LIMITS, check_distance, check_tilt
from tests.support.synthetic_landmarks import SynthCamera, SynthPose, shoot
from tests.vision.helpers import StandIn, textured

FULL_SIDE = "renders/standing_side_right.jpg"  # whole body, side view
FULL_FRONT = "renders/standing_front.jpg"


def _refusal(rgb, estimator, **kw) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as err:
        analyse_image(np.ascontiguousarray(rgb), estimator, annotate=False, **kw)
    return err.value


def test_the_unspoiled_photos_pass(analysed):
    for f in (FULL_SIDE, FULL_FRONT):
        assert not isinstance(analysed(f), PhotoRejected), analysed(f)


def test_nearly_black_photo_is_too_dark(rgb_of, estimator):
    dark = (rgb_of(FULL_SIDE).astype(np.float32) * 0.12).astype(np.uint8)
    assert _refusal(dark, estimator).reason is Reason.TOO_DARK


def test_underexposed_person_is_too_dark(rgb_of, estimator):
    """The room is still visible (the picture as a whole passes) but the body is murky."""
    dim = (rgb_of(FULL_SIDE).astype(np.float32) * 0.3).astype(np.uint8)
    err = _refusal(dim, estimator)
    assert err.reason is Reason.TOO_DARK and "person" in err.detail


def test_out_of_focus_photo_is_blurred(rgb_of, estimator):
    img = rgb_of(FULL_SIDE)
    sigma = 0.02 * img.shape[0]  # 2% of the picture's height, ~3% of the body's
    assert _refusal(cv2.GaussianBlur(img, (0, 0), sigma), estimator).reason is Reason.BLURRED


def test_photo_without_anyone_is_no_person(estimator):
    """A sharp, evenly lit tiled wall (a render's plain wall alone is refused as blurred)."""
    assert _refusal(textured(480, 640), estimator).reason is Reason.NO_PERSON


def test_blank_picture_is_no_person_not_blurred(estimator):
    assert _refusal(np.full((480, 640, 3), 128, np.uint8), estimator).reason is Reason.NO_PERSON


def test_two_people_are_several_people(analysed):
    err = analysed("renders/two_people.jpg")  # two whole people side by side
    assert isinstance(err, PhotoRejected) and err.reason is Reason.SEVERAL_PEOPLE


def test_feet_cut_off_are_named(rgb_of, manifest, estimator):
    img = rgb_of(FULL_SIDE)
    ankle = manifest[FULL_SIDE]["keypoints"]["right_ankle"][1]
    err = _refusal(img[: int(ankle) - 12], estimator)  # cut just above the ankles
    assert err.reason is Reason.CROPPED and err.detail == "feet"


def test_head_cut_off_is_named(rgb_of, manifest, estimator):
    img = rgb_of(FULL_SIDE)
    eyes = manifest[FULL_SIDE]["keypoints"]["left_eye"][1]
    err = _refusal(img[int(eyes) :], estimator)  # cut through the eyes
    assert err.reason is Reason.CROPPED and "head" in err.detail.split(",")


def test_legs_cut_off_name_knees_and_feet(rgb_of, estimator):
    img = rgb_of(FULL_SIDE)
    err = _refusal(img[: int(0.62 * img.shape[0])], estimator)
    assert err.reason is Reason.CROPPED and err.detail.split(",")[-2:] == ["knees", "feet"]


def test_person_far_away_is_too_small(rgb_of, estimator):
    """The same picture at 0.35 of its size: the person spans ~115 px along the body. (A person
    under a fifth of a 640 px picture is not found at all by the detector: nobody found.)"""
    img = cv2.resize(rgb_of(FULL_SIDE), None, fx=0.35, fy=0.35, interpolation=cv2.INTER_AREA)
    err = _refusal(img, estimator)
    assert err.reason is Reason.PERSON_TOO_SMALL and "px" in err.detail


def test_rotated_camera_is_tilted(rgb_of, estimator):
    """The phone turned 30 deg. The renders' plain wall has no vertical lines, so only the body
    tells the tilt, which must pass 22 deg to refuse: it reads ~24 here (~20 at 25 deg)."""
    img = rgb_of(FULL_SIDE)
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -30, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    tilted = cv2.warpAffine(img, m, (nw, nh), borderMode=cv2.BORDER_REFLECT)
    err = _refusal(tilted, estimator)
    assert err.reason is Reason.TILTED
    assert abs(float(err.detail.split()[2])) == pytest.approx(30, abs=7)


def test_upside_down_picture_is_tilted(rgb_of, estimator):
    err = _refusal(rgb_of(FULL_SIDE)[::-1], estimator)
    assert err.reason is Reason.TILTED and "upside down" in err.detail


def test_camera_too_close_is_refused_when_the_lens_is_known():
    """0.8 m away with an ultra-wide (13 mm) lens: the whole body fits, distorted."""
    shot = shoot(SynthPose(), SynthCamera(yaw=90, distance=0.8, focal_35mm=13))
    img = textured(*shot.landmarks.image_size)
    err = _refusal(img, StandIn(shot), focal_35mm=13)
    assert err.reason is Reason.TOO_CLOSE
    # the same person at 3 m passes the gate
    far = shoot(SynthPose(), SynthCamera(yaw=90, distance=3.0, focal_35mm=26))
    analyse_image(textured(*far.landmarks.image_size), StandIn(far), annotate=False, focal_35mm=26)


def test_distance_limits_depend_on_knowing_the_lens():
    check_distance(1.1, lens_known=False)  # a typical-lens guess that short is still plausible
    with pytest.raises(PhotoRejected) as err:
        check_distance(1.1, lens_known=True)
    assert err.value.reason is Reason.TOO_CLOSE
    with pytest.raises(PhotoRejected):
        check_distance(LIMITS.min_distance_guess_m - 0.1, lens_known=False)


def test_tilt_is_only_refused_on_real_evidence():
    check_tilt(30.0, "level-camera")  # an assumption cannot refuse a photo
    check_tilt(10.0, "room+balance")
    with pytest.raises(PhotoRejected) as err:
        check_tilt(-22.0, "room")
    assert err.value.reason is Reason.TILTED


def test_not_an_image_array_is_refused(estimator):
    assert _refusal(np.zeros((10, 10, 3), np.float32), estimator).reason is Reason.NOT_IMAGE
