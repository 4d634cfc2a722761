"""Render the clinical validation suite's photos: each case's eight capture steps.

An optional instrument, like render_fixtures.py (same renderer, camera and room; set-up
in its docstring). The suite (tests/clinical) uses the committed JPEGs; run this only
to rebuild or extend them. Every case that needs photos gets a body of its own (none
of the fixtures' bodies) and, per capture step, the pose parameters of its movement
pattern, each chosen from the literature cited below (never from what vision reads).

Rebuild (from the repository root, about two minutes; the same output on every run,
each case has its own fixed seeds):

    SYNTH_HOME=$PWD/../synth-work $SYNTH_HOME/render/bin/python bench/synth/render_clinical.py \\
        [--out tests/clinical/photos] [--synth ../shared/tools/synth] [--case ID ...]

Writes OUT/<case>/<step>.jpg (480x640, 640 px long side) and OUT/truth.json (per picture
the pose, body, camera and the ground-truth angles of the body model).

Pose parameters (degrees; ../shared/tools/synth/HOWTO: hip_flex pelvis vs thigh, lumbar_flex
and thoracic_flex + flexion / - extension, axial_rot + to the person's left, side_bend + to
the left). Where the numbers come from:
  normal forward bend   Esola 1996 (Spine 21:71): 41.6 deg lumbar + 69.4 deg hip in young
                        adults; Troke 2005 (Man Ther 10:198): lumbar flexion falls about
                        45% over adult life; Kuo 2010 (less hip flexion when older)
  normal backward bend  Troke 2005: lumbar extension 29 deg young to 6-10 deg after 70;
                        Tojima 2016 (J Hum Kinet 50:53): the hips take 35-45% of it
  normal rotation       AAOS 1965 thoracolumbar rotation about 45 deg; Fujii 2007 (Eur
                        Spine J 16:1867): mostly thoracic
  normal side bend      AAOS 1965 thoracolumbar lateral flexion 35 deg; Troke 2005: falls
                        by about half with age
  flexion pattern       O'Sullivan 2005 (Man Ther 10:242), Sahrmann 2002, Esola 1996 and
                        McClure 1997: the lumbar spine flexes early and far (near its end
                        range) while the hips flex less; flat lumbar spine standing
  short hamstrings      Kendall 2005, Esola 1996: hip flexion limited (about half of
                        normal), the lumbar spine bends to its end range to compensate,
                        knees unlock, the trunk stays short of horizontal
  extension pattern     Sahrmann 2002 (lumbar extension syndrome), O'Sullivan 2005
                        (active extension pattern): increased lordosis standing, the
                        backward bend taken in the lumbar spine with little hip movement
  rotation pattern      Sahrmann 2002, Van Dillen 2003, Harris-Hayes 2009 (rotation-
                        related sports): rotation and side bend clearly larger to one side
  thoracic stiffness    Fon 1980, Kendall 2005, Fujii 2007: increased kyphosis and forward
                        head standing, rotation and side bend limited
  deconditioning        Verbunt 2003, Smeets 2006: all ranges small (a short forward bend,
                        little side bend and extension), no directional pattern
  lateral shift         McKenzie 2003: the trunk visibly shifted to one side over the
                        pelvis standing (most visible standing, so in both standing
                        photos), side bending much less to the other side. How far:
                        about 5 mm in healthy adults, 5-50 mm in acute low back pain
                        (Gillan et al., Eur Spine J 1998, as cited by the rasterstereo-
                        graphy study Adv Orthop 2018:6567139, which measured the 5 mm). The
                        renderer has no sideways translation or pelvic side tilt, only a
                        side bend spread over the spine: 8 deg puts the shoulders' midpoint
                        4.1 cm (7.8% of trunk length, a 4.5 deg lean) and C7 5.5 cm over
                        the hip centre, the upper end of Gillan's range (6 deg gave 3.1
                        cm, a 3.4 deg lean that one photo cannot tell from normal posture)
  sway-back             Kendall 2005, Smith 2008 (Spine 33:2101): the pelvis displaced
                        forward over the feet with a posterior tilt, a flattened lumbar and
                        long thoracic curve, the trunk held back; ranges of middle age
  slumped sitter        O'Sullivan 2006 (Man Ther 11:264), Lis 2007 (Eur Spine J 16:283),
                        Kendall 2005: the rounded upper back and forward head of long
                        slumped sitting, seen standing; bends normally
  guarded movement      Thomas & France 2007 (Spine 32:E460), Vlaeyen & Linton 2000
                        (Pain 85:317): people afraid of movement bend less far every way
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository: run as a script
from bench.synth.render_fixtures import (  # noqa: E402
    BACK,
    FRONT,
    GT_KEYS,
    JPEG_QUALITY,
    PHONE,
    RENDER_H,
    RENDER_W,
    SIDE,
    room,
)

REPO = HERE.parents[1]
SIZE = (480, 640)  # 640 px long side
STEPS = (
    "standing_side",
    "standing_back",
    "forward_bend",
    "backward_bend",
    "rotation_left",
    "rotation_right",
    "side_bend_left",
    "side_bend_right",
)
AZIMUTH = {
    "standing_side": SIDE,
    "standing_back": BACK,
    "forward_bend": SIDE,
    "backward_bend": SIDE,
    "rotation_left": FRONT,
    "rotation_right": FRONT,
    "side_bend_left": BACK,
    "side_bend_right": BACK,
}


@dataclass(frozen=True)
class Person:
    """An anny body (phenotype 0..1) and how they look (skin, shorts, top or None, hair)."""

    body: dict[str, float]
    skin: tuple[float, float, float]
    shorts: tuple[float, float, float]
    top: tuple[float, float, float] | None
    hair: tuple[float, float, float]


@dataclass(frozen=True)
class Movement:
    """The ranges one person moves through: a movement pattern (degrees)."""

    # standing: pelvis (+ anterior tilt, - posterior), lumbar (- more lordosis, + flatter),
    # thoracic (+ more kyphosis), neck, side shift (a side bend standing, + to the left, in
    # both standing photos: the renderer has no sideways translation).
    # A pelvic tilt comes with the lumbar curve that keeps the trunk upright (Kendall 2005:
    # lordotic posture = anterior tilt + lordosis; flat back = posterior tilt + flat spine)
    stand_pelvis: float = 0.0
    stand_lumbar: float = -3.0
    stand_thoracic: float = 3.0
    stand_neck: float = 5.0
    stand_shift: float = 0.0
    # legs leaning with their top forward (thigh_tilt: the hips ahead of the ankles, sway)
    stand_legs: float = 0.0
    # forward bend: hip, lumbar, thoracic flexion, knee flexion
    fwd_hip: float = 70.0
    fwd_lumbar: float = 40.0
    fwd_thoracic: float = 15.0
    fwd_knee: float = 2.0
    # backward bend: hip (negative: extension), lumbar (negative: extension)
    back_hip: float = -12.0
    back_lumbar: float = -25.0
    # rotation left/right, side bend left/right (magnitudes)
    rot_left: float = 42.0
    rot_right: float = 42.0
    side_left: float = 30.0
    side_right: float = 30.0


def _arms(**kw: float) -> dict[str, float]:
    return {"arm_abd": 10.0, "elbow_flex": 12.0, **kw}


def poses(m: Movement) -> dict[str, dict[str, float]]:
    """The eight capture steps' pose parameters for a movement pattern."""
    stand = {
        "hip_flex": m.stand_pelvis,
        "lumbar_flex": m.stand_lumbar,
        "thoracic_flex": m.stand_thoracic,
    }
    # a shifted trunk stays shifted in the side photo; no key when there is none (the other
    # cases' truth keeps its pose as it was)
    side_shift = {"side_bend": m.stand_shift} if m.stand_shift else {}
    if m.stand_legs:
        stand["thigh_tilt"] = m.stand_legs
    return {
        "standing_side": _arms(**stand, neck_flex=m.stand_neck, **side_shift),
        "standing_back": _arms(**stand, neck_flex=m.stand_neck, side_bend=m.stand_shift),
        "forward_bend": _arms(
            hip_flex=m.fwd_hip,
            lumbar_flex=m.fwd_lumbar,
            thoracic_flex=m.fwd_thoracic,
            neck_flex=0.3 * m.fwd_hip,
            thigh_tilt=0.08 * m.fwd_hip,
            knee_flex=m.fwd_knee,
            arm_fwd=5.0,
        ),
        "backward_bend": _arms(
            hip_flex=m.back_hip,
            lumbar_flex=m.back_lumbar,
            thoracic_flex=-5.0,
            neck_flex=-12.0,
            thigh_tilt=0.4 * m.back_hip,
        ),
        "rotation_left": _arms(axial_rot=m.rot_left, arm_abd=25.0),
        "rotation_right": _arms(axial_rot=-m.rot_right, arm_abd=25.0),
        "side_bend_left": _arms(side_bend=m.side_left),
        "side_bend_right": _arms(side_bend=-m.side_right),
    }


