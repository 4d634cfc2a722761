"""Is there a face where the landmarks put one? Image evidence for telling front from back.

BlazePose sometimes returns a consistent front-facing body for a photo of someone's
back (bench/vision_accuracy.py: ~3% of rendered back views, all with nose visibility
>= 0.99, MediaPipe's own world nose in front of the ears and most toes nearer the
camera than the heels), so no landmark vote can tell them apart. The picture can: the
eye landmarks of a real front view sit on eyes, brows and lids, which always differ
from the surrounding skin; on the back of a head they sit on plain skin or hair.

``face_detail`` measures that, cheaply (one 128 px warp of the head, two small windows;
~0.2 ms): the grey-level range around each eye landmark, on a head crop resampled so
that the head is always the same size, the larger of the two eyes. It is ``None`` when
the picture cannot say: the head too small in the photo to resolve eyes, not above the
shoulders (bent over, lying: the face turns to the floor), or an eye window off the
picture. ``featureless`` turns it into 0..1 evidence that the camera sees no face.

Thresholds were chosen on the rendered training sets only (train, train2; eval untouched):
among upright heads whose landmarks claimed the face turned to the camera (forward at
least 60 deg towards it), the real fronts' detail was >= 58 (204 photos) and the back
views read as fronts <= 31 (7 photos, 6 of them <= 17); see vision/MODEL_CARD.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backcare.vision.types import INDEX, Landmarks

CROP = 128  # the head crop's side, pixels
_HEAD_WIDTHS = 2.5  # the crop spans this many head widths
_EYE_WINDOW = 0.2  # half-side of the window around an eye, in head widths
MIN_HEAD_PX = 15.0  # a narrower head cannot resolve eyes
MAX_HEAD_LEAN = 45.0  # the head must sit above the shoulders within this angle in the picture
SMOOTH_BELOW = 25.0  # grey-level range at or below which the eye region is plain (no face)
FACE_ABOVE = 50.0  # at or above: eyes are there (evidence ramps linearly in between)

_HEAD = tuple(range(INDEX["mouth_right"] + 1))  # BlazePose lists the face first: nose to mouth


@dataclass(frozen=True)
class PhotoLandmarks(Landmarks):
    """Landmarks together with what the picture itself says about the face (vision.pose)."""

    face_detail: float | None = None


def face_detail(rgb: np.ndarray, lm: Landmarks) -> float | None:
    """Grey-level range (0-255) around the eye landmarks on a head crop of fixed size;
    None when the photo cannot show eyes there (see the module's doc)."""
    import cv2

    px = lm.pixel
    centre = px[list(_HEAD)].mean(axis=0)
    shoulders = (px[INDEX["left_shoulder"]] + px[INDEX["right_shoulder"]]) / 2
    hips = (px[INDEX["left_hip"]] + px[INDEX["right_hip"]]) / 2
    ears = float(np.linalg.norm(px[INDEX["left_ear"]] - px[INDEX["right_ear"]]))
    head = max(ears, 0.3 * float(np.linalg.norm(shoulders - hips)))
    if not head >= MIN_HEAD_PX:  # also catches NaN
        return None
    neck = centre - shoulders
    if neck[1] >= 0 or math.degrees(math.atan2(abs(neck[0]), -neck[1])) > MAX_HEAD_LEAN:
        return None
    height, width = rgb.shape[:2]
    reach = _EYE_WINDOW * head
    eyes = px[[INDEX["left_eye"], INDEX["right_eye"]]]
    if (eyes - reach < 0).any() or (eyes[:, 0] + reach >= width).any():
        return None
    if (eyes[:, 1] + reach >= height).any():
        return None
    scale = CROP / (_HEAD_WIDTHS * head)
    warp = np.array(
        [[scale, 0.0, CROP / 2 - centre[0] * scale], [0.0, scale, CROP / 2 - centre[1] * scale]]
    )
    crop = cv2.warpAffine(
        rgb, warp, (CROP, CROP), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    r = round(_EYE_WINDOW * CROP / _HEAD_WIDTHS)
    ranges = []
    for x, y in np.round((eyes - centre) * scale + CROP / 2).astype(int):
        window = gray[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1]
        ranges.append(int(window.max()) - int(window.min()) if window.size else 0)
    return float(max(ranges))


def featureless(detail: float | None) -> float:
    """0..1: how plainly the picture shows no face where the landmarks put one
    (1 = plain skin or hair around both eyes; 0 = eyes there, or the picture cannot say)."""
    if detail is None:
        return 0.0
    return float(min(max((FACE_ABOVE - detail) / (FACE_ABOVE - SMOOTH_BELOW), 0.0), 1.0))
