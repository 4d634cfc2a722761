"""Estimators fitted to exact truth: hip, lumbar and thoracic flexion, rotation, lateral
bend and the standing contour proxies, each with the spread of its error.

Ridge regressions, boosted regression trees, or a ridge line with trees fitted to its
residuals (whichever cross-validated best; evaluated with numpy) from what a photo
gives -- the body-frame angles and witnesses (vision.measure.raw_angles), the view, the
back outline's descriptors and profile, the shoulders' and hips' widths and levels, and
a few angles of MediaPipe's own 3D landmarks -- to the renderer's exact angles. Fitted
by bench/synth/fit_estimators.py on the training renders of
bench/synth/render_accuracy_sets.py; parameters in vision/estimators.json (versioned),
described in vision/MODEL_CARD.md. The uncertainty of each reading is the out-of-fold
residual sd of its estimator for how far the view is from the one the measurement needs,
on the movement it errs most on.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from backcare.vision.back import PROFILE_LEVELS
from backcare.vision.measure import SHOULDER_TO_HIP_PX
from backcare.vision.types import INDEX, BackShape, Landmarks, Measurement, View
from backcare.vision.view import off_side

PARAMS = Path(__file__).with_name("estimators.json")
RIDGE_FIELDS = ("mean", "scale", "coef", "intercept")
# each kind of model and the fields of its entry in the parameters file
MODEL_FIELDS = {
    "ridge": RIDGE_FIELDS,
    "trees": ("trees",),
    "ridge+trees": (*RIDGE_FIELDS, "trees"),
}
SLOPES = ("S2", "junction", "T1")
# how far the view is from the one each kind of measurement needs, in degrees
VIEW_BINS = (15.0, 30.0, 45.0, 90.01)


def sd_in_bin(bins: Sequence[float], view_err: float) -> float:
    """The residual sd of the VIEW_BINS bin the view's error falls in (the last beyond)."""
    return next(
        (sd for edge, sd in zip(VIEW_BINS, bins, strict=False) if view_err < edge), bins[-1]
    )


def within_range(x: np.ndarray, low: np.ndarray, high: np.ndarray, margin: float) -> bool:
    """Whether every value lies within its training range widened by ``margin`` of it (a
    value that is not a number lies within none)."""
    slack = margin * (high - low)
    return bool(np.all(x >= low - slack) and np.all(x <= high + slack))


def view_error(plane: str, off: float) -> float:
    """Degrees from the view the plane is seen best in: the side for sagittal angles, the
    front or back for frontal and transverse ones."""
    return off if plane == "sagittal" else 90.0 - off


