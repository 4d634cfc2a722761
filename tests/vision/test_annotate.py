"""Annotated picture: a JPEG of the photo with the skeleton, the back curve, the angles
and the view, drawn in proportion to the picture so a phone screen shows it legibly."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from backcare.vision.annotate import OUTPUT_SIDE, annotate
from backcare.vision.types import Landmarks

PHOTO = "renders/forward_bend_deep.jpg"


def _decode(jpeg: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _scaled(analysis, k: float):
    lm = analysis.landmarks
    lm2 = Landmarks(
        lm.pixel * k,
        lm.normalized,
        lm.world,
        lm.visibility,
        lm.presence,
        (round(lm.image_size[0] * k), round(lm.image_size[1] * k)),
    )
    back = replace(
        analysis.back,
        points=analysis.back.points * k,
        apex=tuple(c * k for c in analysis.back.apex),
    )
    return replace(analysis, landmarks=lm2, back=back)


def _ink(rgb: np.ndarray, jpeg: bytes) -> float:
    """Share of the picture the drawing covers (changed well beyond JPEG noise)."""
    out = _decode(jpeg).astype(int)
    base = cv2.resize(rgb, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_AREA).astype(int)
    return float((np.abs(out - base).max(axis=2) > 60).mean())


def test_annotated_photo_is_a_jpeg_of_the_same_picture(analysed, rgb_of):
    out = analysed(PHOTO)
    img = _decode(out.annotated_jpeg)
    rgb = rgb_of(PHOTO)
    assert img.shape == rgb.shape
    # the skeleton is drawn on the body: the hip region changed, a far corner did not
    hip = (
        (out.analysis.landmarks.px("left_hip") + out.analysis.landmarks.px("right_hip")) / 2
    ).astype(int)
    near = np.abs(
        img[hip[1] - 6 : hip[1] + 6, hip[0] - 6 : hip[0] + 6].astype(int)
        - rgb[hip[1] - 6 : hip[1] + 6, hip[0] - 6 : hip[0] + 6]
    ).mean()
    corner = np.abs(img[-20:, -20:].astype(int) - rgb[-20:, -20:].astype(int)).mean()
    assert near > 40 and corner < 12


def test_the_drawing_scales_with_the_picture(analysed, rgb_of):
    """Same share of the picture at 480 px and at 720 px wide: lines and text grow with it."""
    out = analysed(PHOTO)
    rgb = rgb_of(PHOTO)
    big = cv2.resize(rgb, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    small_ink = _ink(rgb, annotate(rgb, out.analysis))
    big_ink = _ink(big, annotate(big, _scaled(out.analysis, 1.5)))
    assert 0.03 < small_ink < 0.4
    assert big_ink == np.clip(big_ink, small_ink * 0.75, small_ink * 1.33)


def test_big_photos_come_back_phone_sized(analysed, rgb_of):
    out = analysed(PHOTO)
    big = cv2.resize(rgb_of(PHOTO), None, fx=2, fy=2)
    img = _decode(annotate(big, _scaled(out.analysis, 2)))
    assert max(img.shape[:2]) == OUTPUT_SIDE


def test_the_view_and_the_angles_are_written(analysed, rgb_of):
    """The header box (view, movement) sits top-left; labels appear near the joints."""
    out = analysed(PHOTO)
    img = _decode(out.annotated_jpeg).astype(int)
    h, w = img.shape[:2]
    header = img[: int(0.08 * h), : int(0.25 * w)]
    assert (header.max(axis=2) > 200).mean() > 0.03  # white text
    assert np.median(header) < 60  # on a dark box
    assert "hip_flexion" in out.analysis.measurements
