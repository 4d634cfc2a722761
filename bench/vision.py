"""Vision benchmark: speed, memory, movement-check accuracy and keypoint accuracy.

    .venv/bin/python bench/vision.py [--repeat 3]

An optional instrument that needs ../shared/data beside the repository (studio movement
photos, their manifest.json and human-labelled keypoints in keypoints_gt/; they are not
shipped, their licences do not allow it). The tests use tests/data instead.

Prints, for the movement photos in ../shared/data: median and p95 time per photo
for the raw MediaPipe call (mediapipe.solutions.pose.Pose.process, same model and
settings, on the decoded picture) and for our whole per-photo analysis (decode,
gates, pose, geometry, mask, back curve, measurements, annotated JPEG), their
ratio, photos per second through the worker pool with 1 and 2 workers, peak
memory, the movement check's accuracy, PCK@0.2 on the human-labelled keypoints,
and the view-invariance sweep on synthetic keypoints.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
sys.path.insert(0, str(REPO))

from backcare.vision.analysis import analyse_image  # noqa: E402
from backcare.vision.errors import PhotoRejected  # noqa: E402
from backcare.vision.loading import load_image  # noqa: E402
from backcare.vision.pose import PoseEstimator  # noqa: E402
from backcare.vision.quality import Limits  # noqa: E402
from tests.support.pck import evaluate, pck  # noqa: E402

# Framing gates off: to judge the movement check on every photo with a person in it.
RELAXED = Limits(
    part_presence=0.0,
    edge_margin=-10.0,
    min_person_frac=0.0,
    min_person_px=0.0,
    max_roll_deg=90.0,
    min_distance_m=0.0,
    min_distance_guess_m=0.0,
    second_person_score=2.0,
)
CLASS = {"standing_upright": "standing"}


def _ms(values: list[float]) -> tuple[float, float]:
    return float(np.median(values) * 1000), float(np.percentile(values, 95) * 1000)


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kilobytes


def _peak_of(pid: int) -> float:
    """Peak resident memory (MB) of a running process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def speed(photos: list[bytes], repeat: int) -> None:
    import cv2
    import mediapipe as mp

    cv2.setNumThreads(1)  # as in the workers: OpenCV's threads would fight MediaPipe's for 2 cores

    raw_pose = mp.solutions.pose.Pose(
        static_image_mode=True, model_complexity=1, enable_segmentation=True
    )
    estimator = PoseEstimator()
    decoded = [load_image(d) for d in photos]
    for rgb in decoded[:3]:  # warm both graphs
        raw_pose.process(rgb)
        estimator.estimate(rgb)
    raw, whole = [], []
    for _ in range(repeat):  # interleaved, so machine load hits both alike
        for data, rgb in zip(photos, decoded):
            t = time.perf_counter()
            raw_pose.process(rgb)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            with contextlib.suppress(PhotoRejected):  # refused photos still cost their analysis
                analyse_image(load_image(data), estimator, annotate=True)
            whole.append(time.perf_counter() - t)
    raw_pose.close()
    r_med, r_p95 = _ms(raw)
    w_med, w_p95 = _ms(whole)
    print(f"\nTime per photo over {len(photos)} movement photos x {repeat} (ms)")
    print(f"  {'':34} {'median':>8} {'p95':>8}")
    print(f"  {'raw MediaPipe Pose.process':34} {r_med:8.1f} {r_p95:8.1f}")
    print(f"  {'whole analysis (bytes -> JPEG)':34} {w_med:8.1f} {w_p95:8.1f}")
    print(f"  {'ratio whole / raw':34} {w_med / r_med:8.2f} {w_p95 / r_p95:8.2f}   (aim <= 1.5)")
    print(
        f"  peak memory, this process (two MediaPipe graphs + analysis): {_rss_mb(resource.RUSAGE_SELF):.0f} MB"
    )


def throughput(photos: list[bytes], repeat: int) -> None:
    from backcare.vision.pool import PoseService

    print("\nThroughput through the worker pool (spawned processes, bytes in, analysis + JPEG out)")
    peaks = []
    for workers in (1, 2):
        with PoseService(workers=workers, timeout_s=120) as service:
            service.analyse_many(photos[: 2 * workers])  # start and warm every worker
            batch = photos * repeat
            t = time.perf_counter()
            service.analyse_many(batch)
            elapsed = time.perf_counter() - t
            peaks += [_peak_of(pid) for pid in service.worker_pids() if pid]
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}: {len(batch) / elapsed:6.1f} photos/s "
            f"({len(batch)} photos in {elapsed:.1f} s)"
        )
    print(f"  peak memory of a worker process: {max(peaks):.0f} MB (VmHWM)")


# Photos a patient would never send for the step of their class (from the manifest's notes;
# the same list as tests/vision/test_movement.py): exercise starts, twists lying back on the
# floor or a ball, combined exercises led by another movement, an anti-rotation press, the
# flexed phase of a back extension.
NEVER_SENT = (
    "start",
    "floor",
    "stability ball",
    "windmill",
    "anti-rotation",
    "flexed",
    "flexion + rotation",
)


