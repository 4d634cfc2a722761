"""Vision accuracy against exact truth, on rendered people the project never tuned on.

    .venv/bin/python bench/vision_accuracy.py [--set eval] [--cache DIR] [--limit N]

The photos come from bench/synth/render_accuracy_sets.py (rendered with
../shared/tools/synth, cached outside the repo in $BACKCARE_SYNTH_CACHE or
/work/synth-work/accuracy; rebuild with the command in that script's docstring).
Each photo goes through the product's own analysis for its capture step (what
``backcare measure`` and the bot run: vision.analysis.analyse_image on the decoded
file with its EXIF focal length, then backcare.application.pipeline.photo_result) and, on the
same MediaPipe output, through naive angles from BlazePose's raw 3D world landmarks.

Prints per measurement and bin of camera yaw off the view the bot asks for:
photos, acceptance (of those where BlazePose found the person with the whole body in
frame), mean absolute error, bias, correlation with the truth -- for the product and
for the raw landmarks; then the photos questioned as another movement although their
truth shows the asked one by >= 5 deg (issue 14 wants none), by name. Per-photo results
are kept in DIR/results-<set>.jsonl (the training script vision/fit_estimators.py reads
the training set's).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backcare.application.pipeline import (  # noqa: E402
    look_again,
    photo_result,
    wants_second_look,
)
from backcare.kernel.vocabulary import vocabulary  # noqa: E402
from backcare.vision.analysis import analyse_image  # noqa: E402
from backcare.vision.errors import PhotoRejected  # noqa: E402
from backcare.vision.loading import focal_35mm, load_image  # noqa: E402
from backcare.vision.pose import PoseEstimator, PoseOutput  # noqa: E402
from backcare.vision.silhouette import side_crop  # noqa: E402
from backcare.vision.types import INDEX, AnalysedPhoto  # noqa: E402
from backcare.vision.view import off_side  # noqa: E402
from bench.synth.render_accuracy_sets import SEEDS, SIZES  # noqa: E402

CACHE = Path(os.environ.get("BACKCARE_SYNTH_CACHE", "/work/synth-work/accuracy"))
YAW_BINS = ((0, 15), (15, 30), (30, 45), (45, 61))
# our measurement -> the renderer's exact angle (same definition and sign)
TRUTH = {
    "trunk_inclination": "trunk_inclination",
    "trunk_thigh_angle": "trunk_thigh_angle",
    "hip_flexion": "hip_flexion",
    "lumbar_flexion": "lumbar_flexion",
    "thoracic_flexion": "thoracic_flexion",
    "trunk_rotation": "trunk_rotation_horiz",
    "lateral_bend": "lateral_bend",
    "lumbar_lordosis": "skin_lumbar_angle",
    "thoracic_kyphosis": "skin_thoracic_angle",
    "pelvic_tilt": "pelvis_tilt",
}
# Knee flexion: the angle between thigh and shank of the rendered body's own joints. The
# renderer's knee_flex parameter turns the shank from anny's rest pose, whose knees already
# bend 8.4 +- 0.7 deg (measured on the eval set's rig joints): as truth it read every
# product and raw reading ~7 deg "high" on straight legs.
# The standing contour proxies read the back's surface: the truth is the renderer's skin
# angles (lumbar: its sign turned, so that a hollow back is +), and the pelvis's tilt from
# its neutral put on vision's sacral scale (neutral standing reads SACRUM_STANDING_DEG).
SIGN = {"lumbar_lordosis": -1.0}
OFFSET = {"pelvic_tilt": 20.0}
# which movements each measurement is judged on (the steps that report it)
JUDGED_ON = {
    "trunk_inclination": ("forward_bend", "extension", "standing_side"),
    "trunk_thigh_angle": ("forward_bend", "extension"),
    "hip_flexion": ("forward_bend",),
    "lumbar_flexion": ("forward_bend", "extension"),
    "thoracic_flexion": ("forward_bend",),
    "trunk_rotation": ("rotation",),
    "lateral_bend": ("side_bend",),
    "lumbar_lordosis": ("standing_side",),
    "thoracic_kyphosis": ("standing_side",),
    "pelvic_tilt": ("standing_side",),
    "knee_flexion": ("forward_bend", "standing_side"),
}


def step_of(meta: dict) -> str:
    kind, p = meta["kind"], meta["params"]
    if kind == "rotation":
        return "rotation_left" if p.get("axial_rot", 0) >= 0 else "rotation_right"
    if kind == "side_bend":
        return "side_bend_left" if p.get("side_bend", 0) >= 0 else "side_bend_right"
    if kind == "extension":
        return "backward_bend"
    return kind  # forward_bend, standing_side, standing_back


def ang(a: np.ndarray, b: np.ndarray) -> float:
    """The angle between two vectors, degrees."""
    c = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-9)
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def knee_angle(joints3d: dict) -> float:
    """Mean of both knees' flexion (deg, 0 = straight) from the rendered body's 3D joints."""
    angles = []
    for side in ("l", "r"):
        knee = np.asarray(joints3d[f"{side}_knee"], dtype=float)
        thigh = np.asarray(joints3d[f"{side}_hip"], dtype=float) - knee
        shank = np.asarray(joints3d[f"{side}_ankle"], dtype=float) - knee
        angles.append(180.0 - ang(thigh, shank))
    return float(np.mean(angles))


def truth_of(meta: dict) -> dict[str, float]:
    gt = meta["gt"]
    out = {}
    for name, key in TRUTH.items():
        if key in gt and gt[key] is not None:
            out[name] = SIGN.get(name, 1.0) * float(gt[key]) + OFFSET.get(name, 0.0)
        elif key in meta["params"]:
            out[name] = float(meta["params"][key])
    out["knee_flexion"] = knee_angle(meta["joints3d"])
    return out


class Recording:
    """The estimator, remembering its last output (so raw landmarks come from the same call)."""

    def __init__(self, inner: PoseEstimator) -> None:
        self.inner = inner
        self.last: PoseOutput | None = None
        self.seconds = 0.0

    def estimate(self, rgb):
        t = time.perf_counter()
        self.last = self.inner.estimate(rgb)
        self.seconds = time.perf_counter() - t
        return self.last


def raw_angles(world: np.ndarray) -> dict[str, float]:
    """Naive angles straight from BlazePose's world landmarks (y down, camera-oriented)."""

    def mid(n: str) -> np.ndarray:
        return (world[INDEX[f"left_{n}"]] + world[INDEX[f"right_{n}"]]) / 2

    up = np.array([0.0, -1.0, 0.0])
    trunk = mid("shoulder") - mid("hip")
    thigh = mid("hip") - mid("knee")

    across = world[INDEX["left_hip"]] - world[INDEX["right_hip"]]
    sh = world[INDEX["left_shoulder"]] - world[INDEX["right_shoulder"]]
    heading = math.degrees(math.atan2(sh[2], sh[0]) - math.atan2(across[2], across[0]))
    knees = []
    for s in ("left", "right"):
        a = world[INDEX[f"{s}_hip"]] - world[INDEX[f"{s}_knee"]]
        b = world[INDEX[f"{s}_ankle"]] - world[INDEX[f"{s}_knee"]]
        knees.append(180 - ang(a, b))
    lateral = math.degrees(
        math.asin(
            float(np.clip(trunk @ across / np.linalg.norm(trunk) / np.linalg.norm(across), -1, 1))
        )
    )
    return {
        "trunk_inclination": ang(trunk, up),
        "trunk_thigh_angle": ang(trunk, thigh),
        "hip_flexion": ang(trunk, thigh),  # what a landmark-only method has
        "trunk_rotation": (heading + 180) % 360 - 180,
        "lateral_bend": lateral,
        "knee_flexion": float(np.mean(knees)),
    }


