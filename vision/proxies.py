"""The standing back's curves read from its silhouette by a small learnt network.

Lumbar lordosis, thoracic kyphosis and pelvic tilt of a person standing in profile are
subtle shapes of the back's outline. The outline traced at levels the landmarks place
(vision/back.py) blurs them, as the landmarks err 4-5 cm; a small convolutional network
reads the whole silhouette around the back instead (vision/silhouette.py's crop), with
the view, and finds the levels itself. Fitted on rendered people with exact truth by
bench/synth/fit_proxies.py; the network ships as vision/proxies.onnx, run by OpenCV's
dnn module, its description in vision/proxies.json (validated on load), both in
vision/MODEL_CARD.md. Where the photo lies outside what it learnt from (not upright, a
view more than 60 deg off the side, a scalar outside its training range), the readings
stay as vision/estimators.py gives them.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import cv2
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


@dataclass
class ProxyNet:
    version: str
    targets: tuple[Target, ...]
    scalars: tuple[Scalar, ...]
    max_off: float  # degrees off the side the network learnt from
    net: cv2.dnn.Net
    lock: threading.Lock  # one forward pass at a time: a Net holds its blobs

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
        z = np.array([[values[s.name] / s.divisor for s in self.scalars]], dtype=np.float32)
        x = np.ascontiguousarray(crop, dtype=np.float32)[None, None]
        with self.lock:
            self.net.setInput(x, "silhouette")
            self.net.setInput(z, "scalars")
            out = np.array(self.net.forward(), dtype=np.float64).reshape(-1)
        return {
            t.name: float(np.clip(t.mean + t.sd * out[i], t.low, t.high))
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


@lru_cache(maxsize=1)
def load(path: Path = PARAMS) -> ProxyNet | None:
    """The shipped network, or None when its description is absent."""
    if not path.exists():
        return None
    version, targets, scalars, max_off, network = parse(
        json.loads(path.read_text(encoding="utf-8")), path
    )
    onnx = path.with_name(network)
    try:
        net = cv2.dnn.readNetFromONNX(str(onnx))
    except cv2.error as exc:
        raise ValueError(f"{onnx}: not a network OpenCV can read ({exc.msg.strip()})") from exc
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    proxy = ProxyNet(version, targets, scalars, max_off, net, threading.Lock())
    # one pass now: a network with the wrong outputs fails here, not on a patient's photo
    probe = proxy.predict(
        np.zeros((CROP_H, CROP_W), np.float32), dict.fromkeys((s.name for s in scalars), 0.0)
    )
    if len(probe) != len(targets) or not all(math.isfinite(v) for v in probe.values()):
        raise ValueError(f"{onnx}: gives no finite reading for each of {len(targets)} targets")
    return proxy


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
