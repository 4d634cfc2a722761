"""Sim-to-real check of vision on the real photos of ../shared/data (no angle truth there).

    .venv/bin/python bench/vision_real_gap.py

An optional instrument: needs ../shared/data beside the checkout (read-only; see its
README). For each movement photo with a labelled movement class it runs the product's
analysis (with and without the estimators fitted to renders) and prints: person found,
refused by a gate (why), movement recognised, accepted for the step of its class
(vision.movement.check_step), readings set aside as outside the body's envelope, and how
far the fitted estimators move each reading from the geometric one (real photos have no
angle truth: a large, systematic shift where renders needed none is the sim-to-real gap).
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
sys.path.insert(0, str(REPO))

from backcare.vision.analysis import analyse_image  # noqa: E402
from backcare.vision.errors import PhotoRejected  # noqa: E402
from backcare.vision.loading import focal_35mm, load_image  # noqa: E402
from backcare.vision.movement import check_step  # noqa: E402
from backcare.vision.pose import PoseEstimator  # noqa: E402
from backcare.vision.quality import Limits  # noqa: E402

EXPECTS = {"standing_upright": "standing"}
# photos a patient would never send for the step of their class (manifest notes; as in
# tests/vision/test_movement.py): the start of an exercise, twists lying or on a ball,
# combined exercises led by another movement, the flexed phase of a back extension
NEVER_SENT = (
    "start",
    "floor",
    "stability ball",
    "windmill",
    "anti-rotation",
    "flexed",
    "flexion + rotation",
)
# the shared photos are studio exercise pictures, often cut at the feet: judge the movement
# and the readings with the framing gates off, as bench/vision.py does
RELAXED = Limits(part_presence=0.0, edge_margin=-10.0, min_person_frac=0.0, min_person_px=0.0)


def _print_standing(rows: list[dict], names: tuple[str, ...]) -> None:
    """Per measurement: the median and range of what people standing upright read."""
    for name in names:
        vals = [
            r["fitted"][name]
            for r in rows
            if r["class"] == "standing_upright" and name in r.get("fitted", {})
        ]
        if vals:
            print(
                f"  {name:18} median {np.median(vals):+6.1f}  range {min(vals):+.0f}..{max(vals):+.0f}  n={len(vals)}"
            )


def main() -> int:
    if not (DATA / "manifest.json").exists():
        print(f"no {DATA}: check out ../shared beside the repo", file=sys.stderr)
        return 2
    entries = [
        e for e in json.loads((DATA / "manifest.json").read_text()) if e.get("movement_class")
    ]
    est = PoseEstimator()
    rows = []
    for e in entries:
        data = (DATA / e["file"]).read_bytes()
        cls = e["movement_class"]
        note = str(e.get("note", "")).lower()
        row = {
            "file": e["file"],
            "class": cls,
            "view": e.get("view"),
            "sent": not any(n in note for n in NEVER_SENT),
        }
        try:
            rgb = load_image(data)
            out = {
                fitted: analyse_image(
                    rgb,
                    est,
                    annotate=False,
                    focal_35mm=focal_35mm(data),
                    limits=RELAXED,
                    fitted=fitted,
                ).analysis
                for fitted in (True, False)
            }
        except PhotoRejected as exc:
            row["refused"] = exc.reason.value
            rows.append(row)
            continue
        a = out[True]
        judged = check_step(a.movement, EXPECTS.get(cls, cls))
        row.update(
            seen=a.movement.movement.value,
            ok=judged.ok,
            suggested=judged.suggested,
            unusable=a.unusable,
            fitted={k: m.value for k, m in a.measurements.items()},
            geometric={k: m.value for k, m in out[False].measurements.items()},
            unusable_geometric=out[False].unusable,
        )
        rows.append(row)
    est.close()
    print(f"# real photos of ../shared/data: {len(rows)} movement photos")
    print(
        f"{'class':25} {'photos':>6} {'refused':>7} {'recognised':>10} {'accepted':>8} {'unusable':>8}"
    )
    for cls, sent in [(c, s) for c in sorted({r["class"] for r in rows}) for s in (False, True)]:
        rs = [r for r in rows if r["class"] == cls and (r["sent"] or not sent)]
        label = cls + (" (as sent)" if sent else "")
        seen = [r for r in rs if "seen" in r]
        rec = sum(r["seen"] == EXPECTS.get(cls, cls) for r in seen)
        acc = sum(r["ok"] for r in seen)
        bad = sum(bool(r["unusable"]) for r in seen)
        print(
            f"{label:25} {len(rs):6d} {len(rs) - len(seen):7d} {rec:6d}/{len(seen):<3d} {acc:4d}/{len(seen):<3d} {bad:8d}"
        )
    refusals = Counter(r["refused"] for r in rows if "refused" in r)
    print(f"refusals: {dict(refusals)}")
    print("\n## readings outside the envelope (set aside, never reported)")
    for r in rows:
        for name, why in (r.get("unusable") or {}).items():
            print(f"  {r['file']}: {name}: {why}")
    print("\n## fitted minus geometric reading on real photos (mean, mean abs; n)")
    shifts: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for name, value in (r.get("fitted") or {}).items():
            if name in r["geometric"]:
                shifts[name].append(value - r["geometric"][name])
    for name, d in sorted(shifts.items()):
        d_arr = np.array(d)
        if np.abs(d_arr).max() > 0:
            print(f"  {name:18} {d_arr.mean():+6.1f} {np.abs(d_arr).mean():6.1f}  n={len(d)}")
    print("\n## standing photos: what the fitted estimators read (a healthy model stands near 0)")
    _print_standing(
        rows,
        ("hip_flexion", "lumbar_flexion", "thoracic_flexion", "trunk_rotation", "lateral_bend"),
    )
    # on the renders' skin-angle scale (vision/proxies.json: the training truth's ranges)
    print("\n## standing photos: the back's curves, as reported")
    _print_standing(rows, ("lumbar_lordosis", "thoracic_kyphosis", "pelvic_tilt"))
    for name in ("trunk_rotation",):
        vals = [
            abs(r["fitted"][name])
            for r in rows
            if r["class"] == "rotation" and name in r.get("fitted", {})
        ]
        geo = [
            abs(r["geometric"][name])
            for r in rows
            if r["class"] == "rotation" and name in r.get("geometric", {})
        ]
        if vals:
            print(
                f"  rotation photos |{name}|: fitted median {np.median(vals):.0f}, geometric {np.median(geo):.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
