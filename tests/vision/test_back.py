"""Back shape: the outline traced on the person's mask reads the curves it was drawn with."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from backcare.vision.back import (
    PROFILE_LEVELS,
    T_S2,
    T_T1,
    back_midline,
    line_slope,
    side_contour,
)
from backcare.vision.errors import PhotoRejected
from backcare.vision.geometry import body_frame, estimate_gravity, reconstruct
from tests.support.synthetic_landmarks import SynthCamera, SynthPose, shoot


def _slope(a: float, t: float) -> float:
    """Slope (deg) of the drawn outline v(t) = a ((t - 0.55)^3 / 3 - 0.08 (t - 0.55)): hollow
    below the junction at 0.55 and rounded above it when a < 0 (a standing back)."""
    return math.degrees(math.atan(a * ((t - 0.55) ** 2 - 0.08)))


def _side_photo(amplitude: float, lowest: float = -0.3):
    """A side view whose back outline has a known shape (see _slope), drawn from ``lowest``
    (a fraction of the hip-to-shoulder length; below 0 the buttocks and thighs)."""
    shot = shoot(SynthPose(), SynthCamera(yaw=0, pitch=0, distance=2.5))
    lm = shot.landmarks
    w, h = lm.image_size
    hip = (lm.px("left_hip") + lm.px("right_hip")) / 2
    sh = (lm.px("left_shoulder") + lm.px("right_shoulder")) / 2
    length = float(np.linalg.norm(sh - hip))
    axis = (sh - hip) / length
    back = np.array([-1.0, 0.0])  # camera at the person's right: the back is on the picture's left
    ts = np.linspace(lowest, 1.2, 200)
    offset = amplitude * ((ts - 0.55) ** 3 / 3 - 0.08 * (ts - 0.55))
    back_edge = hip + ts[:, None] * (sh - hip) + ((0.14 + offset) * length)[:, None] * back
    front_edge = hip + ts[:, None] * (sh - hip) - (0.12 * length) * back
    polygon = np.vstack([back_edge, front_edge[::-1]]).astype(np.int32)
    mask = np.zeros((h, w), np.float32)
    cv2.fillPoly(mask, [polygon], 1.0)
    assert abs(axis[1]) > 0.99  # upright in the picture
    sk = reconstruct(lm)
    frame = body_frame(sk, estimate_gravity(sk, lm), lm)
    return mask, lm, sk, frame


@pytest.mark.parametrize("amplitude", [-3.0, -1.5, 2.5])
def test_side_outline_angles_follow_the_drawn_curve(amplitude):
    mask, lm, sk, frame = _side_photo(amplitude)
    shape = side_contour(mask, lm, sk, frame)
    assert shape is not None and shape.confidence > 0.5
    # tangent slopes at S2, the junction and T1 as drawn (+ where the outline moves backwards going up)
    for level, t in (("S2", T_S2), ("junction", 0.55), ("T1", T_T1)):
        assert shape.slopes[level] == pytest.approx(_slope(amplitude, t), abs=2), level
    expected = _slope(amplitude, 0.55) - _slope(amplitude, T_S2)
    assert shape.lumbar_angle == pytest.approx(expected, abs=3)
    assert shape.thoracic_angle == pytest.approx(
        _slope(amplitude, 0.55) - _slope(amplitude, T_T1), abs=3
    )
    if amplitude < 0:  # hollow below, rounded above: a normal standing back
        assert shape.lumbar_angle > 5 and shape.thoracic_angle > 5
    else:  # the mirror image: a lumbar spine rounded (flexed)
        assert shape.lumbar_angle < -5
    assert shape.points.shape[1] == 2 and len(shape.curvature) == len(shape.points)
    assert shape.points[0, 1] < shape.points[-1, 1]  # shoulders first, down to the pelvis


@pytest.mark.parametrize("amplitude", [-3.0, 2.5])
def test_the_profile_reads_the_outline_from_the_thighs_to_the_shoulders(amplitude):
    mask, lm, sk, frame = _side_photo(amplitude)
    profile = side_contour(mask, lm, sk, frame).profile
    for level in PROFILE_LEVELS:
        # each level reads the straight line through the outline within +-0.1 of it
        t = np.linspace(level - 0.1, level + 0.1, 41)
        drawn = amplitude * ((t - 0.55) ** 3 / 3 - 0.08 * (t - 0.55))
        # where the drawn outline lies behind the trunk's axis over the whole window
        if -0.2 <= level <= 1.0 and np.all(0.14 + drawn > 0.02):
            expected = math.degrees(math.atan(np.polyfit(t, drawn, 1)[0]))
            # (a pixel of the drawn mask is ~1 deg over a window; steep parts read a little
            # less exactly: the sagittal unfolding's perspective)
            tolerance = 2.0 + 0.1 * abs(expected)
            assert profile[f"{level:+.2f}"] == pytest.approx(expected, abs=tolerance), level


def test_the_profile_leaves_out_levels_the_outline_does_not_reach():
    mask, lm, sk, frame = _side_photo(-3.0, lowest=0.0)  # nothing drawn below the hips
    profile = side_contour(mask, lm, sk, frame).profile
    assert not any(f"{level:+.2f}" in profile for level in PROFILE_LEVELS if level < -0.1)
    assert f"{0.25:+.2f}" in profile


def test_no_outline_from_the_front():
    shot = shoot(SynthPose(), SynthCamera(yaw=90))
    lm = shot.landmarks
    sk = reconstruct(lm)
    frame = body_frame(sk, estimate_gravity(sk, lm), lm)
    mask = np.ones((lm.image_size[1], lm.image_size[0]), np.float32)
    assert side_contour(mask, lm, sk, frame) is None


@pytest.mark.parametrize("photo", ["standing_side_right.jpg", "standing_side_older.jpg"])
def test_rendered_standing_back_is_hollow_and_rounded(analysed, photo):
    back = analysed(f"renders/{photo}").analysis.back
    assert back is not None and back.confidence >= 0.5
    assert 10 < back.lumbar_angle < 50 and 10 < back.thoracic_angle < 60


def test_a_rounder_upper_back_reads_rounder(analysed, manifest):
    """The older body is posed with 10 deg more thoracic flexion (truth.json: skin thoracic
    angle 39 vs 29 deg)."""
    rounder, straighter = "renders/standing_side_older.jpg", "renders/standing_side_right.jpg"
    truth = {f: manifest[f]["angles"]["skin_thoracic_angle"] for f in (rounder, straighter)}
    assert truth[rounder] > truth[straighter] + 5
    assert (
        analysed(rounder).analysis.back.thoracic_angle
        > analysed(straighter).analysis.back.thoracic_angle + 5
    )


def test_rendered_toe_touch_flattens_the_lower_back(analysed):
    """A toe touch (hips 80, lumbar spine 45 deg flexed) loses the standing hollow; a hip hinge
    with a flat back keeps it. (The outline reads the toe touch's lumbar curve near flat, about
    +1 deg, where the skin truth is a 42 deg reversal: the flexion itself is read from the
    back-contour split, see test_measure.)"""
    toe_touch = analysed("renders/forward_bend_deep.jpg").analysis.back
    hinge = analysed("renders/forward_bend_hinge.jpg").analysis.back
    standing = analysed("renders/standing_side_right.jpg").analysis.back
    assert toe_touch.lumbar_angle < standing.lumbar_angle - 20
    assert hinge.lumbar_angle > toe_touch.lumbar_angle + 20  # a hip hinge keeps the back flatter


def test_rendered_back_view_spine_line_is_nearly_straight(analysed):
    for photo in ("renders/standing_back.jpg", "renders/standing_back_man.jpg"):
        back = analysed(photo).analysis.back
        assert back is not None and back.spine_deviation is not None
        assert abs(back.spine_deviation) < 5
        assert back.thoracic_angle is None and back.lumbar_angle is None


def test_back_midline_finds_a_drawn_sideways_shift():
    shot = shoot(SynthPose(), SynthCamera(yaw=270))
    lm = shot.landmarks
    w, h = lm.image_size
    hip = (lm.px("left_hip") + lm.px("right_hip")) / 2
    sh = (lm.px("left_shoulder") + lm.px("right_shoulder")) / 2
    length = float(np.linalg.norm(sh - hip))
    ts = np.linspace(-0.2, 1.2, 120)
    shift = (
        0.06 * np.sin(np.pi * np.clip(ts, 0, 1)) * length
    )  # a C-curve peaking at 6% of the trunk
    centre = hip + ts[:, None] * (sh - hip) + shift[:, None] * np.array([1.0, 0.0])
    half = 0.22 * length
    polygon = np.vstack([centre + [half, 0], (centre - [half, 0])[::-1]]).astype(np.int32)
    mask = np.zeros((h, w), np.float32)
    cv2.fillPoly(mask, [polygon], 1.0)
    shape = back_midline(mask, lm, facing_camera=False)
    assert shape is not None
    # measured from the chord between the traced ends (8% and 92% of the trunk)
    expected = 6.0 * (1 - math.sin(math.pi * 0.08))
    assert abs(shape.spine_deviation) == pytest.approx(expected, abs=1.0)


def test_spoiled_photos_never_reach_the_contour(analysed):
    assert isinstance(analysed("renders/two_people.jpg"), PhotoRejected)


def test_the_profile_slope_is_the_least_squares_line_s():
    rng = np.random.default_rng(5)
    for n in (4, 9, 23):
        x = np.sort(rng.random(n)) * 0.3 - 0.1
        y = 0.4 * x + rng.normal(size=n) * 0.01
        assert line_slope(x, y) == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-9, abs=1e-12)
