"""The annotated picture sent back to the patient: skeleton, back curve, angles, the view.

Everything is sized from the picture (line widths and text relative to its longer
side) so it stays readable when a phone shows it at a few centimetres wide. Text
is drawn light-on-dark with an outline; labels avoid each other.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from backcare.kernel.languages import DEFAULT
from backcare.kernel.units import number
from backcare.vision.labels import labels
from backcare.vision.types import INDEX, Landmarks, Measurement, Movement, PhotoAnalysis

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

# what to label for each movement, in order, and where to put it
_LABELS: dict[Movement, tuple[tuple[str, str], ...]] = {
    Movement.FORWARD_BEND: (
        ("hip_flexion", "hip"),
        ("lumbar_flexion", "lumbar"),
        ("trunk_inclination", "trunk"),
        ("knee_flexion", "knee"),
        ("reach", "hand"),
    ),
    Movement.BACKWARD_BEND: (
        ("trunk_inclination", "trunk"),
        ("hip_extension", "hip"),
        ("lumbar_flexion", "lumbar"),
        ("knee_flexion", "knee"),
    ),
    Movement.STANDING: (
        ("lumbar_lordosis", "lumbar"),
        ("thoracic_kyphosis", "apex"),
        ("pelvic_tilt", "hip"),
        ("head_forward", "ear"),
        ("shoulder_level", "shoulder"),
        ("pelvis_level", "hip"),
        ("spine_deviation", "apex"),
        ("trunk_inclination", "trunk"),
    ),
    Movement.SIDE_BEND: (
        ("lateral_bend", "shoulder"),
        ("pelvis_level", "hip"),
        ("knee_flexion", "knee"),
    ),
    Movement.ROTATION: (
        ("trunk_rotation", "shoulder"),
        ("pelvic_rotation", "hip"),
        ("lateral_bend", "trunk"),
    ),
}
# Hershey fonts draw only ASCII: other scripts are drawn with this font (IPAexGothic)
_CJK_FONT = "ipaexg.ttf"


def annotate(rgb: np.ndarray, analysis: PhotoAnalysis, language: str = DEFAULT) -> bytes:
    """JPEG bytes of the photo with the analysis drawn on it, labelled in ``language``
    (vision/labels.yaml; a language it lacks falls back to the default). Numbers are written as the report
    writes them (backcare.kernel.units), so the picture and the report agree."""
    h, w = rgb.shape[:2]
    scale = min(1.0, OUTPUT_SIDE / max(h, w))
    if scale < 1.0:  # shrunk before the channels are swapped: no full-size copy
        rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    img = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
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
    _draw_labels(img, pts, analysis, unit, scale, language)
    _draw_header(img, analysis, unit, language)
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


def label_text(name: str, m: Measurement, language: str = DEFAULT) -> str:
    """What the picture says for a measurement, e.g. "Hip +83°" or "股関節 +83°"."""
    word = labels().name(name, language)
    return f"{word} {number(m.value, m.unit, signed=m.unit != 'ratio', lang=language)}"


def _draw_labels(
    img: np.ndarray,
    pts: np.ndarray,
    analysis: PhotoAnalysis,
    unit: float,
    scale: float,
    language: str = DEFAULT,
) -> None:
    font, fscale = cv2.FONT_HERSHEY_DUPLEX, 1.0 * unit
    thick = max(1, round(2 * unit))
    placed: list[tuple[int, int, int, int]] = []
    h, w = img.shape[:2]
    shown = 0
    for name, where in _LABELS.get(analysis.movement.movement, ()):
        m = analysis.measurements.get(name)
        if m is None or shown >= 4:
            continue
        text = label_text(name, m, language)
        tw, th, base = _text_size(text, font, fscale, thick)
        box_w, box_h = tw + int(16 * unit), th + base + int(14 * unit)
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
            x = int(min(max(anchor[0] + dx * unit, 0), max(0, w - box_w)))
            y = int(min(max(anchor[1] + dy * unit, 0), max(0, h - box_h)))
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
        _draw_text(img, text, org, font, fscale, thick)
        shown += 1


def _draw_header(img: np.ndarray, analysis: PhotoAnalysis, unit: float, language: str) -> None:
    view = analysis.view
    words = labels()
    facing = (
        words.template("facing", language).format(side=words.word(view.facing, language))
        if view.facing in ("left", "right")
        else ""
    )
    lines = [
        words.template("view", language).format(
            kind=words.word(view.kind.value, language), facing=facing
        ),
        words.template("pose", language).format(
            movement=words.word(analysis.movement.movement.value, language),
            yaw=f"{view.yaw_deg:.0f}",
            tilt=f"{view.roll_deg:+.0f}",
        ),
    ]
    font, fscale, thick = cv2.FONT_HERSHEY_DUPLEX, 0.9 * unit, max(1, round(2 * unit))
    sizes = [_text_size(t, font, fscale, thick)[:2] for t in lines]
    pad = int(12 * unit)
    box_w = max(s[0] for s in sizes) + 2 * pad
    box_h = sum(s[1] for s in sizes) + pad * (len(lines) + 1)
    _shade(img, (0, 0, box_w, box_h))
    y = pad
    for text, (_tw, th) in zip(lines, sizes):
        y += th
        _draw_text(img, text, (pad, y), font, fscale, thick)
        y += pad


def _ascii(text: str) -> bool:
    return all(ord(c) < 128 for c in text.replace("°", ""))


@lru_cache(maxsize=8)
def _cjk_font(size: int) -> ImageFont.FreeTypeFont:
    import matplotlib_fontja

    path = Path(matplotlib_fontja.__file__).parent / "fonts" / _CJK_FONT
    return ImageFont.truetype(str(path), size)


def _pil_size(fscale: float) -> int:
    return max(8, round(30 * fscale))  # about the Hershey duplex font's height at ``fscale``


def _text_size(text: str, font: int, fscale: float, thick: int) -> tuple[int, int, int]:
    """(width, height above the baseline, depth below it) of ``text`` as it will be drawn."""
    if _ascii(text):
        plain = text.replace("°", "")
        (tw, th), base = cv2.getTextSize(plain, font, fscale, thick)
        return tw + (int(th * 0.5) if "°" in text else 0), th, base
    left, top, right, bottom = _cjk_font(_pil_size(fscale)).getbbox(text, anchor="ls")
    return int(right - min(0, left)), int(-top), int(max(0, bottom))


def _draw_text(
    img: np.ndarray, text: str, org: tuple[int, int], font: int, fscale: float, thick: int
) -> None:
    """Text at ``org`` (left end of the baseline): Hershey for ASCII, with a drawn degree
    sign (Hershey has none); the CJK font for anything else."""
    if _ascii(text):
        plain = text.replace("°", "")
        _put_text(img, plain, org, font, fscale, thick)
        if "°" in text:
            (tw, th), _ = cv2.getTextSize(plain, font, fscale, thick)
            deg_w = int(th * 0.5)
            cv2.circle(
                img,
                (org[0] + tw + deg_w // 2 + 2, org[1] - th + deg_w // 2),
                max(2, deg_w // 3),
                _TEXT,
                max(1, thick - 1),
                cv2.LINE_AA,
            )
        return
    pil_font = _cjk_font(_pil_size(fscale))
    left, top, right, bottom = (int(v) for v in pil_font.getbbox(text, anchor="ls"))
    x0, y0 = max(0, org[0] + min(0, left)), max(0, org[1] + top)
    x1, y1 = min(img.shape[1], org[0] + right + 1), min(img.shape[0], org[1] + bottom + 1)
    if x1 <= x0 or y1 <= y0:
        return
    region = Image.fromarray(np.ascontiguousarray(img[y0:y1, x0:x1, ::-1]))
    ImageDraw.Draw(region).text(
        (org[0] - x0, org[1] - y0), text, font=pil_font, fill=_TEXT[::-1], anchor="ls"
    )
    img[y0:y1, x0:x1] = np.asarray(region)[:, :, ::-1]


def _put_text(
    img: np.ndarray, text: str, org: tuple[int, int], font: int, fscale: float, thick: int
) -> None:
    """Anti-aliased white text. OpenCV draws thick anti-aliased strokes ~12x slower than
    1 px ones, so a thicker stroke is a 1 px one drawn as coverage on a patch, widened by
    a dilation to about the thick stroke's look, and blended in."""
    if thick not in _WIDEN:  # 1 px, or wider than a picture of OUTPUT_SIDE ever asks for
        cv2.putText(img, text, org, font, fscale, _TEXT, thick, cv2.LINE_AA)
        return
    (tw, th), base = cv2.getTextSize(text, font, fscale, 1)
    x0, y0 = max(0, org[0] - thick), max(0, org[1] - th - thick)
    x1 = min(img.shape[1], org[0] + tw + thick + 1)
    y1 = min(img.shape[0], org[1] + base + thick + 1)
    if x1 <= x0 or y1 <= y0:
        return
    cover = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.putText(cover, text, (org[0] - x0, org[1] - y0), font, fscale, 255, 1, cv2.LINE_AA)
    cover = cv2.dilate(cover, _WIDEN[thick])
    region = img[y0:y1, x0:x1]
    # white over the photo by the coverage: region + coverage * (255 - region) / 255
    lift = cv2.multiply(255 - region, cv2.merge([cover] * 3), scale=1 / 255)
    cv2.add(region, lift, dst=region)


# the dilation that turns a 1 px stroke into one 2 or 3 px wide (of the shapes tried, the
# closest to OpenCV's own thick strokes, pixel for pixel)
_WIDEN = {2: np.ones((3, 3), np.uint8), 3: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))}


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
