"""The shape of the back from the person's segmentation mask.

Side views: the back's outline between the pelvis and the shoulders is traced
on stations along the trunk, mapped into the body's sagittal plane (so a photo
taken at an angle is unfolded), smoothed with a low-order polynomial, and read
the way photogrammetric posture studies read a back contour: the tangent's
inclination at the sacrum (S2), the thoracolumbar junction and the top of the
thoracic spine (T1), the lumbar and thoracic angles between them, the
curvature profile and its apex.

Back views: the midline of the trunk's silhouette between shoulders and pelvis
gives the sideways deviation of the spine line.

Signs: ``curvature`` is + where the outline bulges backwards (kyphotic), - where
it is hollow (lordotic); ``lumbar_angle`` + lordotic, - flexed; ``thoracic_angle``
+ kyphotic; ``slopes`` are the tangent's angle from the hip-to-shoulder line, +
where the outline moves backwards going up. Back views: ``spine_deviation`` in %
of trunk length, + towards the picture's right of the chord.

Levels along the trunk (fractions of hip-to-shoulder landmark distance; the
hip landmark sits at the greater trochanter, the shoulder at the acromion;
Drillis & Contini segment heights): S2 ~0.15, thoracolumbar junction searched in
0.35-0.70 (default 0.55), T1 ~0.95.
"""

from __future__ import annotations

import math

import numpy as np

from backcare.vision.geometry import BodyFrame, Skeleton, cross
from backcare.vision.types import BackShape, Landmarks

T_S2, T_JUNCTION, T_T1 = 0.15, 0.55, 0.95
_STATIONS = np.linspace(-0.05, 1.0, 43)
# The profile: the raw outline's local slope at levels from the back of the thighs
# (-0.35) up to the shoulders, each from a straight line through the outline within
# +-0.1 of it. Below the hip the outline is the buttocks and thighs: their angle to the
# lumbar outline is what tells a hip hinge from a rounded lower back (grouped cv of a
# ridge line on the training renders: forward-bend hip flexion 10.9 -> 9.1 deg on the
# hinge-heavy train2, 6.1 -> 5.9 on the others; vision/MODEL_CARD.md).
PROFILE_LEVELS = tuple(round(-0.35 + 0.1 * i, 2) for i in range(14))
_PROFILE_STATIONS = np.linspace(-0.45, 1.0, 59)
_PROFILE_HALF_WINDOW = 0.1
_ARM_PARTS = ("shoulder", "elbow", "wrist", "index")
_ARM_FRACS = np.linspace(0, 1, 6)  # points sampled along each arm segment, ends included
MIN_SIDE_SPREAD = 0.55  # the back axis must show at least this share of its length in the image