# -- the people (none is a fixture body: render_fixtures' ADULT, MAN, OLDER) ----------------
SKINS = ((0.94, 0.78, 0.66), (0.80, 0.60, 0.46), (0.62, 0.44, 0.31), (0.45, 0.31, 0.22))
PEOPLE = {
    "m25": Person(
        {
            "gender": 0.05,
            "age": 0.66,
            "muscle": 0.7,
            "weight": 0.35,
            "height": 0.55,
            "proportions": 0.5,
        },
        SKINS[1],
        (0.1, 0.25, 0.5),
        None,
        (0.1, 0.07, 0.05),
    ),
    "f30": Person(
        {
            "gender": 0.95,
            "age": 0.68,
            "muscle": 0.45,
            "weight": 0.3,
            "height": 0.4,
            "proportions": 0.55,
        },
        SKINS[0],
        (0.15, 0.15, 0.15),
        (0.7, 0.2, 0.25),
        (0.35, 0.2, 0.1),
    ),
    "m38": Person(
        {
            "gender": 0.1,
            "age": 0.72,
            "muscle": 0.55,
            "weight": 0.55,
            "height": 0.5,
            "proportions": 0.45,
        },
        SKINS[2],
        (0.3, 0.3, 0.35),
        None,
        (0.05, 0.05, 0.05),
    ),
    "f42": Person(
        {
            "gender": 0.85,
            "age": 0.76,
            "muscle": 0.4,
            "weight": 0.45,
            "height": 0.35,
            "proportions": 0.5,
        },
        SKINS[3],
        (0.1, 0.1, 0.3),
        (0.9, 0.75, 0.3),
        (0.08, 0.05, 0.04),
    ),
    "m52": Person(
        {
            "gender": 0.15,
            "age": 0.82,
            "muscle": 0.4,
            "weight": 0.7,
            "height": 0.45,
            "proportions": 0.5,
        },
        SKINS[0],
        (0.2, 0.3, 0.2),
        (0.3, 0.4, 0.6),
        (0.45, 0.42, 0.4),
    ),
    "f58": Person(
        {
            "gender": 0.9,
            "age": 0.85,
            "muscle": 0.3,
            "weight": 0.8,
            "height": 0.35,
            "proportions": 0.5,
        },
        SKINS[1],
        (0.25, 0.2, 0.3),
        (0.4, 0.6, 0.7),
        (0.5, 0.45, 0.4),
    ),
    "f62": Person(
        {
            "gender": 0.9,
            "age": 0.87,
            "muscle": 0.4,
            "weight": 0.5,
            "height": 0.4,
            "proportions": 0.5,
        },
        SKINS[2],
        (0.3, 0.15, 0.15),
        (0.95, 0.95, 0.9),
        (0.7, 0.7, 0.7),
    ),
    "m68": Person(
        {
            "gender": 0.1,
            "age": 0.9,
            "muscle": 0.35,
            "weight": 0.55,
            "height": 0.4,
            "proportions": 0.5,
        },
        SKINS[0],
        (0.35, 0.3, 0.25),
        (0.6, 0.65, 0.6),
        (0.8, 0.8, 0.8),
    ),
    "m76": Person(
        {
            "gender": 0.05,
            "age": 0.94,
            "muscle": 0.3,
            "weight": 0.45,
            "height": 0.4,
            "proportions": 0.5,
        },
        SKINS[1],
        (0.15, 0.15, 0.2),
        (0.75, 0.7, 0.6),
        (0.85, 0.85, 0.85),
    ),
    "m45": Person(
        {
            "gender": 0.2,
            "age": 0.77,
            "muscle": 0.65,
            "weight": 0.5,
            "height": 0.6,
            "proportions": 0.5,
        },
        SKINS[3],
        (0.5, 0.1, 0.1),
        None,
        (0.05, 0.04, 0.03),
    ),
    "f48": Person(
        {
            "gender": 0.92,
            "age": 0.79,
            "muscle": 0.35,
            "weight": 0.62,
            "height": 0.45,
            "proportions": 0.45,
        },
        SKINS[2],
        (0.2, 0.2, 0.25),
        (0.55, 0.3, 0.6),
        (0.15, 0.1, 0.08),
    ),
    "m34": Person(
        {
            "gender": 0.08,
            "age": 0.7,
            "muscle": 0.4,
            "weight": 0.45,
            "height": 0.65,
            "proportions": 0.55,
        },
        SKINS[0],
        (0.35, 0.35, 0.4),
        (0.2, 0.5, 0.3),
        (0.3, 0.2, 0.1),
    ),
    "f39": Person(
        {
            "gender": 0.97,
            "age": 0.74,
            "muscle": 0.3,
            "weight": 0.4,
            "height": 0.3,
            "proportions": 0.5,
        },
        SKINS[3],
        (0.6, 0.6, 0.65),
        (0.85, 0.5, 0.2),
        (0.04, 0.03, 0.03),
    ),
}

