"""Fit the network that reads the standing proxies from the silhouette (vision/proxies.py).

    # analyse the standing photos (the product's own analysis keeps each silhouette crop)
    for s in stands stands{2..10}; do .venv/bin/python bench/vision_accuracy.py --set $s; done
    # fit (about 58 minutes on 2 cores for 11170 photos: 5 folds x 3 networks and the final 3)
    /work/synth-work/render/bin/python bench/synth/fit_proxies.py [--cache DIR] [--out DIR]

Reads DIR/results-<set>.jsonl of the standing sets (bench/synth/render_accuracy_sets.py's
STAND_SETS): every photo the product accepted with its silhouette crop
(vision/silhouette.py), the view it estimated, its raw angles and the renderer's exact
truth. Trains a small convolutional network (the crop, with a few scalars joined before
its last layers) to the three proxies, as an ensemble of MEMBERS networks of different
seeds whose mean is the reading; cross-validates it 5-fold grouped by body (no body in
both halves) for the out-of-fold residual sd per view bin (the readings' uncertainty)
and prints the folds' figures; then fits on all and writes vision/proxies.npz (the
weights, batch norm folded into the convolutions, as vision/proxies.py runs them in
numpy) and vision/proxies.json. Seeded (torch, numpy, deterministic kernels, a fixed number of
threads); that a refit reproduces the file byte for byte has not been checked. The
evaluation sets (render_accuracy_sets.EVAL_SETS) are never read here.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import multiprocessing
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from backcare.vision.estimators import VIEW_BINS  # noqa: E402
from backcare.vision.view import off_side  # noqa: E402
from bench.synth.render_accuracy_sets import DEFAULT_OUT, STAND_SETS  # noqa: E402

VERSION = "4"
# vision/silhouette.py's CROP_H, CROP_W (vision/proxies.py checks them): that module needs
# OpenCV, which the render venv this runs in has not
CROP = (96, 48)
# the measurement -> the key of the results file's truth (bench/vision_accuracy.py)
TARGETS = ("lumbar_lordosis", "thoracic_kyphosis", "pelvic_tilt")
# joined to the crop: how far the view is from the side (/90) and the camera's pitch, which
# change how a silhouette shows the back; the trunk's and thighs' raw angles, which place
# it (and keep the network to upright stances: outside their training range the photo is
# not read). Each divided to about unit size.
SCALARS = (
    ("off", 1.0),
    ("pitch", 20.0),
    ("trunk_inclination", 10.0),
    ("hip_extension", 10.0),
)
MAX_OFF = 60.0  # the renders' views reach 60 deg off the side
MEMBERS = 3
EPOCHS = 25
BATCH = 64
FOLDS = 5


class Reader(nn.Module):
    """Four 3x3 convolutions with pooling (96x48 -> 6x3), the scalars joined, two layers."""

    def __init__(self, scalars: int) -> None:
        super().__init__()

        def block(i: int, o: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)
            )

        self.conv = nn.Sequential(block(1, 16), block(16, 32), block(32, 48), block(48, 64))
        self.head = nn.Sequential(
            nn.Linear(64 * 6 * 3 + scalars, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3)
        )

    def forward(self, silhouette: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.conv(silhouette).flatten(1), scalars], 1))


class Ensemble(nn.Module):
    """The members' mean: what ships, as one network."""

    def __init__(self, members: list[Reader]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, silhouette: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(silhouette, scalars) for m in self.members]).mean(0)


def export(ensemble: Ensemble, path: Path) -> None:
    """The members' weights as vision/proxies.py reads them (``m<i>.conv<j>.w``, ...),
    each batch norm folded into the convolution before it (they are in eval mode)."""
    arrays: dict[str, Any] = {}  # Any: numpy.savez's stub reads typed arrays as its flag
    with torch.no_grad():
        for i, member in enumerate(ensemble.members):
            for j, block in enumerate(member.conv):
                conv, norm = block[0], block[1]
                scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                w = conv.weight * scale[:, None, None, None]
                b = (conv.bias - norm.running_mean) * scale + norm.bias
                arrays[f"m{i}.conv{j}.w"], arrays[f"m{i}.conv{j}.b"] = w.numpy(), b.numpy()
            for name, layer in (("hidden", member.head[0]), ("output", member.head[3])):
                arrays[f"m{i}.{name}.w"] = layer.weight.numpy()
                arrays[f"m{i}.{name}.b"] = layer.bias.numpy()
    np.savez(path, **{k: v.astype(np.float32) for k, v in arrays.items()})


def decode_crop(text: str) -> np.ndarray:
    pixels = np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=np.uint8)
    return pixels.reshape(CROP).astype(np.float32) / 255.0


def scalar_values(rec: dict) -> dict[str, float]:
    """As vision.proxies.ProxyNet.inputs gives them at run time."""
    view = rec["view_est"]
    return {"off": off_side(view["yaw"]) / 90.0, "pitch": view["pitch"], **rec["angles"]}


def load(cache: Path) -> list[dict]:
    out = []
    for name in STAND_SETS:
        path = cache / f"results-{name}.jsonl"
        if not path.exists():
            raise SystemExit(f"{path}: missing; run bench/vision_accuracy.py --set {name}")
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec["accepted"] and rec.get("silhouette") and rec["kind"] == "standing_side":
                out.append(rec)
    return out


