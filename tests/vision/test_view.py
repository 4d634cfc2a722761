"""View: which side the camera saw, how high it stood, how it was tilted."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from backcare.vision.errors import PhotoRejected
from backcare.vision.quality import luma
from backcare.vision.types import ViewKind
from backcare.vision.view import off_side, scene_roll, view_kind
from tests.support.synthetic_landmarks import SynthCamera, SynthPose
from tests.vision.helpers import analyse_synthetic


@pytest.mark.parametrize(
    "yaw, kind, facing",
    [
        (0, ViewKind.SIDE, "right"),
        (180, ViewKind.SIDE, "left"),
        (90, ViewKind.FRONT, "toward"),
        (270, ViewKind.BACK, "away"),
        (40, ViewKind.OBLIQUE, "right"),
        (225, ViewKind.OBLIQUE, "left"),
    ],
)
def test_view_of_synthetic_camera(yaw, kind, facing):
    out, _ = analyse_synthetic(
        SynthPose(hip_flexion=20), SynthCamera(yaw=yaw, pitch=8), annotate=False
    )
    view = out.analysis.view
    assert view.kind is kind and view.facing == facing
    assert min(abs(view.yaw_deg - yaw), 360 - abs(view.yaw_deg - yaw)) < 12
    assert view.pitch_deg == pytest.approx(8, abs=6)
    assert abs(view.roll_deg) < 4


def test_off_side_and_kinds():
    assert off_side(0) == 0 and off_side(180) == 0 and off_side(90) == 90 and off_side(300) == 60
    assert view_kind(10) is ViewKind.SIDE and view_kind(350) is ViewKind.SIDE
    assert view_kind(100) is ViewKind.FRONT and view_kind(265) is ViewKind.BACK
    assert view_kind(45) is ViewKind.OBLIQUE


@pytest.mark.parametrize(
    "photo, kind",
    [
        ("standing_side_right.jpg", ViewKind.SIDE),
        ("standing_side_left.jpg", ViewKind.SIDE),
        ("forward_bend_deep.jpg", ViewKind.SIDE),
        ("forward_bend_hinge.jpg", ViewKind.SIDE),
        ("forward_bend_front.jpg", ViewKind.FRONT),
        ("standing_front.jpg", ViewKind.FRONT),
        ("standing_back.jpg", ViewKind.BACK),
        ("side_bend_left.jpg", ViewKind.BACK),
        ("forward_bend_yaw30.jpg", ViewKind.OBLIQUE),  # 30 deg off the side
    ],
)
def test_view_of_rendered_photos_matches_their_camera(analysed, manifest, photo, kind):
    assert manifest[f"renders/{photo}"]["view"] == kind.value  # the render's own camera
    out = analysed(f"renders/{photo}")
    assert not isinstance(out, PhotoRejected), out
    assert out.analysis.view.kind is kind, out.analysis.view


def test_views_of_all_renders(analysed, manifest, movement_files):
    """The view kind of every render against its camera (measured 21 of 21)."""
    wrong = [
        (f, manifest[f]["view"], analysed(f).analysis.view.kind.value)
        for f in movement_files
        if analysed(f).analysis.view.kind.value != manifest[f]["view"]
    ]
    assert not wrong, wrong


def test_rendered_cameras_are_level(analysed, movement_files):
    """The renders' cameras are level (no roll): no accepted photo reads a tilt."""
    rolls = [
        analysed(f).analysis.view.roll_deg
        for f in movement_files
        if not isinstance(analysed(f), PhotoRejected)
    ]
    assert len(rolls) >= 20
    assert max(abs(r) for r in rolls) < 15
    assert np.median(np.abs(rolls)) < 4


def _room(roll: float) -> np.ndarray:
    """Door and window frames, photographed with the phone turned by ``roll`` deg."""
    img = np.full((900, 700, 3), 190, np.uint8)
    for x in (80, 220, 480, 620):
        cv2.line(img, (x, 40), (x, 860), (40, 40, 40), 6)
    cv2.rectangle(img, (250, 120), (450, 700), (90, 60, 30), 8)
    m = cv2.getRotationMatrix2D((350, 450), -roll, 1.0)  # OpenCV angles turn counter-clockwise
    return cv2.warpAffine(img, m, (700, 900), borderValue=(190, 190, 190))


@pytest.mark.parametrize("roll", [0.0, 7.0, -12.0, 20.0])
def test_room_lines_give_the_camera_roll(roll):
    found = scene_roll(luma(_room(roll)))
    assert found is not None
    assert found[0] == pytest.approx(roll, abs=1.5)


def test_a_room_without_lines_says_nothing():
    rng = np.random.default_rng(1)
    blotches = cv2.GaussianBlur((rng.random((600, 600, 3)) * 255).astype(np.uint8), (0, 0), 12)
    assert scene_roll(luma(blotches)) is None