def movement_accuracy(manifest: list[dict]) -> None:
    estimator = PoseEstimator()
    rows = []
    for entry in manifest:
        data = (DATA / entry["file"]).read_bytes()
        want = CLASS.get(entry["movement_class"], entry["movement_class"])
        try:
            accepted = analyse_image(
                load_image(data), estimator, annotate=False
            ).analysis.movement.movement.value
        except PhotoRejected:
            accepted = None
        try:
            seen = analyse_image(
                load_image(data), estimator, annotate=False, limits=RELAXED
            ).analysis.movement.movement.value
        except PhotoRejected:
            seen = None
        sent = not any(w in entry["note"] for w in NEVER_SENT)
        rows.append((want, accepted, seen, sent))

    def share(pairs):
        pairs = [(w, g) for w, g in pairs if g is not None]
        return sum(w == g for w, g in pairs), len(pairs)

    print("\nMovement check (manifest movement_class vs what vision sees)")
    ok, n = share([(w, a) for w, a, _, _ in rows])
    print(f"  accepted photos (all gates):                       {ok}/{n} = {ok / n:.0%}")
    ok, n = share([(w, s) for w, _, s, _ in rows])
    print(f"  every photo with a person (framing gates off):     {ok}/{n} = {ok / n:.0%}")
    ok, n = share([(w, s) for w, _, s, sent in rows if sent])
    print(f"  ... without photos a patient would never send:     {ok}/{n} = {ok / n:.0%}")
    print(f"  {'class':15} {'all':>7} {'sent':>7}   all seen as")
    for cls in sorted({w for w, *_ in rows}):
        got = [s for w, _, s, _ in rows if w == cls and s is not None]
        got_sent = [s for w, _, s, sent in rows if w == cls and s is not None and sent]
        confusion = Counter(got)
        print(
            f"  {cls:15} {confusion[cls]:>3}/{len(got):<3} {sum(g == cls for g in got_sent):>3}/{len(got_sent):<3}  "
            + ", ".join(f"{k} {v}" for k, v in confusion.most_common() if k != cls)
        )


def keypoints() -> None:
    estimator = PoseEstimator()
    folder = DATA / "keypoints_gt"
    print("\nPCK@0.2 (torso-normalised), 12 common joints, human labels in keypoints_gt/")
    for protocol in ("top-down", "whole"):
        scores = evaluate(folder, lambda rgb: estimator.estimate(rgb).landmarks, protocol)
        unit = (
            "people (labelled box, 15% margin)"
            if protocol == "top-down"
            else "images (whole picture)"
        )
        print(
            f"  {protocol:9} {pck(scores):.3f}  over {len(scores)} {unit}, "
            f"{sum(s.labelled for s in scores)} joints, found {sum(s.detected for s in scores)}"
        )


def view_invariance() -> None:
    """The sweep of tests/vision/test_geometry.py (same poses, cameras and noise seeds),
    as a table, then the same sweep over other noise seeds."""
    import itertools

    from backcare.vision.geometry import body_frame, estimate_gravity, reconstruct
    from tests.support.synthetic_landmarks import SynthCamera, SynthPose, shoot

    yaws, pitches = range(0, 50, 5), range(0, 25, 5)
    poses = (
        SynthPose(hip_flexion=20),
        SynthPose(hip_flexion=45),
        SynthPose(hip_flexion=70),
        SynthPose(hip_flexion=100),
        SynthPose(hip_flexion=80, knee_flexion=20),
    )

    def sweep(seed_of) -> dict[tuple[int, int], float]:
        worst = {}
        for yaw, pitch in itertools.product(yaws, pitches):
            cell = 0.0
            for k, (pose, side) in enumerate(itertools.product(poses, (0, 1))):
                cam = SynthCamera(yaw=yaw if side == 0 else 180 - yaw, pitch=pitch, distance=2.5)
                shot = shoot(
                    pose, cam, depth_gain=0.7, depth_noise_m=0.01, seed=seed_of(yaw, pitch, k)
                )
                sk = reconstruct(shot.landmarks)
                frame = body_frame(sk, estimate_gravity(sk, shot.landmarks), shot.landmarks)
                trunk = sk.at("shoulder_mid") - sk.at("hip_mid")
                thigh = sk.at("hip_mid") - sk.at("knee_mid")
                cell = max(
                    cell,
                    abs(frame.sagittal(trunk) - shot.truth["trunk_inclination"]),
                    abs(
                        frame.sagittal(trunk)
                        - frame.sagittal(thigh)
                        - shot.truth["trunk_thigh_angle"]
                    ),
                )
            worst[yaw, pitch] = cell
        return worst

    table = sweep(lambda yaw, pitch, k: yaw * 1000 + pitch * 10 + k)
    errors = np.array(list(table.values()))
    print("\nView invariance (synthetic keypoints, 5 forward bends x both sides per cell, 2.5 m,")
    print("MediaPipe-like depth flattened x0.7 with 1 cm noise): worst |error| per cell, deg,")
    print("trunk inclination and trunk-thigh flexion (the test's seeds)")
    print("  yaw\\pitch " + " ".join(f"{p:>5}" for p in pitches))
    for yaw in yaws:
        print(f"  {yaw:>9} " + " ".join(f"{table[yaw, p]:5.1f}" for p in pitches))
    print(
        f"  worst {errors.max():.1f} deg, mean {errors.mean():.1f}, cells within 5 deg {(errors <= 5).mean():.0%}"
    )
    other = [
        np.array(
            list(sweep(lambda yaw, pitch, k, s=s: s * 7919 + yaw * 100 + pitch * 10 + k).values())
        )
        for s in range(1, 7)
    ]
    within = np.mean([(o <= 5).mean() for o in other])
    print(
        f"  over 6 other noise seeds: cells within 5 deg {within:.0%}, worst {max(o.max() for o in other):.1f} deg"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the photos for timing")
    args = parser.parse_args()
    manifest = [
        e
        for e in json.loads((DATA / "manifest.json").read_text())
        if e["file"].startswith("movements/")
    ]
    photos = [(DATA / e["file"]).read_bytes() for e in manifest]
    print(f"vision bench: {len(photos)} movement photos from {DATA}")
    speed(photos, args.repeat)
    throughput(photos, args.repeat)
    movement_accuracy(manifest)
    keypoints()
    view_invariance()


if __name__ == "__main__":  # spawned workers import this module: keep the work behind the guard
    main()