def features(
    angles: dict[str, float],
    yaw_deg: float,
    pitch_deg: float,
    back: dict | None,
    world: np.ndarray,
    pixel: np.ndarray,
) -> dict[str, float]:
    """What the photo gives, as named numbers (the same at fit and at run time)."""
    f = {
        k: float(angles.get(k, 0.0))
        for k in (
            "trunk_inclination",
            "trunk_thigh_angle",
            "hip_extension",
            "knee_flexion",
            "lateral_bend",
            "shoulder_level",
            "pelvis_level",
            "trunk_rotation",
            "shoulder_knee_rotation",
            "mediapipe_rotation",
            "head_forward",
        )
    }
    off = off_side(yaw_deg)
    f["off"] = off / 90.0
    f["pitch"] = pitch_deg
    for k in ("trunk_rotation", "shoulder_knee_rotation", "mediapipe_rotation", "lateral_bend"):
        f[f"{k}*off"] = f[k] * f["off"]
    f["trunk_thigh*off"] = f["trunk_thigh_angle"] * f["off"]
    f["incl*off"] = f["trunk_inclination"] * f["off"]
    f["incl*pitch"] = f["trunk_inclination"] * pitch_deg / 20.0
    f["thigh*off"] = f["hip_extension"] * f["off"]
    f["incl^2"] = f["trunk_inclination"] ** 2 / 100.0
    f["trunk_thigh^2"] = f["trunk_thigh_angle"] ** 2 / 100.0
    f["off^2"] = f["off"] ** 2
    contour = back or {}
    has = contour.get("lumbar") is not None
    f["contour"] = 1.0 if has else 0.0
    slopes = contour.get("slopes") or {}
    f["lumbar_contour"] = float(contour["lumbar"]) if has else 0.0
    f["thoracic_contour"] = float(contour.get("thoracic") or 0.0) if has else 0.0
    for s in SLOPES:
        f[f"slope_{s}"] = float(slopes.get(s, 0.0)) if has else 0.0
    f["contour*trunk_thigh"] = f["contour"] * f["trunk_thigh_angle"]
    # the outline's local slopes down over the buttocks to the thighs and up to the
    # shoulders, each with whether it was seen (an unseen level reads 0)
    profile = contour.get("profile") or {}
    for level in PROFILE_LEVELS:
        key = f"{level:+.2f}"
        seen = has and key in profile
        f[f"profile{key}"] = float(profile[key]) if seen else 0.0
        f[f"seen{key}"] = 1.0 if seen else 0.0

    def mid(a: np.ndarray, n: str) -> np.ndarray:
        return (a[INDEX[f"left_{n}"]] + a[INDEX[f"right_{n}"]]) / 2

    trunk = mid(world, "shoulder") - mid(world, "hip")
    head = mid(world, "ear") - mid(world, "shoulder")
    thigh = mid(world, "hip") - mid(world, "knee")
    f["mp_neck"] = _angle(trunk, head)
    f["mp_trunk_thigh"] = _angle(trunk, thigh)
    f["mp_nose_drop"] = float((world[INDEX["nose"]] - mid(world, "shoulder")) @ _unit(trunk)) / max(
        float(np.linalg.norm(trunk)), 1e-6
    )
    hips = float(np.linalg.norm(pixel[INDEX["left_hip"]] - pixel[INDEX["right_hip"]]))
    shoulders = float(
        np.linalg.norm(pixel[INDEX["left_shoulder"]] - pixel[INDEX["right_shoulder"]])
    )
    torso = float(np.linalg.norm(mid(pixel, "shoulder") - mid(pixel, "hip")))
    f["width_ratio"] = shoulders / max(hips, 1.0) if hips > 1 else 0.0
    f["shoulder_width"] = shoulders / max(torso, 1.0)
    f["hip_width"] = hips / max(torso, 1.0)
    f["width_rotation"] = _width_rotation(f["width_ratio"], yaw_deg, f)
    f["width_rotation*off"] = f["width_rotation"] * f["off"]
    f["yaw_side"] = math.sin(math.radians(2.0 * yaw_deg))
    f["feet_along"], f["feet_off"], f["twist_wide"], f["twist_narrow"] = _feet_witnesses(
        pixel, f["width_ratio"]
    )
    # the view's yaw comes from the trunk, so over the feet's it turns with the twist (on
    # the training twists by ~0.4 of it), signed by the depth the view stands on
    f["view_over_feet"] = (yaw_deg - f["feet_off"]) % 180.0 - 90.0
    return f


# heel-to-toe landmark length over the hip landmarks' width: the pixel length of the feet
# along the hip line is this times the cotangent of the camera's yaw (least squares on the
# training renders' front and back views, r 0.96 against the true yaw)
FEET_TO_HIPS = 1.1


def _feet_witnesses(pixel: np.ndarray, width_ratio: float) -> tuple[float, float, float, float]:
    """Witnesses of a twist that need no depth. Planted feet point where the pelvis faces,
    so in the picture the toes' reach along the hip line says which side of the body the
    camera stands on, and how far (on the renders within 4.6 deg, and never on the wrong
    side beyond 10 deg), where the view's own yaw follows the trunk, which carries the
    twist itself. From there the shoulders' projected width allows two turns, one either
    side of the camera's offset (the depth turned over gives the other): both are given,
    and the trees pick with the depth witnesses. Returns the toes' reach, the feet's offset
    from the square view, and the two turns (degrees). ``width_ratio``: the shoulders'
    pixel width over the hips'."""
    hips = pixel[INDEX["left_hip"], :2] - pixel[INDEX["right_hip"], :2]
    span = float(hips @ hips)
    if span < 1.0:
        return 0.0, 0.0, 0.0, 0.0
    toes = (
        pixel[INDEX["left_foot_index"], :2]
        - pixel[INDEX["left_heel"], :2]
        + pixel[INDEX["right_foot_index"], :2]
        - pixel[INDEX["right_heel"], :2]
    ) / 2.0
    along = float(toes @ hips) / span
    yaw = math.atan2(1.0, along / FEET_TO_HIPS)  # 90 deg square-on, as the view's yaw mod 180
    turned = width_ratio / SHOULDER_TO_HIP_PX * math.sin(yaw)
    half = 90.0 - math.degrees(math.asin(min(1.0, turned)))
    off = math.degrees(yaw) - 90.0
    return along, off, off + half, off - half