# -- the movement patterns (sources in the module docstring) --------------------------------
NORMAL_YOUNG = Movement()  # Esola 1996 means, Troke 2005 young adults
NORMAL_MIDDLE = Movement(  # Troke 2005: about a fifth less lumbar motion at 40-60
    fwd_hip=68,
    fwd_lumbar=35,
    back_hip=-10,
    back_lumbar=-20,
    rot_left=40,
    rot_right=40,
    side_left=26,
    side_right=26,
)
NORMAL_OLDER = Movement(  # Troke 2005 at 60-79, Kuo 2010: less hip and lumbar flexion
    stand_thoracic=8,
    fwd_hip=62,
    fwd_lumbar=28,
    back_hip=-8,
    back_lumbar=-14,
    rot_left=36,
    rot_right=36,
    side_left=22,
    side_right=22,
)
FLEXION = Movement(  # O'Sullivan 2005, Esola 1996: lumbar to end range, hips short
    stand_pelvis=-8,
    stand_lumbar=8,
    fwd_hip=45,
    fwd_lumbar=58,
    fwd_thoracic=20,
)
HAMSTRINGS = Movement(  # Kendall 2005, Esola 1996: hips about half, lumbar compensates
    stand_pelvis=-5,
    stand_lumbar=5,
    fwd_hip=32,
    fwd_lumbar=50,
    fwd_thoracic=20,
    fwd_knee=12,
)
EXTENSION = Movement(  # Sahrmann 2002, O'Sullivan 2005: lordosis, backward bend all lumbar
    stand_pelvis=12,
    stand_lumbar=-15,
    back_hip=-2,
    back_lumbar=-42,
)
ROTATION = Movement(  # Sahrmann 2002, Harris-Hayes 2009: one side turns and bends further
    rot_left=45,
    rot_right=20,
    side_left=32,
    side_right=16,
)
THORACIC = Movement(  # Fon 1980, Kendall 2005, Fujii 2007: kyphotic, rotation limited
    stand_thoracic=25,
    stand_neck=18,
    fwd_hip=60,
    fwd_lumbar=28,
    back_hip=-6,
    back_lumbar=-10,
    rot_left=15,
    rot_right=15,
    side_left=12,
    side_right=12,
)
DECONDITIONED = Movement(  # Verbunt 2003, Smeets 2006: everything short, no direction
    fwd_hip=42,
    fwd_lumbar=22,
    fwd_thoracic=10,
    back_hip=-4,
    back_lumbar=-8,
    rot_left=30,
    rot_right=30,
    side_left=10,
    side_right=10,
)
LATERAL_SHIFT = Movement(  # McKenzie 2003: shifted to the left, bends little to the right
    stand_shift=8,  # shoulders 4.1 cm, C7 5.5 cm over the hips (Gillan 1998: 5-50 mm)
    side_left=32,
    side_right=10,
)
SWAY_BACK = Movement(  # Kendall 2005, Smith 2008: hips ahead of the ankles, pelvis tilted back
    stand_legs=6,  # the hip centre ~8 cm (about 10% of leg length) ahead of the ankles
    stand_pelvis=-13,  # hips extended under a trunk leaning back: posterior pelvic tilt
    stand_lumbar=4,  # a flattened lumbar curve ...
    stand_thoracic=10,  # ... under a long thoracic curve
    stand_neck=10,
    fwd_hip=68,
    fwd_lumbar=35,
    back_hip=-10,
    back_lumbar=-20,
    rot_left=40,
    rot_right=40,
    side_left=26,
    side_right=26,
)
SLUMPED_SITTER = Movement(  # O'Sullivan 2006, Lis 2007, Kendall 2005: the sitter's rounded
    stand_thoracic=20,  # upper back and forward head carried into standing; bends normally
    stand_neck=18,
)
GUARDED = Movement(  # Thomas 2007, Vlaeyen 2000: fear of movement, every bend held short
    fwd_hip=40,
    fwd_lumbar=18,
    fwd_thoracic=8,
    back_hip=-4,
    back_lumbar=-8,
    rot_left=30,
    rot_right=30,
    side_left=16,
    side_right=16,
)


