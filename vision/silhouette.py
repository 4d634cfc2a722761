"""The person's silhouette around the lower back, cut out the same way on every photo.

A standing side view's back curve is a subtle shape: its levels, placed by landmarks
that err 4-5 cm, blur what an outline traced at them can tell. The crop instead keeps
the whole silhouette from above the shoulders to the knees, upright (the camera's roll
undone), the person facing right, scaled by the shoulders-to-ankles length, for a
learnt reader to find the levels itself (vision/proxies.py).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from backcare.vision.types import Landmarks, View

CROP_W, CROP_H = 48, 96  # pixels of the crop
# the box, in shoulders-to-ankles lengths from the hips' midpoint: up, down, either side
ABOVE, BELOW, HALF_WIDTH = 0.7, 0.5, 0.3


def side_crop(mask: np.ndarray, lm: Landmarks, view: View) -> np.ndarray | None:
    """The (CROP_H, CROP_W) float32 crop of the person's mask (0..1), or None when the
    body is too small in the picture or not seen from a side."""
    hip, shoulder, ankle = lm.mid_px("hip"), lm.mid_px("shoulder"), lm.mid_px("ankle")
    length = float(np.linalg.norm(shoulder - ankle))
    if length < 40 or view.facing not in ("left", "right"):
        return None
    px = length * (ABOVE + BELOW) / CROP_H  # image pixels per crop pixel
    a = math.radians(view.roll_deg)
    # the crop's axes in the image: x to the person's front, y down along gravity
    down = np.array([-math.sin(a), math.cos(a)])
    front = np.array([down[1], -down[0]])
    if view.facing == "left":
        front = -front
    origin = hip - ABOVE * length * down - HALF_WIDTH * length * front
    # area-average the mask down to about the crop's scale first: sampled point by point,
    # a many-times larger mask would alias the outline's fine shape away
    shrink = max(1.0, px)
    small = cv2.resize(
        np.asarray(mask, dtype=np.float32),  # the mask is float32 already: no full-size copy
        (max(1, round(mask.shape[1] / shrink)), max(1, round(mask.shape[0] / shrink))),
        interpolation=cv2.INTER_AREA,
    )
    sx, sy = small.shape[1] / mask.shape[1], small.shape[0] / mask.shape[0]
    # image point = origin + px * (u * front + v * down), for crop pixel (u, v); pixel
    # centres at +0.5 in both pictures
    to_image = np.column_stack([px * front, px * down, origin + 0.5 * px * (front + down)])
    to_small = np.diag([sx, sy]) @ to_image
    to_small[:, 2] -= 0.5
    crop = cv2.warpAffine(
        small,
        to_small,
        (CROP_W, CROP_H),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    # in 8-bit steps, as the fitting script's results file keeps it
    return np.round(np.clip(crop, 0.0, 1.0) * 255.0).astype(np.float32) / 255.0