def _width_rotation(ratio: float, yaw_deg: float, f: dict[str, float]) -> float:
    """The shoulders' turn that their projected width implies (seen from the front or back
    the shoulder line narrows as it turns), signed by the witnesses of the twist: the
    signal vision.measure._rotation_from_widths trusts only when strong, given here whole."""
    s = abs(math.sin(math.radians(yaw_deg)))
    if ratio <= 0 or s < 0.3:
        return 0.0
    k = min(1.0, ratio / SHOULDER_TO_HIP_PX * s)
    turn = abs(math.degrees(math.asin(k)) - math.degrees(math.asin(min(1.0, s))))
    sign = f["mediapipe_rotation"] + 0.5 * f["shoulder_knee_rotation"] + f["trunk_rotation"]
    return math.copysign(turn, sign)


@dataclass(frozen=True)
class Trees:
    """A boosted ensemble of regression trees (fitted by scikit-learn's
    GradientBoostingRegressor in bench/synth/fit_estimators.py, evaluated here with numpy):
    ``base`` plus ``rate`` times the sum of each tree's leaf. ``nodes`` holds every tree as
    rows of (feature, threshold, left, right, value), short trees padded with leaves; a
    leaf has left = -1. A feature at or below its node's threshold goes left."""

    base: float
    rate: float
    nodes: np.ndarray  # (trees, nodes, 5), single precision (every worker holds them)
    # built with the trees, so a worker, which loads the models as it starts (vision.pool),
    # holds it before its first photo
    _walk: _Walk = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_walk", _Walk.of(self.nodes))

    @classmethod
    def stack(cls, base: float, rate: float, trees: Sequence[np.ndarray]) -> Trees:
        """From one (n_nodes, 5) array per tree: the trees are kept only stacked (a worker
        holds them once)."""
        width = max(len(t) for t in trees)
        nodes = np.zeros((len(trees), width, 5), dtype=np.float32)
        nodes[:, :, 2:4] = -1  # padding: leaves worth 0, never reached
        for i, t in enumerate(trees):
            nodes[i, : len(t)] = t
        return cls(base=base, rate=rate, nodes=nodes)

    def predict(self, x: np.ndarray) -> float:
        # compared in single precision, as scikit-learn's trees compare their input
        x = np.asarray(x, dtype=np.float32)
        walk = self._walk
        # all trees walk down together, a level a step (a leaf leads to itself)
        at = walk.roots
        for _ in range(walk.depth):
            at = np.where(x[walk.feature[at]] <= walk.threshold[at], walk.left[at], walk.right[at])
        return self.base + self.rate * float(walk.value[at].sum(dtype=np.float64))