@dataclass(frozen=True)
class CasePhotos:
    person: str
    movement: Movement
    seed: int  # the first of eight (one per step)


CASES = {
    "flexion_pattern_desk": CasePhotos("f30", FLEXION, 3100),
    "flexion_pattern_lifter": CasePhotos("m45", FLEXION, 3200),
    "hamstrings_short_runner": CasePhotos("m38", HAMSTRINGS, 3300),
    "extension_pattern_standing": CasePhotos("f42", EXTENSION, 3400),
    "extension_pattern_dancer": CasePhotos("f30", EXTENSION, 3500),
    "rotation_pattern_golfer": CasePhotos("m52", ROTATION, 3600),
    "thoracic_stiff_older": CasePhotos("m68", THORACIC, 3700),
    "deconditioned_photos": CasePhotos("f58", DECONDITIONED, 3800),
    "lateral_shift": CasePhotos("m25", LATERAL_SHIFT, 3900),
    "sway_back_shop_assistant": CasePhotos("f48", SWAY_BACK, 4700),
    "slumped_sitter_developer": CasePhotos("m34", SLUMPED_SITTER, 4800),
    "fearful_guarded_mover": CasePhotos("f39", GUARDED, 4900),
    "normal_25_active": CasePhotos("m25", NORMAL_YOUNG, 4100),
    "normal_42_office": CasePhotos("f42", NORMAL_MIDDLE, 4200),
    "normal_60_gardener": CasePhotos("f62", NORMAL_OLDER, 4300),
    "normal_75_walker": CasePhotos("m76", NORMAL_OLDER, 4400),
    "normal_33_nurse": CasePhotos("f30", NORMAL_YOUNG, 4500),
    "normal_52_builder": CasePhotos("m52", NORMAL_MIDDLE, 4600),
}