def analyse_set(name: str, cache: Path, limit: int = 0, refresh: bool = False) -> list[dict]:
    """Run every rendered photo of a set; per-photo records, cached in results-<set>.jsonl."""
    folder = cache / name
    metas = [json.loads(line) for line in (folder / "meta.jsonl").read_text().splitlines() if line]
    if len(metas) < SIZES.get(name, 0):  # a render still running, or one rendered smaller
        print(
            f"  {name}: {folder / 'meta.jsonl'} holds {len(metas)} of the set's"
            f" {SIZES[name]} photos ({', '.join(sorted({m['kind'] for m in metas}))});"
            " rendered with --kind, the figures are those kinds'; if its render is still"
            " running, run this again after it (without --refresh it analyses only the"
            " photos it has not seen)",
            file=sys.stderr,
        )
    if limit:
        metas = metas[:limit]
    out_path = cache / f"results-{name}.jsonl"
    done: dict[str, dict] = {}
    if out_path.exists() and not refresh:
        for line in out_path.read_text().splitlines():
            rec = json.loads(line)
            done[rec["id"]] = rec
    todo = [m for m in metas if m["id"] not in done]
    if todo:
        est = Recording(PoseEstimator())
        with out_path.open("w" if refresh else "a") as f:
            for n, meta in enumerate(todo):
                rec = analyse_one(meta, folder, est)
                done[meta["id"]] = rec
                f.write(json.dumps(rec) + "\n")
                if n % 50 == 0:
                    print(f"  {name}: {n}/{len(todo)}", file=sys.stderr, flush=True)
        est.inner.close()
    return [done[m["id"]] for m in metas if m["id"] in done]