@dataclass(frozen=True)
class _Walk:
    """Trees' nodes flattened for walking (built once per worker): node i of tree t is
    row t * width + i; a leaf's children are itself, so every tree can take the deepest
    tree's number of steps."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    @classmethod
    def of(cls, nodes: np.ndarray) -> _Walk:
        count, width = nodes.shape[:2]
        row = np.arange(count * width).reshape(count, width)
        first = row[:, :1]
        inner = nodes[:, :, 2] >= 0
        left = np.where(inner, first + nodes[:, :, 2].astype(int), row)
        right = np.where(inner, first + nodes[:, :, 3].astype(int), row)
        level = np.zeros((count, width), dtype=int)
        for i in range(width):  # children come after their node (nodes_of checks it)
            for child in (left[:, i], right[:, i]):
                t = np.flatnonzero(inner[:, i])
                level[t, child[t] - first[t, 0]] = level[t, i] + 1
        return cls(  # indices in 32 bits: every worker holds these
            roots=first[:, 0].astype(np.int32),
            feature=np.where(inner, nodes[:, :, 0], 0).astype(np.int32).ravel(),
            threshold=nodes[:, :, 1].ravel(),
            left=left.astype(np.int32).ravel(),
            right=right.astype(np.int32).ravel(),
            value=nodes[:, :, 4].ravel(),
            depth=int(level.max()),
        )


def nodes_of(trees: dict, features: int) -> np.ndarray:
    """The (trees, nodes, 5) array of an exported ensemble over ``features`` features:
    ``shape`` gives trees and nodes, ``nodes`` every number as text (read straight into
    one single-precision array, no Python object per number). Checked as it is read: a
    bad child index would send a walk in circles."""
    count, width = (int(n) for n in trees["shape"])
    flat = np.loadtxt(io.StringIO(trees["nodes"]), dtype=np.float32, ndmin=1)
    if flat.size != count * width * 5:
        raise ValueError(
            f"nodes: {flat.size} numbers where shape {count}x{width} needs {count * width * 5}"
        )
    nodes = flat.reshape(count, width, 5)
    if not np.isfinite(nodes).all():
        raise ValueError("nodes: a number is not finite")
    index = nodes[:, :, [0, 2, 3]]
    if not np.array_equal(index, np.round(index)):
        raise ValueError("nodes: a feature or child index is not a whole number")
    row = np.arange(width)[None, :]
    inner = nodes[:, :, 2] >= 0
    feature, left, right = nodes[:, :, 0], nodes[:, :, 2], nodes[:, :, 3]
    bad = inner & ((feature < 0) | (feature >= features))
    # children come after their node (the order scikit-learn writes them in)
    bad |= inner & ((left <= row) | (left >= width) | (right <= row) | (right >= width))
    bad |= ~inner & ((left != -1) | (right != -1))
    if bad.any():
        t, n = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"nodes: tree {t}, node {n}: a feature or child index out of place")
    nodes.flags.writeable = False
    return nodes


@dataclass(frozen=True)
class Ridge:
    """A ridge line on standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> float:
        return float(((x - self.mean) / self.scale) @ self.coef + self.intercept)


@dataclass(frozen=True)
class RidgeAndTrees:
    """A ridge line plus boosted trees fitted to what it leaves: the line carries a wide,
    nearly linear trend (hip flexion 0-120 deg, which trees alone follow in steps), the
    trees the bends of it the line cannot."""

    ridge: Ridge
    trees: Trees

    def predict(self, x: np.ndarray) -> float:
        return self.ridge.predict(x) + self.trees.predict(x)


@dataclass(frozen=True)
class Estimator:
    target: str  # the measurement it estimates
    plane: str  # "sagittal", "frontal" or "transverse": which view it needs
    names: tuple[str, ...]
    # the ridge line, boosted trees, or the line with trees on its residuals, whichever
    # cross-validated best (trees alone stay within the range of the training truth)
    model: Ridge | Trees | RidgeAndTrees
    sd_by_view: tuple[float, ...]  # residual sd per VIEW_BINS bin
    needs_contour: bool = False
    like: str = ""  # emitted where this measurement is (view rules, confidence); "" = itself
    low: np.ndarray | None = None  # the training photos' range of each feature
    high: np.ndarray | None = None

    def covers(self, f: dict[str, float], margin: float = 0.05) -> bool:
        """Whether the photo lies within what the estimator learnt from (each feature within
        the training range, widened by ``margin`` of it): a ridge fit extrapolates badly."""
        if self.low is None or self.high is None:
            return True
        x = np.array([f.get(n, 0.0) for n in self.names])
        return within_range(x, self.low, self.high, margin)

    def predict(self, f: dict[str, float]) -> float:
        return self.model.predict(np.array([f.get(n, 0.0) for n in self.names]))

    def sd(self, view_err: float) -> float:
        return sd_in_bin(self.sd_by_view, view_err)


@dataclass(frozen=True)
class Model:
    version: str
    estimators: dict[str, Estimator]
    # measurements read directly (not fitted): residual sd per view bin, and their plane
    direct_sd: dict[str, tuple[str, tuple[float, ...]]]


