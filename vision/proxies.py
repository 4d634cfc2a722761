"""The standing back's curves read from its silhouette by a small learnt network.

Lumbar lordosis, thoracic kyphosis and pelvic tilt of a person standing in profile are
subtle shapes of the back's outline. The outline traced at levels the landmarks place
(vision/back.py) blurs them, as the landmarks err 4-5 cm; a small convolutional network
reads the whole silhouette around the back instead (vision/silhouette.py's crop), with
the view, and finds the levels itself. Fitted on rendered people with exact truth by
bench/synth/fit_proxies.py. Its weights ship as vision/proxies.npz and run here in
numpy (a few small convolutions; OpenCV's dnn module, which ran them before, cost a
vision worker 3-6 MB of memory), its description in vision/proxies.json; both are
validated on load and described in vision/MODEL_CARD.md. Where the photo lies outside
what it learnt from (not upright, a view more than 60 deg off the side, a scalar outside
its training range), the readings stay as vision/estimators.py gives them.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from backcare.vision.estimators import VIEW_BINS, sd_in_bin, within_range
from backcare.vision.measure import MIN_CONFIDENCE
from backcare.vision.silhouette import CROP_H, CROP_W
from backcare.vision.types import Measurement, View
from backcare.vision.view import off_side

PARAMS = Path(__file__).with_name("proxies.json")
TARGETS = ("lumbar_lordosis", "thoracic_kyphosis", "pelvic_tilt")
# a reading the network makes where the outline was not traced borrows the confidence of
# the trunk's tilt on the same photo (same plane, same view), this much lower
CONFIDENCE_SHARE = 0.8
# each member: 3x3 convolutions (padding 1) each with ReLU and 2x2 max pooling, then the
# scalars joined to the flattened features (channel, row, column order), a hidden layer
# with ReLU and the output layer; the members' mean is the reading
CONVOLUTIONS = 4


@dataclass(frozen=True)
class Target:
    name: str
    mean: float  # the network's output i is mean + sd * output
    sd: float
    low: float  # the training truth's range: a reading is held within it
    high: float
    sd_by_view: tuple[float, ...]  # out-of-fold residual sd per VIEW_BINS bin


@dataclass(frozen=True)
class Scalar:
    name: str  # "off" (degrees off the side / 90), "pitch" or a raw angle's name
    divisor: float
    low: float  # the training photos' range (of the value before dividing)
    high: float


@dataclass(frozen=True)
class Member:
    """One network of the ensemble, batch norm folded into its convolutions. A
    convolution's weights are held as one matrix, (3 x 3 x in, out) in the order of
    ``_columns``, so that each is one matrix product."""

    convs: tuple[tuple[np.ndarray, np.ndarray], ...]  # (9 * in, out) weights, (out,) bias
    hidden: tuple[np.ndarray, np.ndarray]  # (units, features + scalars), (units,)
    output: tuple[np.ndarray, np.ndarray]  # (targets, units), (targets,)

    def forward(self, first: np.ndarray, shape: tuple[int, int], z: np.ndarray) -> np.ndarray:
        """The outputs for a crop of ``shape`` whose ``_columns`` are ``first`` (the
        members share them), with the scalars ``z``."""
        x = _relu_pool(first @ self.convs[0][0] + self.convs[0][1], shape)
        for w, b in self.convs[1:]:
            x = _relu_pool(_columns(x) @ w + b, x.shape[:2])
        features = np.concatenate([x.transpose(2, 0, 1).reshape(-1), z])
        h = np.maximum(self.hidden[0] @ features + self.hidden[1], 0.0)
        return self.output[0] @ h + self.output[1]


def _columns(x: np.ndarray) -> np.ndarray:
    """Rows x columns x channels -> (rows * columns, 9 * channels): each pixel's 3x3
    neighbourhood (zero beyond the edge), neighbour-major, for a convolution as one
    matrix product."""
    rows, cols, channels = x.shape
    padded = np.zeros((rows + 2, cols + 2, channels), np.float32)
    padded[1:-1, 1:-1] = x
    shifted = [padded[dy : dy + rows, dx : dx + cols] for dy in range(3) for dx in range(3)]
    return np.concatenate(shifted, axis=2).reshape(rows * cols, 9 * channels)


def _relu_pool(y: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A convolution's output (rows * columns, out) -> ReLU and 2x2 max pooling, rows x
    columns x channels (the sizes are even, as the crop's are through every step)."""
    rows, cols = shape
    pairs = y.reshape(rows // 2, 2, cols // 2, 2, y.shape[1])
    rowwise = np.maximum(pairs[:, 0], pairs[:, 1])  # elementwise: 6x faster than .max(axis)
    pooled = np.maximum(rowwise[:, :, 0], rowwise[:, :, 1])
    return np.maximum(pooled, 0.0)  # ReLU after the pooling: the same, on a quarter


@dataclass(frozen=True)
class ProxyNet:
    version: str
    targets: tuple[Target, ...]
    scalars: tuple[Scalar, ...]
    max_off: float  # degrees off the side the network learnt from
    members: tuple[Member, ...]

    def inputs(self, view: View, angles: dict[str, float]) -> dict[str, float]:
        return {"off": off_side(view.yaw_deg) / 90.0, "pitch": view.pitch_deg, **angles}

    def covers(self, values: dict[str, float], off: float, margin: float = 0.05) -> bool:
        if off > self.max_off:
            return False
        x = np.array([values.get(s.name, math.nan) for s in self.scalars], dtype=float)
        low = np.array([s.low for s in self.scalars])
        high = np.array([s.high for s in self.scalars])
        return within_range(x, low, high, margin)

    def predict(self, crop: np.ndarray, values: dict[str, float]) -> dict[str, float]:
        z = np.array([values[s.name] / s.divisor for s in self.scalars], dtype=np.float32)
        x = np.asarray(crop, dtype=np.float32)
        first, shape = _columns(x[:, :, None]), (x.shape[0], x.shape[1])
        out = np.mean([m.forward(first, shape, z) for m in self.members], axis=0, dtype=float)
        return {
            t.name: float(np.clip(t.mean + t.sd * float(out[i]), t.low, t.high))
            for i, t in enumerate(self.targets)
        }

    def sd(self, name: str, off: float) -> float:
        return sd_in_bin(next(t.sd_by_view for t in self.targets if t.name == name), off)


def _field(data: dict, key: str, path: Path, where: str):
    if key not in data:
        raise ValueError(f"{path}: {where}: missing field {key!r}")
    return data[key]


def _number(data: dict, key: str, path: Path, where: str) -> float:
    value = _field(data, key, path, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{path}: {where}.{key}: {value!r} is not a finite number")
    return float(value)


def parse(data: dict, path: Path) -> tuple[str, tuple[Target, ...], tuple[Scalar, ...], float, str]:
    """The description's fields, checked: errors name the file and the field."""
    targets = []
    for i, t in enumerate(_field(data, "targets", path, "proxies")):
        where = f"targets[{i}]"
        name = _field(t, "name", path, where)
        if name not in TARGETS:
            raise ValueError(f"{path}: {where}.name: {name!r} is none of {TARGETS}")
        bins = _field(t, "sd_by_view", path, where)
        if len(bins) != len(VIEW_BINS) or not all(
            isinstance(b, int | float) and math.isfinite(b) and b > 0 for b in bins
        ):
            raise ValueError(
                f"{path}: {where}.sd_by_view: {len(VIEW_BINS)} positive numbers needed"
            )
        target = Target(
            name=name,
            mean=_number(t, "mean", path, where),
            sd=_number(t, "sd", path, where),
            low=_number(t, "low", path, where),
            high=_number(t, "high", path, where),
            sd_by_view=tuple(float(b) for b in bins),
        )
        if target.sd <= 0 or target.low >= target.high:
            raise ValueError(f"{path}: {where}: sd must be > 0 and low < high")
        targets.append(target)
    scalars = []
    for i, s in enumerate(_field(data, "scalars", path, "proxies")):
        where = f"scalars[{i}]"
        scalar = Scalar(
            name=str(_field(s, "name", path, where)),
            divisor=_number(s, "divisor", path, where),
            low=_number(s, "low", path, where),
            high=_number(s, "high", path, where),
        )
        if scalar.divisor == 0 or scalar.low > scalar.high:
            raise ValueError(f"{path}: {where}: divisor must not be 0, nor low > high")
        scalars.append(scalar)
    shape = _field(data, "input", path, "proxies")
    if shape != [CROP_H, CROP_W]:
        raise ValueError(f"{path}: input: {shape} is not the crop's {[CROP_H, CROP_W]}")
    max_off = _number(data, "max_off", path, "proxies")
    network = str(_field(data, "network", path, "proxies"))
    return (
        str(_field(data, "version", path, "proxies")),
        tuple(targets),
        tuple(scalars),
        max_off,
        network,
    )


def read_members(path: Path, scalars: int, targets: int) -> tuple[Member, ...]:
    """The ensemble's weights (``m<i>.conv<j>.w``/``.b``, ``m<i>.hidden.w``/``.b``,
    ``m<i>.output.w``/``.b``), their shapes checked against each other, the crop's size
    and the description: errors name the file and the array."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("one array, not named arrays")
        with loaded as npz:
            arrays = {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a file of network weights ({exc})") from exc

    def array(name: str, shape: tuple[int, ...]) -> np.ndarray:
        leading(name, len(shape))  # there, with as many dimensions
        a = arrays[name]
        if a.shape != shape or not np.isfinite(a).all():
            raise ValueError(f"{path}: {name}: shape {a.shape}, finite {shape} needed")
        return a

    def leading(name: str, ndim: int) -> int:
        """The array's first size (its outputs), once it is there with ndim dimensions."""
        if name not in arrays:
            raise ValueError(f"{path}: {name}: missing")
        if arrays[name].ndim != ndim or arrays[name].shape[0] == 0:
            raise ValueError(
                f"{path}: {name}: shape {arrays[name].shape}, {ndim} dimensions needed"
            )
        return arrays[name].shape[0]

    count = len({k.split(".")[0] for k in arrays})
    if count == 0:
        raise ValueError(f"{path}: holds no network")
    members = []
    for i in range(count):
        convs, channels = [], 1
        for j in range(CONVOLUTIONS):
            out = leading(f"m{i}.conv{j}.w", 4)
            w = array(f"m{i}.conv{j}.w", (out, channels, 3, 3))
            # (out, in, 3, 3) -> (3, 3, in, out) -> (9 * in, out), as _columns lays them
            matrix = np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(9 * channels, out))
            convs.append((matrix, array(f"m{i}.conv{j}.b", (out,))))
            channels = out
        features = channels * (CROP_H >> CONVOLUTIONS) * (CROP_W >> CONVOLUTIONS) + scalars
        units = leading(f"m{i}.hidden.w", 2)
        members.append(
            Member(
                tuple(convs),
                (array(f"m{i}.hidden.w", (units, features)), array(f"m{i}.hidden.b", (units,))),
                (array(f"m{i}.output.w", (targets, units)), array(f"m{i}.output.b", (targets,))),
            )
        )
    return tuple(members)


@lru_cache(maxsize=1)
def load(path: Path = PARAMS) -> ProxyNet | None:
    """The shipped network, or None when its description is absent."""
    if not path.exists():
        return None
    version, targets, scalars, max_off, network = parse(
        json.loads(path.read_text(encoding="utf-8")), path
    )
    members = read_members(path.with_name(network), len(scalars), len(targets))
    return ProxyNet(version, targets, scalars, max_off, members)


def apply(
    measurements: dict[str, Measurement],
    crop: np.ndarray | None,
    view: View,
    angles: dict[str, float],
    upright: bool,
    model: ProxyNet | None = None,
) -> tuple[dict[str, Measurement], dict[str, float]]:
    """The proxies read from the silhouette where the network covers the photo (upright,
    seen from the side), with the sd of each; the measurements unchanged otherwise."""
    model = model if model is not None else load()
    trunk = measurements.get("trunk_inclination")
    if model is None or crop is None or not upright or trunk is None:
        return measurements, {}
    values = model.inputs(view, angles)
    off = off_side(view.yaw_deg)
    if not model.covers(values, off):
        return measurements, {}
    readings = model.predict(crop, values)
    out = dict(measurements)
    sds = {}
    tag = f"silhouette network v{model.version}"
    for name, value in readings.items():
        old = out.get(name)
        if old is not None:
            out[name] = replace(old, value=round(value, 1), method=f"{old.method}; {tag}")
        else:
            confidence = round(CONFIDENCE_SHARE * trunk.confidence, 2)
            if confidence < MIN_CONFIDENCE:
                continue
            out[name] = Measurement(name, round(value, 1), "deg", confidence, tag)
        sds[name] = model.sd(name, off)
    return out, sds