def analyse_one(meta: dict, folder: Path, est: Recording) -> dict:
    data = (folder / "img" / f"{meta['id']}.jpg").read_bytes()
    step = step_of(meta)
    rgb = load_image(data)

    def look(other: str | None = None) -> AnalysedPhoto | PhotoRejected:
        try:
            return analyse_image(
                rgb,
                est,
                annotate=False,
                focal_35mm=focal_35mm(data),
                mirrored=other == "mirrored",
                depth_flipped=other == "depth_flipped",
            )
        except PhotoRejected as exc:
            return exc

    t = time.perf_counter()
    outcome = look()
    total = time.perf_counter() - t
    pose = est.last  # the first look's: raw BlazePose as it reads the photo itself
    # as the product judges a photo for its step, other looks included
    # (backcare.application.pipeline.Pipeline.analyse_file)
    first = photo_result(step, meta["id"], outcome)
    second_look = wants_second_look(first)
    result, used, second = look_again(step, meta["id"], first, look, vocabulary())
    if second is not None:
        outcome = second
    used_second = result is not first
    rec: dict = {
        "id": meta["id"],
        "kind": meta["kind"],
        "step": step,
        "yaw_off": meta["yaw_off_view"],
        "az": meta["az"],
        "pitch": meta["pitch"],
        "dist": meta["dist"],
        "body": meta["body"],
        "truth": truth_of(meta),
        "found": pose is not None and pose.landmarks is not None,
        "accepted": result.accepted,
        "reason": result.reason,
        "detail": result.detail,
        "suggested_step": result.suggested_step,
        "view": result.view,
        "movement_seen": result.movement_seen,
        "measured": {k: [m.value, m.uncertainty] for k, m in result.measurements.items()},
        "unusable": result.unusable,
        # the look whose reading was used (mirrored, depth_flipped), "taken" when none was
        "second_look": used or ("taken" if second_look else None),
        "seconds": total,
        "pose_seconds": est.seconds,
    }
    if pose is not None and pose.landmarks is not None:
        lm = pose.landmarks
        rec["raw"] = raw_angles(lm.world)
        inside = (lm.normalized[:, :2] > 0.01).all() and (lm.normalized[:, :2] < 0.99).all()
        rec["whole_body_in_frame"] = bool(inside)
        rec["landmarks"] = {
            "pixel": np.round(lm.pixel, 1).tolist(),
            "world": np.round(lm.world, 4).tolist(),
            "visibility": np.round(lm.visibility, 3).tolist(),
            "image_size": list(lm.image_size),
        }
    if not isinstance(outcome, PhotoRejected):
        a = outcome.analysis
        rec["angles"] = a.angles
        rec["view_est"] = {
            "yaw": a.view.yaw_deg,
            "pitch": a.view.pitch_deg,
            "roll": a.view.roll_deg,
            "kind": a.view.kind.value,
        }
        crop = (
            side_crop(pose.mask, a.landmarks, a.view)
            if pose is not None and pose.mask is not None and not used_second
            else None  # (the mask above is the first look's)
        )
        if crop is not None:  # what bench/synth/fit_proxies.py learns from
            rec["silhouette"] = encode_crop(crop)
        if a.back is not None:
            rec["back"] = {
                "thoracic": a.back.thoracic_angle,
                "lumbar": a.back.lumbar_angle,
                "slopes": a.back.slopes,
                "profile": a.back.profile,
                "deviation": a.back.spine_deviation,
                "confidence": a.back.confidence,
            }
    return rec


