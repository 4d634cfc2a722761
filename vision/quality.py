"""Quality gates: each refuses a photo with a reason the bot can turn into advice.

Pure functions of the picture, the pose and the geometry; thresholds live in
``Limits`` (engineering limits of the method, not clinical knowledge).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.pose import Detection
from backcare.vision.types import INDEX, Landmarks


@dataclass(frozen=True)
class Limits:
    min_brightness: float = 70.0  # the person's brightest parts (95th percentile luma, 0-255):
    # dark clothes are fine, an underexposed body is not
    min_image_brightness: float = (
        22.0  # the whole picture: nearly black, say so before anything else
    )
    min_sharpness: float = 30.0  # Laplacian variance of the person at 256 px tall (sharp
    # studio photos read 70-2000; a blur of 2% of body height ~10)
    min_person_frac: float = 0.2  # the body's length along itself (head to ankles through
    # the trunk and legs, so a deep bend keeps its size) / the picture's longer side: a
    # person 3.5 m from a phone spans ~30% (BlazePose itself misses people under ~15%)
    min_person_px: float = 160.0  # ... and at least this many pixels
    second_person_score: float = 0.5  # detector confidence for "another person"
    second_person_size: float = 0.35  # ... at least this fraction of the main person's size
    max_roll_deg: float = 15.0  # camera tilt, when the room's vertical lines show it
    max_body_roll_deg: float = 22.0  # ... when only the body does (floor, legs, balance):
    # on renders of oblique views with a level camera the body alone read up to 17 deg
    min_distance_m: float = 1.3  # camera to hips when the lens is known (EXIF);
    min_distance_guess_m: float = (
        0.9  # ... when a phone's main camera is assumed (the file did not say)
    )
    part_presence: float = 0.75  # MediaPipe's "inside the picture" probability
    edge_margin: float = 0.015  # a landmark this close to the border counts as cut


LIMITS = Limits()

# Body parts in the order the bot would mention them, with their landmarks.
PARTS: dict[str, tuple[str, ...]] = {
    "head": ("nose", "left_ear", "right_ear"),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "feet": ("left_ankle", "right_ankle", "left_heel", "right_heel"),
}


def luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def check_image_brightness(gray: np.ndarray, limits: Limits = LIMITS) -> float:
    """Mean luma of the whole picture; refuses a nearly black one."""
    # OpenCV's sum: ~5x faster than numpy's on a photo. cv2.mean always returns a 4-tuple;
    # its stub's Scalar also allows a bare float.
    mean = float(cv2.mean(gray)[0])  # type: ignore[index]
    if mean < limits.min_image_brightness:
        raise PhotoRejected(Reason.TOO_DARK, f"mean brightness {mean:.0f}/255")
    return mean


def person_box(lm: Landmarks, pad: float = 0.08) -> tuple[int, int, int, int]:
    """Pixel box (x0, y0, x1, y1) around the landmarks, padded, clipped to the picture."""
    w, h = lm.image_size
    pts = lm.pixel
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    px, py = (x1 - x0) * pad, (y1 - y0) * pad
    return (int(max(0, x0 - px)), int(max(0, y0 - py)), int(min(w, x1 + px)), int(min(h, y1 + py)))


def sharpness(gray: np.ndarray, box: tuple[int, int, int, int] | None = None) -> float:
    """Variance of the Laplacian on the region scaled to 256 px tall: scale-free focus measure."""
    if box is not None:
        x0, y0, x1, y1 = box
        gray = gray[y0:y1, x0:x1]
    if gray.size == 0:
        return 0.0
    scale = 256.0 / max(1, gray.shape[0])
    small = cv2.resize(
        gray, (max(8, round(gray.shape[1] * scale)), 256), interpolation=cv2.INTER_AREA
    )
    return float(cv2.Laplacian(small, cv2.CV_32F).var())


def check_exposure_and_focus(
    gray: np.ndarray, mask: np.ndarray | None, lm: Landmarks, limits: Limits = LIMITS
) -> dict[str, float]:
    box = person_box(lm)
    x0, y0, x1, y1 = box
    region = gray[y0:y1, x0:x1]
    body = None
    if mask is not None and region.size:
        body = (mask[y0:y1, x0:x1] > 0.5).view(np.uint8)  # 1 on the person, 0 elsewhere
        if cv2.countNonZero(body) <= 50:
            body = None
    hist = cv2.calcHist([np.ascontiguousarray(region)], [0], body, [256], [0, 256]).ravel()
    cum = np.cumsum(hist)
    bright = float(np.searchsorted(cum, 0.95 * cum[-1])) if cum[-1] > 0 else 0.0  # 95th percentile
    if bright < limits.min_brightness:
        raise PhotoRejected(Reason.TOO_DARK, f"person's brightness {bright:.0f}/255")
    sharp = sharpness(gray, box)
    if sharp < limits.min_sharpness:
        raise PhotoRejected(
            Reason.BLURRED, f"sharpness {sharp:.0f}, need {limits.min_sharpness:.0f}"
        )
    return {"brightness": round(bright, 1), "sharpness": round(sharp, 1)}


def check_people(
    detections: tuple[Detection, ...], lm: Landmarks | None, limits: Limits = LIMITS
) -> None:
    """Refuse when the detector saw a second person of comparable size."""
    if len(detections) < 2:
        return
    if lm is not None:  # the tracked person is the detection nearest the landmarks' hips
        hips = lm.mid_px("hip")
        main = min(
            detections, key=lambda d: float(np.hypot(d.centre[0] - hips[0], d.centre[1] - hips[1]))
        )
    else:
        main = detections[0]
    for other in detections:
        if other is main or other.score < limits.second_person_score:
            continue
        if other.radius >= limits.second_person_size * main.radius:
            raise PhotoRejected(Reason.SEVERAL_PEOPLE, f"{len(detections)} people seen")


def check_framing(lm: Landmarks, limits: Limits = LIMITS) -> dict[str, float]:
    """Whole body in the picture, and big enough in it."""
    w, h = lm.image_size
    cut = [part for part, names in PARTS.items() if any(_outside(lm, n, limits) for n in names)]
    if cut:
        raise PhotoRejected(Reason.CROPPED, ",".join(cut))
    inside = lm.presence > limits.part_presence
    pts = lm.pixel[inside] if inside.sum() >= 4 else lm.pixel
    extent = pts.max(0) - pts.min(0)
    # the body measured along itself: bending folds the picture's extent, not this
    size_px = max(float(max(extent)), body_length_px(lm))
    frac = size_px / max(w, h)
    if frac < limits.min_person_frac:
        raise PhotoRejected(Reason.PERSON_TOO_SMALL, f"person spans {frac:.0%} of the picture")
    if size_px < limits.min_person_px:
        raise PhotoRejected(
            Reason.PERSON_TOO_SMALL,
            f"person {size_px:.0f} px along the body, need {limits.min_person_px:.0f}",
        )
    return {"person_frac": round(frac, 3), "person_px": round(size_px, 1)}


_PAIRS_DOWN = ("shoulder", "hip", "knee", "ankle")  # below the nose, each a left-right pair


def body_length_px(lm: Landmarks) -> float:
    """Pixels from the nose down the trunk and legs to the ankles (midpoints of each pair):
    the body's size along its own axis, the same standing or folded over."""

    points = [lm.px("nose"), *(lm.mid_px(part) for part in _PAIRS_DOWN)]
    return float(sum(np.hypot(*(b - a)) for a, b in zip(points, points[1:], strict=False)))


