"""How well standing back views read a sideways spine deviation and a trunk lean.

    .venv/bin/python bench/spine_deviation_accuracy.py [--set eval] [--cache DIR]

An optional instrument: reads the rendered accuracy sets of
bench/synth/render_accuracy_sets.py (cached outside the repo in $BACKCARE_SYNTH_CACHE or
/work/synth-work/accuracy). For the back views (camera >= 60 deg off the side, behind the
person) of standing and side-bend renders it runs the product's analysis and compares
with the renderer's joints:

- ``spine_deviation`` (vision.back.back_midline: the silhouette midline's largest
  sideways deviation from its own chord, % of trunk length) against the same quantity
  on the rendered spine joints L3, T12L1, T7 about the chord L5S1-C7T1;
- ``lateral_bend`` (the trunk line's lean, deg) against the renderer's exact angle.

It prints, per kind, how many photos the reading was given on, its mean absolute error,
RMS error and bias against the sd the product claims (the uncertainty), and how many
straight spines read beyond the 3% of assessment/thresholds.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backcare.vision.analysis import analyse_image  # noqa: E402
from backcare.vision.errors import PhotoRejected  # noqa: E402
from backcare.vision.loading import focal_35mm, load_image  # noqa: E402
from backcare.vision.pose import PoseEstimator  # noqa: E402

CACHE = Path(os.environ.get("BACKCARE_SYNTH_CACHE", "/work/synth-work/accuracy"))
KINDS = ("standing_back", "side_bend")
THRESHOLD = 3.0  # % of trunk length, assessment/thresholds.yaml standing.spine_deviation


def true_deviation(joints: dict[str, list[float]]) -> float:
    """Largest sideways deviation of the rendered spine from its chord, % of its length
    (+ towards the person's right: the picture's right as seen from behind)."""
    j = {k: np.array(v, dtype=float) for k, v in joints.items()}
    up = np.array([0.0, 0.0, 1.0])
    left = j["l_hip"] - j["r_hip"]
    left = left - (left @ up) * up
    left /= np.linalg.norm(left)
    bottom, top = j["L5S1"], j["C7T1"]
    chord = top - bottom
    length = float(np.linalg.norm(chord))
    devs = []
    for name in ("L3", "T12L1", "T7"):
        t = float((j[name] - bottom) @ chord) / length**2
        devs.append(-float((j[name] - bottom - t * chord) @ left) / length * 100)
    return max(devs, key=abs)


def back_view(meta: dict) -> bool:
    az = meta["az"] % 360
    return 180 < az < 360 and min(az % 180, 180 - az % 180) >= 60


def run(folder: Path) -> list[dict]:
    metas = [json.loads(line) for line in (folder / "meta.jsonl").read_text().splitlines() if line]
    est = PoseEstimator()
    rows = []
    for meta in metas:
        if meta["kind"] not in KINDS or not back_view(meta):
            continue
        data = (folder / "img" / f"{meta['id']}.jpg").read_bytes()
        row = {
            "kind": meta["kind"],
            "deviation": true_deviation(meta["joints3d"]),
            "lean": float(meta["gt"]["lateral_bend"]),
        }
        try:
            a = analyse_image(load_image(data), est, annotate=False, focal_35mm=focal_35mm(data))
        except PhotoRejected:
            rows.append(row)
            continue
        ms = a.analysis.measurements
        for name in ("spine_deviation", "lateral_bend"):
            if name in ms:
                row[name] = (ms[name].value, ms[name].uncertainty)
        rows.append(row)
    est.close()
    return rows


def report(rows: list[dict]) -> None:
    print(
        f"{'kind':14} {'measurement':16} {'photos':>6} {'given':>5} {'MAE':>5} {'RMSE':>5} "
        f"{'bias':>6} {'sd-claim':>8} {'>3% on straight':>15}"
    )
    for kind in KINDS:
        rs = [r for r in rows if r["kind"] == kind]
        for name, truth in (("spine_deviation", "deviation"), ("lateral_bend", "lean")):
            got = [(r[name][0], r[truth], r[name][1]) for r in rs if name in r]
            if not got:
                print(f"{kind:14} {name:16} {len(rs):6d} {0:5d}")
                continue
            read, true, claim = np.array(got).T
            err = read - true
            beyond = (
                f"{int((np.abs(read) > THRESHOLD).sum())}/{len(read)}"
                if name == "spine_deviation" and kind == "standing_back"
                else ""
            )
            print(
                f"{kind:14} {name:16} {len(rs):6d} {len(got):5d} {np.abs(err).mean():5.2f} "
                f"{np.sqrt((err**2).mean()):5.2f} {err.mean():+6.2f} {claim.mean():8.2f} "
                f"{beyond:>15}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="eval", help="accuracy set: eval (held apart) or train")
    ap.add_argument("--cache", type=Path, default=CACHE)
    args = ap.parse_args()
    folder = args.cache / args.set
    if not (folder / "meta.jsonl").exists():
        sys.exit(f"no rendered set at {folder}: see bench/synth/render_accuracy_sets.py")
    report(run(folder))


if __name__ == "__main__":
    main()
