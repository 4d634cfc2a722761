"""The annotated picture sent back to the patient: skeleton, back curve, angles, the view.

Everything is sized from the picture (line widths and text relative to its longer
side) so it stays readable when a phone shows it at a few centimetres wide. Text
is drawn light-on-dark with an outline; labels avoid each other.
"""

from __future__ import annotations

import cv2
import numpy as np

from backcare.vision.types import INDEX, Landmarks, Movement, PhotoAnalysis

OUTPUT_SIDE = 1280  # longest side of the JPEG we send back
JPEG_QUALITY = 82

_BONES = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
)
# colours are BGR (OpenCV draws on BGR)
_LEFT, _RIGHT, _MID = (255, 200, 60), (60, 170, 255), (235, 235, 235)
_BACK, _TEXT, _BOX = (200, 60, 255), (255, 255, 255), (20, 20, 20)

# what to label for each movement, in order, with a short name and where to put it
_LABELS: dict[Movement, tuple[tuple[str, str, str], ...]] = {
    Movement.FORWARD_BEND: (
        ("hip_flexion", "Hip", "hip"),
        ("lumbar_flexion", "Low back", "lumbar"),
        ("trunk_inclination", "Trunk", "trunk"),
        ("knee_flexion", "Knee", "knee"),
        ("reach", "Reach", "hand"),
    ),
    Movement.BACKWARD_BEND: (
        ("trunk_inclination", "Trunk", "trunk"),
        ("hip_extension", "Hip ext", "hip"),
        ("lumbar_flexion", "Low back", "lumbar"),
        ("knee_flexion", "Knee", "knee"),
    ),
    Movement.STANDING: (
        ("lumbar_lordosis", "Lordosis", "lumbar"),
        ("thoracic_kyphosis", "Kyphosis", "apex"),
        ("pelvic_tilt", "Pelvis", "hip"),
        ("head_forward", "Head", "ear"),
        ("shoulder_level", "Shoulders", "shoulder"),
        ("pelvis_level", "Pelvis lvl", "hip"),
        ("spine_deviation", "Spine shift", "apex"),
        ("trunk_inclination", "Trunk", "trunk"),
    ),
    Movement.SIDE_BEND: (
        ("lateral_bend", "Side bend", "shoulder"),
        ("pelvis_level", "Pelvis lvl", "hip"),
        ("knee_flexion", "Knee", "knee"),
    ),
    Movement.ROTATION: (
        ("trunk_rotation", "Twist", "shoulder"),
        ("pelvic_rotation", "Pelvis turn", "hip"),
        ("lateral_bend", "Side bend", "trunk"),
    ),
}
_UNITS = {"deg": "deg", "%": "%", "ratio": ""}


def annotate(rgb: np.ndarray, analysis: PhotoAnalysis) -> bytes:
    """JPEG bytes of the photo with the analysis drawn on it."""
    h, w = rgb.shape[:2]
    scale = min(1.0, OUTPUT_SIDE / max(h, w))
    img = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if scale < 1.0:
        img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    side = max(img.shape[:2])
    unit = side / 1000.0
    lm = analysis.landmarks
    pts = lm.pixel * scale
    _draw_skeleton(img, pts, lm, unit)
    back = analysis.back
    if back is not None and len(back.points) >= 2:
        curve = np.round(back.points * scale).astype(np.int32)
        cv2.polylines(img, [curve], False, (0, 0, 0), max(2, round(9 * unit)), cv2.LINE_AA)
        cv2.polylines(img, [curve], False, _BACK, max(2, round(6 * unit)), cv2.LINE_AA)
        if back.apex is not None:
            apex = tuple(int(round(c * scale)) for c in back.apex)
            cv2.circle(img, apex, max(3, round(9 * unit)), _BACK, -1, cv2.LINE_AA)
    _draw_labels(img, pts, analysis, unit, scale)
    _draw_header(img, analysis, unit)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _draw_skeleton(img: np.ndarray, pts: np.ndarray, lm: Landmarks, unit: float) -> None:
    thick = max(2, round(5 * unit))
    for a, b in _BONES:
        if min(lm.vis(a), lm.vis(b)) < 0.3:
            continue
        colour = (
            _LEFT
            if a.startswith("left") and b.startswith("left")
            else (_RIGHT if a.startswith("right") and b.startswith("right") else _MID)
        )
        pa, pb = _pt(pts[INDEX[a]]), _pt(pts[INDEX[b]])
        cv2.line(img, pa, pb, (0, 0, 0), thick + max(2, round(3 * unit)), cv2.LINE_AA)
        cv2.line(img, pa, pb, colour, thick, cv2.LINE_AA)
    head = [n for n in ("nose", "left_ear", "right_ear") if lm.vis(n) > 0.3]
    for name in head + [n for pair in _BONES for n in pair]:
        if lm.vis(name) >= 0.3:
            cv2.circle(
                img, _pt(pts[INDEX[name]]), max(3, round(6 * unit)), (0, 0, 0), -1, cv2.LINE_AA
            )
            cv2.circle(img, _pt(pts[INDEX[name]]), max(2, round(4 * unit)), _TEXT, -1, cv2.LINE_AA)