def encode_crop(crop: np.ndarray) -> str:
    """A silhouette crop as text for the results file: its 8-bit pixels, compressed."""
    pixels = np.round(np.clip(crop, 0.0, 1.0) * 255).astype(np.uint8)
    return base64.b64encode(zlib.compress(pixels.tobytes(), 9)).decode("ascii")


def stats(pairs: list[tuple[float, float]]) -> tuple[int, float, float, float]:
    if not pairs:
        return 0, math.nan, math.nan, math.nan
    est, true = np.array(pairs).T
    err = est - true
    r = (
        float(np.corrcoef(est, true)[0, 1])
        if len(pairs) > 2 and est.std() > 0 and true.std() > 0
        else math.nan
    )
    return len(pairs), float(np.abs(err).mean()), float(err.mean()), r


def gravity_report(records: list[dict]) -> None:
    """How far the camera's estimated roll and pitch are from the render's. Every render's
    camera looks at the person with the world's up as its up, so its true roll is 0: the
    estimate's roll is its error. A roll error turns every absolute angle of a side view
    (trunk inclination, pelvic tilt) by as much."""
    rows = [
        r
        for r in records
        if r["accepted"] and r["yaw_off"] < 45 and "roll" in r.get("view_est", {})
    ]
    if not rows:
        return  # none, or results from before the bench kept the roll (run with --refresh)
    print("\n## The camera's roll and pitch as estimated, accepted photos up to 45 deg yaw")
    print(f"{'movement':14} {'n':>4} {'roll rms':>8} {'|roll|>5':>8} {'pitch MAE':>9} {'bias':>6}")
    for kind in sorted({r["kind"] for r in rows}):
        rs = [r for r in rows if r["kind"] == kind]
        roll = np.array([r["view_est"]["roll"] for r in rs])
        pitch = np.array([r["view_est"]["pitch"] - r["pitch"] for r in rs])
        print(
            f"{kind:14} {len(rs):4d} {np.sqrt(np.mean(roll**2)):8.1f} "
            f"{np.mean(np.abs(roll) > 5):8.0%} {np.mean(np.abs(pitch)):9.1f} {np.mean(pitch):+6.1f}"
        )


# how much of the asked movement a render shows, from its exact truth (degrees)
SHOWN_BY = {
    "forward_bend": lambda t: t["trunk_inclination"],
    "extension": lambda t: -t["trunk_inclination"],
    "rotation": lambda t: abs(t["trunk_rotation"]),
    "side_bend": lambda t: abs(t["lateral_bend"]),
}