def shifted(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each crop moved a few pixels (the landmarks that place it err so much)."""
    out = np.empty_like(x)
    for i in range(len(x)):
        dy, dx = int(rng.integers(-4, 5)), int(rng.integers(-3, 4))
        out[i] = np.roll(np.roll(x[i], dy, 0), dx, 1)
    return out


def train(x: np.ndarray, z: np.ndarray, y: np.ndarray, seed: int) -> Reader:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Reader(z.shape[1])
    opt = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=1e-3)
    steps = EPOCHS * math.ceil(len(x) / BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=steps)
    for _ in range(EPOCHS):
        model.train()
        order = rng.permutation(len(x))
        for b in range(0, len(x), BATCH):
            i = order[b : b + BATCH]
            crops = torch.from_numpy(shifted(x[i], rng))[:, None]
            loss = nn.functional.smooth_l1_loss(
                model(crops, torch.from_numpy(z[i])), torch.from_numpy(y[i])
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


# the training arrays, set once in each worker process (not sent with every task)
_DATA: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def _start_worker(x: np.ndarray, z: np.ndarray, y: np.ndarray, threads: int) -> None:
    global _DATA
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    _DATA = (x, z, y)


def _train_rows(rows: np.ndarray, seed: int) -> dict[str, torch.Tensor]:
    assert _DATA is not None
    x, z, y = _DATA
    return train(x[rows], z[rows], y[rows], seed).state_dict()


def train_all(
    x: np.ndarray, z: np.ndarray, y: np.ndarray, tasks: list[tuple[np.ndarray, int]], jobs: int
) -> list[Reader]:
    """A network per (rows, seed), ``jobs`` at a time in processes of one thread each: the
    small network's layers use two threads poorly (one process of 2 threads trained ~940
    samples/s, two of 1 thread ~1310 together on this machine's 2 cores)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, context, _start_worker, (x, z, y, 1)) as pool:
        states = list(pool.map(_train_rows, *zip(*tasks, strict=True)))
    models = []
    for state in states:
        model = Reader(z.shape[1])
        model.load_state_dict(state)
        models.append(model.eval())
    return models


def predict(model: nn.Module, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)[:, None], torch.from_numpy(z)).numpy()


def sd_by_view(resid: np.ndarray, off: np.ndarray) -> list[float]:
    edges = (0.0, *VIEW_BINS)
    out: list[float] = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        sel = (off >= lo) & (off < hi)
        # a bin with few photos takes the next-narrower one's spread (or all photos'), and
        # no bin is narrower than the one before it
        if sel.sum() >= 20:
            sd = float(np.sqrt(np.mean(resid[sel] ** 2)))
        else:
            sd = out[-1] if out else float(np.sqrt(np.mean(resid**2)))
        out.append(round(max(sd, out[-1] if out else 0.0), 2))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--out", type=Path, default=REPO / "vision")
    ap.add_argument("--jobs", type=int, default=2, help="networks trained at once")
    a = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    recs = load(a.cache)
    x = np.stack([decode_crop(r["silhouette"]) for r in recs])
    raw = [scalar_values(r) for r in recs]
    z = np.array([[v[n] / d for n, d in SCALARS] for v in raw], dtype=np.float32)
    truth = np.array([[r["truth"][t] for t in TARGETS] for r in recs], dtype=np.float64)
    mean, sd = truth.mean(0), truth.std(0)
    y = ((truth - mean) / sd).astype(np.float32)
    off = np.array([v["off"] * 90.0 for v in raw])
    bodies = sorted({json.dumps(r["body"], sort_keys=True) for r in recs})
    body_fold = {b: i % FOLDS for i, b in enumerate(np.random.default_rng(0).permutation(bodies))}
    folds = np.array([body_fold[json.dumps(r["body"], sort_keys=True)] for r in recs])
    print(f"{len(recs)} standing photos, {len(bodies)} bodies, {MEMBERS} members", flush=True)
    # every fold's members and the final ones (all rows) trained in one pool
    everyone = np.arange(len(recs))
    tasks = [(everyone[folds != k], seed) for k in range(FOLDS) for seed in range(MEMBERS)]
    tasks += [(everyone, seed) for seed in range(MEMBERS)]
    models = train_all(x, z, y, tasks, a.jobs)
    oof = np.zeros_like(y)
    for k in range(FOLDS):
        te = folds == k
        oof[te] = predict(Ensemble(models[k * MEMBERS : (k + 1) * MEMBERS]), x[te], z[te])
    reading = oof * sd + mean
    targets = []
    for j, name in enumerate(TARGETS):
        resid = reading[:, j] - truth[:, j]
        near = off <= 45
        r = float(np.corrcoef(reading[near, j], truth[near, j])[0, 1])
        mae = float(np.abs(resid[near]).mean())
        print(f"{name}: out-of-fold, up to 45 deg off the side: MAE {mae:.2f}, r {r:.3f}")
        targets.append(
            {
                "name": name,
                "mean": round(float(mean[j]), 4),
                "sd": round(float(sd[j]), 4),
                "low": round(float(truth[:, j].min()), 2),
                "high": round(float(truth[:, j].max()), 2),
                "sd_by_view": sd_by_view(resid, off),
                "cv": {"mae": round(mae, 2), "r": round(r, 3)},
            }
        )
    final = Ensemble(models[FOLDS * MEMBERS :]).eval()
    weights = a.out / "proxies.npz"
    export(final, weights)
    description = {
        "version": VERSION,
        "network": weights.name,
        "input": list(CROP),
        "max_off": MAX_OFF,
        "scalars": [
            {
                "name": n,
                "divisor": d,
                "low": round(float(min(v[n] for v in raw)), 3),
                "high": round(float(max(v[n] for v in raw)), 3),
            }
            for n, d in SCALARS
        ],
        "targets": targets,
        "photos": len(recs),
        "sets": list(STAND_SETS),
    }
    (a.out / "proxies.json").write_text(json.dumps(description, indent=1) + "\n")
    print(f"wrote {weights} ({weights.stat().st_size} bytes) and proxies.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