def render(lib: Any, synth: Any, renderer: Any, person: Person, pose: dict, az: float, seed: int):
    from PIL import Image

    rng = np.random.default_rng(seed)
    s = synth.make(pose, person.body)
    col = synth.vertex_colors(
        np.array(person.skin),
        np.array(person.shorts),
        None if person.top is None else np.array(person.top),
    )
    col = lib.add_face_and_hair(col, s, synth.labels, hair=person.hair)
    V = s["V"]
    M, K = lib.camera_for(V, az, PHONE["pitch"], PHONE["dist"], PHONE["yfov"], RENDER_W, RENDER_H)
    color, depth = renderer.render(V, synth.faces, col, M, K, PHONE["yfov"])
    lo, hi = V.min(0), V.max(0)  # the wall 1.5 m behind the person (render_fixtures.render_one)
    centre = (lo + hi) / 2
    away = centre - M[:3, 3]
    away[2] = 0
    foot = centre + 1.5 * away / np.linalg.norm(away)
    foot[2] = 0.0
    horizon = float(lib.project(foot[None], M, K)[0][0, 1])
    img, _ = lib.composite(color, depth, room(rng, horizon, RENDER_W, RENDER_H), rng)
    picture = Image.fromarray(img).resize(SIZE, Image.Resampling.LANCZOS)
    truth = {
        "pose": {k: round(float(v), 2) for k, v in pose.items()},
        "body": person.body,
        "azimuth_deg": az,
        "seed": seed,
        "angles": {k: round(float(s["gt"][k]), 2) for k in GT_KEYS},
    }
    return picture, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "clinical" / "photos")
    ap.add_argument("--synth", type=Path, default=REPO / ".." / "shared" / "tools" / "synth")
    ap.add_argument("--case", nargs="*", help="only these cases")
    args = ap.parse_args()
    if not (args.synth / "synth_lib.py").is_file():
        raise SystemExit(f"render_clinical: no synth_lib.py in {args.synth} (see --synth)")
    unknown = set(args.case or ()) - set(CASES)
    if unknown:
        raise SystemExit(f"render_clinical: unknown case(s) {sorted(unknown)}")
    os.environ.setdefault("SYNTH_HOME", str(REPO / ".." / "synth-work"))
    sys.path.insert(0, str(args.synth.resolve()))
    lib = importlib.import_module("synth_lib")
    synth, renderer = lib.Synth(), lib.Renderer(RENDER_W, RENDER_H)
    truth_file = args.out / "truth.json"
    truth = json.loads(truth_file.read_text()) if truth_file.is_file() else {}
    for cid, case in CASES.items():
        if args.case and cid not in args.case:
            continue
        out = args.out / cid
        out.mkdir(parents=True, exist_ok=True)
        person = PEOPLE[case.person]
        for i, (step, pose) in enumerate(poses(case.movement).items()):
            picture, t = render(lib, synth, renderer, person, pose, AZIMUTH[step], case.seed + i)
            picture.save(out / f"{step}.jpg", quality=JPEG_QUALITY, optimize=True)
            truth[f"{cid}/{step}.jpg"] = t
            a = t["angles"]
            print(
                f"{cid}/{step:16} hip {a['hip_flexion']:6.1f} lumbar {a['lumbar_flexion']:6.1f}"
                f" rot {a['trunk_rotation_horiz']:6.1f} bend {a['lateral_bend']:6.1f}",
                flush=True,
            )
    truth_file.write_text(json.dumps(dict(sorted(truth.items())), indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