def report(records: list[dict]) -> None:
    print("\n## Acceptance (whole body in frame and BlazePose found the person)")
    print(f"{'movement':14} {'photos':>6} {'found':>6} {'accepted':>8} {'wrong-mvt':>9}  refusals")
    for kind in sorted({r["kind"] for r in records}):
        rs = [r for r in records if r["kind"] == kind]
        found = [r for r in rs if r["found"] and r.get("whole_body_in_frame", False)]
        acc = [r for r in found if r["accepted"]]
        wrong = [r for r in found if r["reason"] == "wrong_movement"]
        reasons: dict[str, int] = {}
        for r in found:
            if not r["accepted"]:
                reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        share = len(acc) / len(found) if found else math.nan
        print(f"{kind:14} {len(rs):6d} {len(found):6d} {share:8.1%} {len(wrong):9d}  {reasons}")
    # issue 14: none questioned as another movement when it shows the asked one by >= 5 deg
    # (standing is a posture, not an amount of movement: its questioned photos are listed
    # by the table above only)
    shown = [
        r
        for r in records
        if r["kind"] in SHOWN_BY and r["found"] and r.get("whole_body_in_frame", False)
    ]
    shown = [r for r in shown if SHOWN_BY[r["kind"]](r["truth"]) >= 5.0]
    questioned = [r for r in shown if r["reason"] == "wrong_movement"]
    print(
        f"questioned as another movement though the asked one shows >= 5 deg of it: "
        f"{len(questioned)} of {len(shown)}"
        + "".join(
            f"\n  {r['id']} ({r['kind']}, {SHOWN_BY[r['kind']](r['truth']):.0f} deg, "
            f"{r['yaw_off']:.0f} deg off the asked view): seen as {r['movement_seen']}"
            for r in questioned
        )
    )
    print("\n## Error against the truth, accepted photos (product) / same photos (raw BlazePose)")
    print(
        f"{'measurement':18} {'yaw':>6} | {'n':>4} {'MAE':>5} {'bias':>6} {'r':>5} {'sd-claim':>8} | "
        f"{'raw MAE':>7} {'bias':>6} {'r':>5}"
    )
    for name, kinds in JUDGED_ON.items():
        for lo, hi in (*YAW_BINS, (0, 45)):
            rows = [
                r
                for r in records
                if r["kind"] in kinds and lo <= r["yaw_off"] < hi and name in r["truth"]
            ]
            ours = [
                (r["measured"][name][0], r["truth"][name])
                for r in rows
                if r["accepted"] and name in r["measured"]
            ]
            claimed = [
                r["measured"][name][1] or math.nan
                for r in rows
                if r["accepted"] and name in r["measured"]
            ]
            raw = [
                (
                    r["raw"][name],
                    abs(r["truth"][name]) if name == "trunk_inclination" else r["truth"][name],
                )
                for r in rows
                if r["accepted"] and name in r.get("raw", {}) and name in r["measured"]
            ]
            n, mae, bias, corr = stats(ours)
            _, rmae, rbias, rcorr = stats(raw)
            label = f"{lo}-{hi if hi < 61 else 60}" if (lo, hi) != (0, 45) else "0-45*"
            sd = float(np.nanmean(claimed)) if claimed else math.nan
            print(
                f"{name:18} {label:>6} | {n:4d} {mae:5.1f} {bias:+6.1f} {corr:5.2f} {sd:8.1f} | "
                f"{rmae:7.1f} {rbias:+6.1f} {rcorr:5.2f}"
            )
    gravity_report(records)
    back_views = [
        r
        for r in records
        if "view_est" in r and 180 < r["az"] % 360 < 360 and off_side(r["az"]) >= 45
    ]
    swapped = [r for r in back_views if not 180 < r["view_est"]["yaw"] % 360 < 360]
    print(
        f"\nfront/back: {len(swapped)} of {len(back_views)} back views (>= 45 deg off the side) "
        f"read as front views ({len(swapped) / max(1, len(back_views)):.1%}): "
        f"{', '.join(r['id'] for r in swapped)}"
    )
    times = [r["seconds"] for r in records if "seconds" in r]
    pose_t = [r["pose_seconds"] for r in records if r.get("pose_seconds")]
    if times and pose_t:
        print(
            f"\nper photo: analysis {np.median(times) * 1000:.0f} ms median, of which the model call "
            f"{np.median(pose_t) * 1000:.0f} ms (ratio {np.median(times) / np.median(pose_t):.2f}; "
            "bench/vision.py measures the ratio against the raw MediaPipe call)"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--set",
        default="eval",
        choices=sorted(SEEDS),
    )
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--refresh", action="store_true", help="re-analyse every photo")
    a = ap.parse_args()
    if not (a.cache / a.set / "meta.jsonl").exists():
        print(
            f"no rendered set at {a.cache / a.set}: run bench/synth/render_accuracy_sets.py "
            "(see its docstring)",
            file=sys.stderr,
        )
        return 2
    records = analyse_set(a.set, a.cache, a.limit, a.refresh)
    print(f"# vision accuracy on {len(records)} rendered photos ({a.set} set, {a.cache})")
    report(records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