def _anchor(where: str, pts: np.ndarray, analysis: PhotoAnalysis, scale: float) -> np.ndarray:
    def mid(part):
        return (pts[INDEX[f"left_{part}"]] + pts[INDEX[f"right_{part}"]]) / 2

    back = analysis.back
    if where in ("lumbar", "apex") and back is not None and len(back.points):
        if where == "apex" and back.apex is not None:
            return np.array(back.apex) * scale
        return back.points[int(len(back.points) * 0.7)] * scale  # points run shoulders -> pelvis
    return {
        "hip": mid("hip"),
        "knee": mid("knee"),
        "shoulder": mid("shoulder"),
        "trunk": (mid("hip") + mid("shoulder")) / 2,
        "ear": mid("ear"),
        "hand": mid("index"),
        "lumbar": mid("hip") * 0.7 + mid("shoulder") * 0.3,
        "apex": mid("hip") * 0.3 + mid("shoulder") * 0.7,
    }[where]


def _draw_labels(
    img: np.ndarray, pts: np.ndarray, analysis: PhotoAnalysis, unit: float, scale: float
) -> None:
    font, fscale = cv2.FONT_HERSHEY_DUPLEX, 1.0 * unit
    thick = max(1, round(2 * unit))
    placed: list[tuple[int, int, int, int]] = []
    h, w = img.shape[:2]
    shown = 0
    for name, label, where in _LABELS.get(analysis.movement.movement, ()):
        m = analysis.measurements.get(name)
        if m is None or shown >= 4:
            continue
        value = f"{m.value:+.0f}" if m.unit != "ratio" else f"{m.value:.2f}"
        text = f"{label} {value}"
        suffix = "" if m.unit == "deg" else _UNITS.get(m.unit, "")
        (tw, th), base = cv2.getTextSize(text + suffix, font, fscale, thick)
        deg_w = int(th * 0.5) if m.unit == "deg" else 0
        box_w, box_h = tw + deg_w + int(16 * unit), th + base + int(14 * unit)
        anchor = _anchor(where, pts, analysis, scale)
        for dx, dy in (
            (30, -30),
            (30, 20),
            (-30 - box_w / unit, -30),
            (-30 - box_w / unit, 20),
            (30, -90),
            (30, 80),
            (-30 - box_w / unit, 80),
            (-30 - box_w / unit, -90),
        ):
            x = int(np.clip(anchor[0] + dx * unit, 0, max(0, w - box_w)))
            y = int(np.clip(anchor[1] + dy * unit, 0, max(0, h - box_h)))
            box = (x, y, x + box_w, y + box_h)
            if not any(_overlap(box, other) for other in placed):
                break
        placed.append(box)
        _shade(img, box)
        cv2.line(
            img,
            _pt(anchor),
            (box[0] if box[0] > anchor[0] else box[2], (box[1] + box[3]) // 2),
            _TEXT,
            max(1, round(2 * unit)),
            cv2.LINE_AA,
        )
        org = (x + int(8 * unit), y + int(7 * unit) + th)
        _put_text(img, text + suffix, org, font, fscale, thick)
        if m.unit == "deg":  # Hershey fonts have no degree sign: draw one
            cv2.circle(
                img,
                (org[0] + tw + deg_w // 2 + 2, org[1] - th + deg_w // 2),
                max(2, deg_w // 3),
                _TEXT,
                max(1, thick - 1),
                cv2.LINE_AA,
            )
        shown += 1


def _draw_header(img: np.ndarray, analysis: PhotoAnalysis, unit: float) -> None:
    view = analysis.view
    kind = view.kind.value
    facing = f", facing {view.facing}" if view.facing in ("left", "right") else ""
    lines = [
        f"{kind.capitalize()} view{facing}",
        f"{analysis.movement.movement.value.replace('_', ' ')}  (yaw {view.yaw_deg:.0f}, tilt {view.roll_deg:+.0f})",
    ]
    font, fscale, thick = cv2.FONT_HERSHEY_DUPLEX, 0.9 * unit, max(1, round(2 * unit))
    sizes = [cv2.getTextSize(t, font, fscale, thick)[0] for t in lines]
    pad = int(12 * unit)
    box_w = max(s[0] for s in sizes) + 2 * pad
    box_h = sum(s[1] for s in sizes) + pad * (len(lines) + 1)
    _shade(img, (0, 0, box_w, box_h))
    y = pad
    for text, (_, th) in zip(lines, sizes):
        y += th
        _put_text(img, text, (pad, y), font, fscale, thick)
        y += pad


def _put_text(
    img: np.ndarray, text: str, org: tuple[int, int], font: int, fscale: float, thick: int
) -> None:
    """Anti-aliased text. OpenCV draws thin anti-aliased strokes ~10x faster than thick
    ones, so a 2 px stroke is drawn as four 1 px strokes a pixel apart (same look)."""
    if thick != 2:
        cv2.putText(img, text, org, font, fscale, _TEXT, thick, cv2.LINE_AA)
        return
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        cv2.putText(img, text, (org[0] + dx, org[1] + dy), font, fscale, _TEXT, 1, cv2.LINE_AA)


def _shade(img: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Darken a box behind text to 16% of the photo over the box colour (blending only
    that region, in place: cheap on big photos)."""
    x0, y0, x1, y1 = box
    roi = img[max(0, y0) : y1, max(0, x0) : x1]
    if roi.size:  # the box colour is a grey, so one offset serves all three channels
        cv2.convertScaleAbs(roi, roi, 40 / 256, _BOX[0] * 216 / 256)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))