@lru_cache(maxsize=1)
def load(path: Path = PARAMS) -> Model | None:
    """The shipped parameters, or None when the file is absent (measurements stay as read)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    ests = {}
    for target, e in data["estimators"].items():
        model: Ridge | Trees | RidgeAndTrees
        kind = e["model"]
        if kind not in MODEL_FIELDS:
            raise ValueError(
                f"{path}: estimators.{target}.model: {kind!r} is none of {tuple(MODEL_FIELDS)}"
            )
        missing = [field for field in MODEL_FIELDS[kind] if field not in e]
        if missing:
            raise ValueError(f"{path}: estimators.{target}: a {kind} model needs {missing}")
        if kind == "ridge":
            model = ridge_of(e)
        elif kind == "trees":
            model = _trees_of(e["trees"], len(e["features"]), path, target)
        else:
            trees = _trees_of(e["trees"], len(e["features"]), path, target)
            model = RidgeAndTrees(ridge=ridge_of(e), trees=trees)
        ests[target] = Estimator(
            target=target,
            plane=e["plane"],
            names=tuple(e["features"]),
            model=model,
            sd_by_view=tuple(float(x) for x in e["sd_by_view"]),
            needs_contour=bool(e.get("needs_contour", False)),
            like=str(e.get("like", "")),
            low=np.array(e["low"], dtype=float) if "low" in e else None,
            high=np.array(e["high"], dtype=float) if "high" in e else None,
        )
    direct = {
        name: (d["plane"], tuple(float(x) for x in d["sd_by_view"]))
        for name, d in data.get("direct", {}).items()
    }
    return Model(version=str(data["version"]), estimators=ests, direct_sd=direct)


def _trees_of(t: dict, features: int, path: Path, target: str) -> Trees:
    try:
        nodes = nodes_of(t, features)
    except ValueError as exc:
        raise ValueError(f"{path}: estimators.{target}.trees: {exc}") from exc
    return Trees(base=float(t["base"]), rate=float(t["rate"]), nodes=nodes)


def ridge_of(e: dict) -> Ridge:
    """The ridge line of an estimator's entry (RIDGE_FIELDS)."""
    return Ridge(
        mean=np.array(e["mean"], dtype=float),
        scale=np.array(e["scale"], dtype=float),
        coef=np.array(e["coef"], dtype=float),
        intercept=float(e["intercept"]),
    )


def back_descriptors(back: BackShape | None) -> dict | None:
    if back is None:
        return None
    return {
        "lumbar": back.lumbar_angle,
        "thoracic": back.thoracic_angle,
        "slopes": dict(back.slopes),
        "profile": dict(back.profile),
    }


def apply(
    measurements: dict[str, Measurement],
    angles: dict[str, float],
    view: View,
    back: BackShape | None,
    lm: Landmarks,
    model: Model | None = None,
) -> tuple[dict[str, Measurement], dict[str, float]]:
    """Replace the readings the model fits (only those the view rules let through, so
    what is measured from which view does not change) and give every reading's sd."""
    model = model if model is not None else load()
    if model is None:
        return measurements, {}
    f = features(angles, view.yaw_deg, view.pitch_deg, back_descriptors(back), lm.world, lm.pixel)
    off = off_side(view.yaw_deg)
    out = dict(measurements)
    sds: dict[str, float] = {}
    tag = f"fitted v{model.version}"
    for name, est in model.estimators.items():
        m = out.get(name)
        if m is None and est.like and est.like in measurements:
            m = replace(measurements[est.like], name=name)
        if m is None or (est.needs_contour and not f["contour"]) or not est.covers(f):
            continue  # the reading stays as the geometry gives it
        value = est.predict(f)
        if not math.isfinite(value):
            continue
        if est.plane == "sagittal" and not f["contour"]:
            method = f"{tag} from landmarks (no back contour)"
        else:
            method = f"{m.method}; {tag}"
        out[name] = replace(m, value=round(value, 1), method=method)
        sds[name] = est.sd(view_error(est.plane, off))
    for name, (plane, bins) in model.direct_sd.items():
        if name in out and name not in sds:
            sds[name] = sd_in_bin(bins, view_error(plane, off))
    return out, sds


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-12 else v


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    c = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))
