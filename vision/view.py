"""Where the camera stood: yaw around the body, pitch above it, roll about its own axis."""

from __future__ import annotations

import math

import numpy as np

from backcare.vision.geometry import BodyFrame, Gravity, Skeleton
from backcare.vision.types import View, ViewKind

SIDE_WITHIN = 25.0  # degrees off the pure side view still called "side"
FRONT_WITHIN = 25.0  # degrees off the pure front/back view still called "front"/"back"


def estimate_view(sk: Skeleton, frame: BodyFrame, gravity: Gravity) -> View:
    """The camera's yaw (0 = the person's right side, 90 front, 180 left, 270 back),
    pitch (+ above, looking down) and roll (+ when verticals lean to the image's right)."""
    # the ray from the hips back to the camera (the camera sits at the origin)
    to_camera = -sk.origin / max(float(np.linalg.norm(sk.origin)), 1e-9)
    right = -frame.left
    yaw = (
        math.degrees(math.atan2(float(to_camera @ frame.forward), float(to_camera @ right))) % 360.0
    )
    pitch = math.degrees(math.asin(float(min(max(to_camera @ frame.up, -1), 1))))
    roll = math.degrees(math.atan2(-float(gravity.down[0]), float(gravity.down[1])))
    kind = view_kind(yaw)
    facing = _facing(kind, frame)
    off = off_side(yaw)
    # Confidence: clear views are clear; near a class boundary the label could flip.
    margin = min(abs(off - SIDE_WITHIN), abs(off - (90 - FRONT_WITHIN)))
    confidence = float(min(max(0.5 + margin / 30.0, 0.5), 1.0)) * (0.6 + 0.4 * gravity.confidence)
    if frame.swapped:
        confidence *= 0.8
    return View(
        kind=kind,
        yaw_deg=round(yaw, 1),
        pitch_deg=round(pitch, 1),
        roll_deg=round(roll, 1),
        facing=facing,
        confidence=round(confidence, 2),
    )


def off_side(yaw: float) -> float:
    """Degrees away from a pure side view: 0 at either side, 90 from the front or back."""
    y = yaw % 180.0
    return min(y, 180.0 - y)


def view_kind(yaw: float) -> ViewKind:
    off = off_side(yaw)
    if off <= SIDE_WITHIN:
        return ViewKind.SIDE
    if off >= 90 - FRONT_WITHIN:
        return ViewKind.FRONT if 0 < yaw % 360 < 180 else ViewKind.BACK
    return ViewKind.OBLIQUE


def _facing(kind: ViewKind, frame: BodyFrame) -> str:
    if kind in (ViewKind.SIDE, ViewKind.OBLIQUE) and abs(frame.forward[0]) > 0.3:
        return "right" if frame.forward[0] > 0 else "left"  # where the nose points in the picture
    return "toward" if frame.forward[2] < 0 else "away"


def scene_roll(
    gray: np.ndarray, person_mask: np.ndarray | None = None
) -> tuple[float, float] | None:
    """Camera roll from the room: the median lean of long, near-vertical edges (door and
    window frames, wall corners, furniture) away from the person, in the photo's grey
    levels (vision.quality.luma). Returns (roll in degrees, + when verticals lean to the
    image's right; its sigma) or None without enough lines."""
    import cv2

    h, w = gray.shape[:2]
    scale = 360.0 / max(h, w)  # coarse is enough for a median angle, and fast
    # the grey picture shrunk, not the colour one: a third of the work (the lines come out
    # the same to a grey level's rounding)
    small = cv2.resize(
        gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    edges = cv2.Canny(small, 60, 160)
    if person_mask is not None:
        # nearest-neighbour shrinking picks mask pixels, so it commutes with the threshold:
        # thresholding after it spares two full-size arrays
        near = cv2.resize(
            np.asarray(person_mask, dtype=np.float32),
            (small.shape[1], small.shape[0]),
            interpolation=cv2.INTER_NEAREST,
        )
        body = (near > 0.3).astype(np.uint8)
        edges[cv2.dilate(body, np.ones((5, 5), np.uint8)) > 0] = (
            0  # the body's own edges lean with it
        )
    min_len = 0.15 * min(small.shape[:2])
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 360, threshold=30, minLineLength=min_len, maxLineGap=2
    )
    if lines is None:
        return None
    x1, y1, x2, y2 = (lines[:, 0, k].astype(float) for k in range(4))
    up_dx = np.where(y2 < y1, x2 - x1, x1 - x2)  # direction going up the picture
    up_dy = np.abs(y2 - y1)
    angle = np.degrees(np.arctan2(up_dx, up_dy))
    length = np.hypot(x2 - x1, y2 - y1)
    near_vertical = np.abs(angle) < 25
    if near_vertical.sum() < 3 or length[near_vertical].sum() < 0.8 * small.shape[0]:
        return None
    a, wts = angle[near_vertical], length[near_vertical]
    order = np.argsort(a)
    cum = np.cumsum(wts[order])
    median = float(a[order][np.searchsorted(cum, cum[-1] / 2)])
    spread = float(np.sqrt(np.average((a - median) ** 2, weights=wts)))
    sigma = float(min(max(spread / np.sqrt(near_vertical.sum()) + 2.0, 2.0), 8.0))
    return median, sigma