def side_contour(
    mask: np.ndarray, lm: Landmarks, sk: Skeleton, frame: BodyFrame
) -> BackShape | None:
    """Back outline of a side or oblique view, or None when the back cannot be seen."""
    hip, shoulder = lm.mid_px("hip"), lm.mid_px("shoulder")
    trunk_len = float(np.linalg.norm(shoulder - hip))
    if trunk_len < 20:
        return None
    # local affine map sagittal plane (metres) -> image (pixels), at the hips
    along3 = _unit(sk.at("shoulder_mid") - sk.at("hip_mid"))
    # the back faces the trunk axis turned 90 deg backwards in the sagittal plane
    # (upwards in a deep forward bend, not "backwards")
    back3 = _unit(cross(along3 - (along3 @ frame.left) * frame.left, frame.left))
    A = _project_dir(sk, along3)
    B = _project_dir(sk, back3)
    if np.linalg.norm(B) < MIN_SIDE_SPREAD * np.linalg.norm(A) or np.linalg.norm(A) < 1e-6:
        return None  # the back points at or away from the camera: no outline to trace
    axis = (shoulder - hip) / trunk_len
    normal = np.array([-axis[1], axis[0]])
    if normal @ B < 0:
        normal = -normal
    starts = hip[None, :] + _STATIONS[:, None] * (shoulder - hip)[None, :]
    depth, hit_edge = _march(mask, starts, normal, max_len=0.7 * trunk_len)
    points = starts + depth[:, None] * normal[None, :]
    valid = np.isfinite(depth) & ~hit_edge
    notes: list[str] = []
    arm_near = _near_arms(points, lm, radius=0.14 * trunk_len, hip=hip, normal=normal, depth=depth)
    if np.any(arm_near & valid):
        notes.append("arm or hand against the back: those parts left out")
    valid &= ~arm_near
    if (
        not (np.any(valid & (_STATIONS < 0.3)) and np.any(valid & (_STATIONS > 0.8)))
        or valid.mean() < 0.5
    ):
        return None
    # into sagittal-plane coordinates: u along the trunk, v towards the back (metres)
    M = np.column_stack([A, B])
    scale = float(np.linalg.norm(sk.at("shoulder_mid") - sk.at("hip_mid")))  # trunk length, metres

    def sagittal(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uv = np.linalg.solve(M, (pts - hip).T).T
        return uv[:, 0] / scale, uv[:, 1] / scale  # fractions of trunk length

    u, v = sagittal(points)
    coef, resid = _robust_polyfit(u[valid], v[valid], degree=4)
    t = _STATIONS
    d1 = np.polyval(np.polyder(coef, 1), t)
    d2 = np.polyval(np.polyder(coef, 2), t)
    curvature = -d2 / (1 + d1**2) ** 1.5  # + where the back is convex (kyphotic)
    junction = _junction(t, curvature)
    phi = lambda x: math.degrees(math.atan(float(np.polyval(np.polyder(coef, 1), x))))  # noqa: E731
    lumbar = phi(junction) - phi(T_S2)  # + lordotic (concave backwards), - when flexed
    thoracic = phi(junction) - phi(T_T1)  # + kyphotic
    # back to pixels for drawing, shoulders first
    fitted = np.polyval(coef, t)
    uv_fit = np.column_stack([t, fitted]) * scale
    pix = hip[None, :] + uv_fit @ M.T
    inside = (t >= 0.0) & (t <= 1.0)
    pix, kappa = pix[inside][::-1], curvature[inside][::-1] / (trunk_len)
    apex_i = int(np.argmax(np.abs(kappa)))
    confidence = _confidence(valid, resid, float(np.linalg.norm(B) / np.linalg.norm(A)), notes)
    if resid > 0.02:
        notes.append("uneven outline (loose clothing or hair?)")
    slopes = {
        "S2": round(phi(T_S2), 1),
        "junction": round(phi(junction), 1),
        "T1": round(phi(T_T1), 1),
    }
    profile = _profile(mask, lm, hip, shoulder, normal, trunk_len, sagittal)
    return BackShape(
        points=pix,
        curvature=kappa,
        thoracic_angle=round(thoracic, 1),
        lumbar_angle=round(lumbar, 1),
        apex=(float(pix[apex_i, 0]), float(pix[apex_i, 1])),
        spine_deviation=None,
        confidence=round(confidence, 2),
        notes=tuple(notes),
        slopes=slopes,
        profile=profile,
    )


def back_midline(mask: np.ndarray, lm: Landmarks, *, facing_camera: bool) -> BackShape | None:
    """Midline of the trunk's silhouette in a back (or front) view, and its sideways deviation."""
    hip, shoulder = lm.mid_px("hip"), lm.mid_px("shoulder")
    trunk_len = float(np.linalg.norm(shoulder - hip))
    if trunk_len < 20:
        return None
    axis = (shoulder - hip) / trunk_len
    normal = np.array([-axis[1], axis[0]])
    stations = np.linspace(0.08, 0.92, 29)
    starts = hip[None, :] + stations[:, None] * (shoulder - hip)[None, :]
    right, edge_r = _march(mask, starts, normal, max_len=0.8 * trunk_len)
    left, edge_l = _march(mask, starts, -normal, max_len=0.8 * trunk_len)
    valid = np.isfinite(right) & np.isfinite(left) & ~edge_r & ~edge_l
    # a trunk is 0.12-0.5 trunk lengths wide each side of its axis, and about as wide at the chest
    # as at the waist (x1.35 at most); wider means an arm or an object
    half = np.where(valid, (right + left) / 2, np.nan) / trunk_len
    valid &= (half > 0.12) & (half < 0.5) & (np.abs(right - left) / trunk_len < 0.15)
    waist = valid & (stations < 0.45)
    if waist.sum() >= 3:
        for side in (right, left):
            valid &= side <= 1.35 * float(np.median(side[waist]))
    pr = starts + right[:, None] * normal[None, :]
    pl = starts - left[:, None] * normal[None, :]
    near = _near_arms(pr, lm, radius=0.12 * trunk_len) | _near_arms(pl, lm, radius=0.12 * trunk_len)
    notes: list[str] = []
    if np.any(near & valid):
        notes.append("arms against the trunk: those levels left out")
    valid &= ~near
    if valid.sum() < 8:
        return None
    offset = (right - left) / 2 / trunk_len  # midline's sideways offset from the landmark axis
    s, o = stations[valid], offset[valid]
    coef, resid = _robust_polyfit(s, o, degree=2 if valid.sum() < 15 else 3)
    smooth = np.polyval(coef, stations)
    chord = smooth[0] + (smooth[-1] - smooth[0]) * (stations - stations[0]) / (
        stations[-1] - stations[0]
    )
    deviation = smooth - chord
    k = int(np.argmax(np.abs(deviation)))
    pix = starts + (smooth * trunk_len)[:, None] * normal[None, :]
    d1 = np.polyval(np.polyder(coef, 1), stations)
    d2 = np.polyval(np.polyder(coef, 2), stations)
    curvature = d2 / (1 + d1**2) ** 1.5 / trunk_len
    confidence = _confidence(valid, resid, 1.0, notes) * (0.6 if facing_camera else 1.0)
    if facing_camera:
        notes.append("front view: the spine itself is not visible")
    return BackShape(
        points=pix[::-1],
        curvature=curvature[::-1],
        thoracic_angle=None,
        lumbar_angle=None,
        apex=(float(pix[k, 0]), float(pix[k, 1])),
        spine_deviation=round(float(deviation[k]) * 100, 1),
        confidence=round(confidence, 2),
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- helpers


def _profile(
    mask: np.ndarray,
    lm: Landmarks,
    hip: np.ndarray,
    shoulder: np.ndarray,
    normal: np.ndarray,
    trunk_len: float,
    sagittal,
) -> dict[str, float]:
    """The outline's local slope (degrees, + where it moves backwards going up) at each of
    PROFILE_LEVELS where enough of it was traced; levels it could not see are absent."""
    starts = hip[None, :] + _PROFILE_STATIONS[:, None] * (shoulder - hip)[None, :]
    depth, hit_edge = _march(mask, starts, normal, max_len=0.9 * trunk_len)
    points = starts + np.nan_to_num(depth)[:, None] * normal[None, :]
    valid = np.isfinite(depth) & ~hit_edge
    valid &= ~_near_arms(points, lm, radius=0.14 * trunk_len, hip=hip, normal=normal, depth=depth)
    if valid.sum() < 4:
        return {}
    u, v = sagittal(points)
    out: dict[str, float] = {}
    for level in PROFILE_LEVELS:
        near = valid & (np.abs(_PROFILE_STATIONS - level) <= _PROFILE_HALF_WINDOW + 1e-9)
        if near.sum() >= 4 and np.ptp(u[near]) > 1e-6:
            out[f"{level:+.2f}"] = round(math.degrees(math.atan(line_slope(u[near], v[near]))), 1)
    return out


def line_slope(x: np.ndarray, y: np.ndarray) -> float:
    """The least-squares line's slope, in closed form (np.polyfit's general solver cost
    ~1 ms a side view over the profile's 14 levels)."""
    dx = x - x.mean()
    return float(dx @ (y - y.mean()) / (dx @ dx))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def _project_dir(sk: Skeleton, direction: np.ndarray, step: float = 0.1) -> np.ndarray:
    """Pixels per metre of a step along ``direction`` (camera coords) at the hips."""
    a = sk.origin
    b = sk.origin + direction * step
    pa = a[:2] / a[2] * sk.focal
    pb = b[:2] / b[2] * sk.focal
    return (pb - pa) / step


def _march(
    mask: np.ndarray, starts: np.ndarray, direction: np.ndarray, max_len: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each start along ``direction`` to the silhouette's edge (subpixel).

    NaN where the start is outside the person; ``hit_edge`` where the person
    runs on to the picture's border (the outline there is the frame, not the body).
    """
    h, w = mask.shape
    steps = np.arange(0.0, max_len, 1.0)
    xs = starts[:, 0:1] + steps[None, :] * direction[0]
    ys = starts[:, 1:2] + steps[None, :] * direction[1]
    outside_img = (xs < 0) | (ys < 0) | (xs > w - 1) | (ys > h - 1)
    xi = np.clip(np.rint(xs).astype(int), 0, w - 1)
    yi = np.clip(np.rint(ys).astype(int), 0, h - 1)
    values = np.where(outside_img, 0.0, mask[yi, xi])
    inside = values >= 0.5
    outside = ~inside
    first_out = outside.argmax(axis=1)  # first step off the person
    leaves = outside.any(axis=1) & inside[:, 0] & (first_out > 0)
    rows = np.flatnonzero(leaves)
    j = first_out[rows]
    a, b = values[rows, j - 1], values[rows, j]
    frac = np.where(a != b, (a - 0.5) / np.where(a != b, a - b, 1.0), 0.5)
    depth = np.full(len(starts), np.nan)
    depth[rows] = steps[j - 1] + frac
    hit_edge = np.zeros(len(starts), dtype=bool)
    hit_edge[rows] = outside_img[rows, j]
    # NaN where the start is outside the person, or it never left it within reach
    return depth, hit_edge


def _near_arms(
    points: np.ndarray,
    lm: Landmarks,
    radius: float,
    hip: np.ndarray | None = None,
    normal: np.ndarray | None = None,
    depth: np.ndarray | None = None,
) -> np.ndarray:
    """Contour points lying on an arm or hand (which the mask cannot tell from the back)."""
    chains = np.array([[lm.px(f"{side}_{p}") for p in _ARM_PARTS] for side in ("left", "right")])
    a, b = chains[:, :-1].reshape(-1, 1, 2), chains[:, 1:].reshape(-1, 1, 2)
    arm = (a + _ARM_FRACS[None, :, None] * (b - a)).reshape(-1, 2)  # each segment's six points
    if normal is not None and hip is not None and depth is not None:
        # an arm hanging beside the trunk lies near the axis, well inside the outline
        reach = float(np.nanmedian(depth)) if np.any(np.isfinite(depth)) else 0.0
        arm = arm[(arm - hip) @ normal >= 0.45 * reach]
    if len(arm) == 0:
        return np.zeros(len(points), dtype=bool)
    gaps = np.linalg.norm(points[:, None, :] - arm[None, :, :], axis=2)
    return np.nan_to_num(gaps, nan=np.inf).min(axis=1) < radius


def _robust_polyfit(x: np.ndarray, y: np.ndarray, degree: int) -> tuple[np.ndarray, float]:
    """Least squares with two rounds of dropping outliers (mask blobs, stray pixels)."""
    keep = np.ones(len(x), dtype=bool)
    coef = np.polyfit(x, y, degree)
    for _ in range(2):
        resid = y - np.polyval(coef, x)
        mad = float(np.median(np.abs(resid[keep] - np.median(resid[keep])))) + 1e-6
        new_keep = np.abs(resid) < 3.5 * 1.4826 * mad + 0.004
        if new_keep.sum() < degree + 3 or np.array_equal(new_keep, keep):
            break
        keep = new_keep
        coef = np.polyfit(x[keep], y[keep], degree)
    rms = float(np.sqrt(np.mean((y[keep] - np.polyval(coef, x[keep])) ** 2)))
    return coef, rms


def _junction(t: np.ndarray, curvature: np.ndarray) -> float:
    """Thoracolumbar junction: where the curve turns from lordotic to kyphotic, near T12."""
    window = (t >= 0.35) & (t <= 0.70)
    tw, kw = t[window], curvature[window]
    crossings = np.flatnonzero((kw[:-1] < 0) & (kw[1:] >= 0))
    if len(crossings):
        i = crossings[np.argmin(np.abs(tw[crossings] - T_JUNCTION))]
        return float(tw[i] - kw[i] * (tw[i + 1] - tw[i]) / (kw[i + 1] - kw[i]))
    return T_JUNCTION


def _confidence(valid: np.ndarray, resid: float, spread: float, notes: list[str]) -> float:
    conf = 0.9 * float(valid.mean())
    conf *= float(min(max(1.0 - (resid - 0.008) / 0.03, 0.3), 1.0))  # ragged outline
    conf *= float(min(max(spread, 0.0), 1.0))  # seen at an angle
    if notes:
        conf *= 0.85
    return float(min(max(conf, 0.0), 1.0))