def _outside(lm: Landmarks, name: str, limits: Limits) -> bool:
    x, y = lm.normalized[INDEX[name], :2]
    m = limits.edge_margin
    if x < m or y < m or x > 1 - m or y > 1 - m:
        return True
    return float(lm.presence[INDEX[name]]) < limits.part_presence


def check_tilt(roll_deg: float, gravity_source: str, limits: Limits = LIMITS) -> None:
    """The camera's roll, when the room's verticals or standing legs vouch for it."""
    if "room" in gravity_source:
        limit = limits.max_roll_deg
    elif "legs" in gravity_source or "balance" in gravity_source:
        limit = limits.max_body_roll_deg
    else:
        return
    if abs(roll_deg) > limit:
        raise PhotoRejected(Reason.TILTED, f"camera tilted {roll_deg:+.0f} deg")


def check_upside_down(lm: Landmarks) -> None:
    """Feet above the head: a picture turned over (nobody is asked for a handstand)."""
    head, hips, feet = lm.px("nose"), lm.mid_px("hip"), lm.mid_px("ankle")
    span = head - feet  # a lying body spans the picture sideways: not this case
    if feet[1] < hips[1] < head[1] and span[1] > 0.7 * float(np.hypot(*span)):
        raise PhotoRejected(Reason.TILTED, "picture upside down")


def check_distance(distance_m: float, lens_known: bool, limits: Limits = LIMITS) -> None:
    """Too close: perspective makes near parts look bigger and bends the angles. The
    distance comes from the body's size and the focal length, so without the lens's
    focal length only a clearly short distance is refused."""
    if distance_m < (limits.min_distance_m if lens_known else limits.min_distance_guess_m):
        raise PhotoRejected(Reason.TOO_CLOSE, f"camera about {distance_m:.1f} m from the hips")
