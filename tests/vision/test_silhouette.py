"""The silhouette crop: the same cut of the body whatever the photo's size, side or roll."""

from __future__ import annotations

import cv2
import numpy as np

from backcare.vision.silhouette import ABOVE, BELOW, CROP_H, CROP_W, HALF_WIDTH, side_crop
from backcare.vision.types import INDEX, Landmarks, View, ViewKind

W, H = 480, 640


def figure(scale: float = 1.0, roll: float = 0.0, mirrored: bool = False):
    """A person in profile facing right (a belly in front, buttocks behind), as a mask
    and the landmarks a pose model would give; rolled by ``roll`` deg (verticals leaning
    to the picture's right), mirrored, or drawn ``scale`` times larger."""
    w, h = round(W * scale), round(H * scale)
    mask: np.ndarray = np.zeros((h, w), np.float32)

    def at(x: float, y: float) -> tuple[int, int]:
        return round(x * scale), round(y * scale)

    cv2.ellipse(mask, at(240, 120), at(28, 34), 0, 0, 360, 1.0, -1)  # head
    cv2.rectangle(mask, at(215, 150), at(265, 360), 1.0, -1)  # trunk
    cv2.ellipse(mask, at(268, 300), at(22, 45), 0, 0, 360, 1.0, -1)  # belly
    cv2.ellipse(mask, at(210, 350), at(25, 35), 0, 0, 360, 1.0, -1)  # buttocks
    cv2.rectangle(mask, at(222, 360), at(258, 600), 1.0, -1)  # legs
    points: np.ndarray = np.zeros((33, 2))
    for side in ("left", "right"):
        points[INDEX[f"{side}_shoulder"]] = (240, 170)
        points[INDEX[f"{side}_hip"]] = (240, 360)
        points[INDEX[f"{side}_ankle"]] = (240, 590)
    points *= scale
    if roll:
        # turn the picture: its verticals lean right by ``roll`` deg
        m = cv2.getRotationMatrix2D((w / 2, h / 2), -roll, 1.0)
        mask = cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_LINEAR)
        points = (m[:, :2] @ points.T).T + m[:, 2]
    if mirrored:
        mask = mask[:, ::-1].copy()
        points[:, 0] = w - points[:, 0]
    lm = Landmarks(
        pixel=points,
        normalized=np.column_stack([points / [w, h], np.zeros(33)]),
        world=np.zeros((33, 3)),
        visibility=np.ones(33),
        presence=np.ones(33),
        image_size=(w, h),
    )
    view = View(ViewKind.SIDE, 0.0, 0.0, roll, "left" if mirrored else "right", 1.0)
    return mask, lm, view


def test_the_crop_puts_the_hips_where_the_box_says_and_the_front_to_the_right():
    crop = side_crop(*figure())
    assert crop is not None and crop.shape == (CROP_H, CROP_W) and crop.dtype == np.float32
    assert crop.min() >= 0.0 and crop.max() <= 1.0
    hip_row = round(ABOVE / (ABOVE + BELOW) * CROP_H)
    hip_col = round(HALF_WIDTH / (2 * HALF_WIDTH) * CROP_W)
    assert crop[hip_row, hip_col] == 1.0
    # the belly (in front) lies right of the trunk's middle, the buttocks left of it
    belly_row = round((ABOVE - 60 / 420) / (ABOVE + BELOW) * CROP_H)
    row = crop[belly_row]
    inside = np.flatnonzero(row > 0.5)
    assert inside.max() - hip_col > hip_col - inside.min()


def test_a_person_facing_left_is_cut_as_the_same_person_facing_right():
    right = side_crop(*figure())
    left = side_crop(*figure(mirrored=True))
    assert right is not None and left is not None
    assert np.abs(right - left).mean() < 0.01


def test_a_larger_photo_of_the_same_person_gives_the_same_crop():
    small = side_crop(*figure())
    large = side_crop(*figure(scale=2.5))
    assert small is not None and large is not None
    assert np.abs(small - large).mean() < 0.02


def test_the_cameras_roll_is_undone():
    upright = side_crop(*figure())
    rolled = side_crop(*figure(roll=12.0))
    assert upright is not None and rolled is not None
    assert np.abs(upright - rolled).mean() < 0.03
    # and not undoing it would have been seen
    mask, lm, view = figure(roll=12.0)
    unrolled = side_crop(mask, lm, View(view.kind, 0.0, 0.0, 0.0, "right", 1.0))
    assert (
        unrolled is not None
        and np.abs(upright - unrolled).mean() > 3 * np.abs(upright - rolled).mean()
    )


def test_no_crop_for_a_front_view_or_a_body_too_small_to_cut_out():
    mask, lm, _ = figure()
    front = View(ViewKind.FRONT, 90.0, 0.0, 0.0, "toward", 1.0)
    assert side_crop(mask, lm, front) is None
    tiny_mask, tiny_lm, tiny_view = figure(scale=0.08)
    assert side_crop(tiny_mask, tiny_lm, tiny_view) is None
