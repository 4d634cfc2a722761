"""Render the vision accuracy sets: training sets and a disjoint evaluation set of
synthetic people with exact truth (an instrument, not part of the product).

Needs ../shared/tools/synth set up (its README: libosmesa6 and the *render* venv).
Run with that venv, from the repo root:

    SYNTH_HOME=/work/synth-work /work/synth-work/render/bin/python \
        bench/synth/render_accuracy_sets.py [--out DIR] [--train N] [--eval N] [--train2 N] ...

Sets (default sizes): train 900 and eval 660 (six movement kinds in equal shares), train2
450 (bends with the hip, lumbar and thoracic parts drawn independently), train3 and train4
1200 each (as train, other bodies), twists to twists4 600 each (twists alone), stands 900
and stands2 to stands10 1200 each (people standing in profile alone), bends and bends2 1200
each (forward bends alone), stands_eval 1200 (standing in profile, held apart from every fit
like eval), eval2 900 (six kinds like eval, held apart, drawn after every fit had shipped: a
fresh check that eval's figures were not learnt from reading it), eval3 900 (the same again,
drawn after a change designed on eval2's failures), eval4 900 (again, after the next one),
eval5 900 (again, after the rotation estimator's version 5), eval6 900 (again, after the
movement check's change designed on eval5), twists5 and twists6 600 each
(twists alone, for the rotation estimator alone: fit_estimators.ONLY_FOR) and stands_dev 600 (standing in profile,
held apart from every fit: how the fitted models' readings are used is chosen on it, never
on an evaluation set). A size of 0 skips a set, so processes can share the work (each set is
written by one process), e.g. three: one with train, eval, train2, twists and bends, one
with train3, twists2, twists3 and bends2, one with the rest (each with every other set's
size 0). The whole cache is 24 510 photos; 13 710 took about 55 minutes that way on 2 cores
of an earlier machine (~0.3 s a photo a process), and the 13 910 standing profiles (stands
to stands10, stands_eval, stands_dev and the six-kind evaluation sets' with ``--kind
standing_side``) about 50 minutes on 2 processes of the machine of 2026-12-06, analysed
alongside. A render process grows by ~4 MB a photo (one was killed for memory at ~2 000
photos, 7.9 GB), so each starts itself afresh every RESTART_EVERY photos and resumes. That
restart reads this script as it is then: a set added meanwhile is rendered by every process
whose command line does not give it size 0, so change SIZES only while no render runs.
``--kind standing_side`` renders only the standing profiles (of the six-kind sets too: each
photo is the same whatever else is rendered), which is all the standing proxies need.

Output (default $BACKCARE_SYNTH_CACHE or /work/synth-work/accuracy, outside the repo):
DIR/<set>/img/<id>.jpg, DIR/<set>/mask/<id>.png and DIR/<set>/meta.jsonl
(one JSON line per image: pose, body, camera, exact angles ``gt``). Re-running resumes.

The evaluation sets (EVAL_SETS: eval, stands_eval, eval2 to eval6) and stands_dev share no
body or seed with any training set: each set draws its bodies from its own random stream
(seeds in SEEDS; eval 14_002) and every image's own generator is seeded from its set and
id. Ranges follow issue 14: forward bends 10-130 deg of total flexion, rotations 5-50,
side bends 5-40, extensions 5-40, standing with flat to hyper lordosis and kyphosis;
both sexes, ages ~20-80, BMI ~18-40 (anny's weight 0.05-0.95), camera yaw 0-60 off the
view the bot asks for, pitch -10..25, distance 1.5-3.5 m, phone focal lengths 24-28 mm
(main camera) and some 48-52 mm (2x) from afar; half the files carry the 35 mm focal
length in EXIF (sent as documents), half do not (Telegram's compressed photos).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

SYNTH_TOOL = Path(os.environ.get("SYNTH_TOOL", "/work/shared/tools/synth"))
DEFAULT_OUT = Path(os.environ.get("BACKCARE_SYNTH_CACHE", "/work/synth-work/accuracy"))
RESTART_EVERY = 800  # photos a process renders before it starts afresh (memory)
W, H = 720, 960  # a phone's 3:4 portrait, downsized (BlazePose sees 256 px anyway)
SEEDS = {
    "train": 14_001,
    "eval": 14_002,
    "train2": 14_003,
    "train3": 14_004,
    "train4": 14_005,
    "twists": 14_006,
    "twists2": 14_007,
    "twists3": 14_008,
    "twists4": 14_009,
    "stands": 14_010,
    "bends": 14_011,
    "bends2": 14_012,
    "stands2": 14_013,
    "stands3": 14_014,
    "stands4": 14_015,
    "stands_eval": 14_016,
    "eval2": 14_017,
    "eval3": 14_018,
    "stands_dev": 14_019,
    "stands5": 14_020,
    "stands6": 14_021,
    "stands7": 14_022,
    "stands8": 14_023,
    "stands9": 14_024,
    "stands10": 14_025,
    "eval4": 14_026,
    "twists5": 14_027,
    "twists6": 14_028,
    "eval5": 14_029,
    "eval6": 14_030,
}
# each set's default size (photos); train3 and train4: more of the first set's kind, other
# bodies, enough photos per movement to fit more features (the first set has ~150 of each)
SIZES = {
    "train": 900,
    "eval": 660,
    "train2": 450,
    "train3": 1200,
    "train4": 1200,
    "twists": 600,
    "twists2": 600,
    "twists3": 600,
    "twists4": 600,
    "stands": 900,
    "bends": 1200,
    "bends2": 1200,
    "stands2": 1200,
    "stands3": 1200,
    "stands4": 1200,
    "stands_eval": 1200,
    "eval2": 900,
    "eval3": 900,
    "stands_dev": 600,
    "stands5": 1200,
    "stands6": 1200,
    "stands7": 1200,
    "stands8": 1200,
    "stands9": 1200,
    "stands10": 1200,
    "eval4": 900,
    "twists5": 600,
    "twists6": 600,
    "eval5": 900,
    "eval6": 900,
}
# train2: more training bends with the hip, lumbar and thoracic parts drawn independently
# (hinges with a straight back, deep bends with both), which the first set rarely had
WIDE_KINDS = ("forward_bend", "forward_bend", "extension")
KINDS = ("forward_bend", "rotation", "side_bend", "extension", "standing_side", "standing_back")
# twists to twists4: more twists alone (a twist is read from few, noisy witnesses: the
# rotation estimator needs the most examples)
TWIST_SETS = ("twists", "twists2", "twists3", "twists4", "twists5", "twists6")
# stands to stands10: people standing in profile alone (the standing proxies read a subtle
# curve, and the six-kind sets give them ~550 photos; grouped cv of the proxies still rose
# by ~0.04 of r from half to all of the first 900); stands3 to stands10 feed only the
# silhouette network (bench/synth/fit_proxies.py), not the trees (fit_estimators.py)
STAND_SETS = tuple(f"stands{i}" for i in ("", *range(2, 11)))
NETWORK_ONLY = STAND_SETS[2:]
# held apart from every fit, like eval: stands_eval, people standing in profile alone, a
# larger test of the standing proxies than eval's ~80 standing profiles within 45 deg
# eval2: the six kinds like eval, other bodies, drawn once every fit had shipped; eval3
# likewise, drawn after the second look (backcare.application.pipeline) was designed on
# the photos eval2 had questioned; eval4 likewise, drawn after the depth-flipped look
# (backcare.application.pipeline.other_looks) was designed on eval2_0153, a backward bend
# seen from behind that eval2's runs questioned on some machines and not on others
# eval5 likewise, drawn after the rotation estimator's feet witnesses (version 5 of
# vision/estimators.json) were designed; eval6 likewise, after the movement check stopped
# questioning on a trunk outside the envelope (vision.movement.misread), designed on eval5
EVAL_SETS = ("eval", "stands_eval", "eval2", "eval3", "eval4", "eval5", "eval6")
# stands_dev: people standing in profile, held apart from every fit like the evaluation sets,
# for choosing how the fitted models are used (how the network's reading is combined) so
# that choice is never made on an evaluation set
DEV_SETS = ("stands_dev",)
HELD_APART = (*EVAL_SETS, *DEV_SETS)
# bends and bends2: forward bends alone, drawn as in train (the hip-lumbar split is learnt
# from the bends: grouped cv of hip flexion on bends fell 6.4 -> 6.1 -> 5.9 deg from a
# third to two thirds to all of the first sets' 740)
BEND_SETS = ("bends", "bends2")
SET_KINDS = (
    {"train2": WIDE_KINDS}
    | dict.fromkeys(TWIST_SETS, ("rotation",))
    | dict.fromkeys((*STAND_SETS, "stands_eval", *DEV_SETS), ("standing_side",))
    | dict.fromkeys(BEND_SETS, ("forward_bend",))
)
# the view the bot asks for, per kind: side (0/180) or back/front (270/90)
FRONTAL = {"rotation": (90.0,), "side_bend": (270.0, 90.0), "standing_back": (270.0,)}
SKINS = [(0.94, 0.78, 0.66), (0.87, 0.68, 0.55), (0.72, 0.52, 0.38), (0.50, 0.34, 0.24)]
CLOTH = [(0.15, 0.2, 0.45), (0.1, 0.1, 0.1), (0.6, 0.1, 0.1), (0.2, 0.45, 0.25), (0.85, 0.85, 0.85)]
HAIR = [(0.08, 0.06, 0.05), (0.25, 0.15, 0.08), (0.55, 0.42, 0.25), (0.6, 0.6, 0.6)]


def anny_age(years: float) -> float:
    """MakeHuman's age scale: 0.1875 = 11 y, 0.5 = 25 y, 1.0 = 90 y."""
    if years <= 25:
        return 0.1875 + (years - 11) / 14 * 0.3125
    return 0.5 + (years - 25) / 65 * 0.5


def bodies(rng: np.random.Generator, n: int) -> list[dict]:
    out = []
    for i in range(n):
        years = float(rng.uniform(20, 80))
        male = i % 2 == 0
        out.append(
            {
                "gender": float(rng.uniform(0.0, 0.2) if male else rng.uniform(0.8, 1.0)),
                "age": anny_age(years),
                "muscle": float(rng.uniform(0.2, 0.8)),
                "weight": float(rng.uniform(0.05, 0.95)),
                "height": float(rng.uniform(0.2, 0.6)),
                "proportions": float(rng.uniform(0.3, 0.7)),
                "years": years,
            }
        )
    return out


def pose_for(kind: str, rng: np.random.Generator, wide: bool = False) -> dict:
    def u(a, b):
        return float(rng.uniform(a, b))

    sign = float(rng.choice([-1.0, 1.0]))
    p = {"arm_abd": u(4, 16), "elbow_flex": u(5, 25), "arm_fwd": u(-5, 10), "knee_flex": u(0, 6)}
    if kind == "forward_bend" and wide:
        hip, lumbar, thoracic = u(0, 100), u(-5, 55), u(-5, 25)
        p.update(
            hip_flex=hip,
            lumbar_flex=lumbar,
            thoracic_flex=thoracic,
            neck_flex=0.3 * (hip + lumbar) + u(-5, 10),
            thigh_tilt=0.08 * hip + u(-2, 2),
            knee_flex=u(0, 12),
            arm_fwd=u(-5, 15),
        )
    elif kind == "forward_bend":
        total = u(10, 130)
        lumbar = min(55.0, total * u(0.15, 0.45))
        thoracic = min(25.0, total * u(0.0, 0.2))
        hip = total - lumbar - thoracic
        p.update(
            hip_flex=hip,
            lumbar_flex=lumbar,
            thoracic_flex=thoracic,
            neck_flex=0.3 * total + u(-5, 10),
            thigh_tilt=0.08 * hip + u(-2, 2),
            knee_flex=u(0, 12),
            arm_fwd=u(-5, 15),
        )
    elif kind == "rotation":
        p.update(axial_rot=sign * u(5, 50), lumbar_flex=u(-5, 5), hip_flex=u(-3, 5))
    elif kind == "side_bend":
        p.update(side_bend=sign * u(5, 40), lumbar_flex=u(-5, 5))
    elif kind == "extension":
        total = u(5, 40)
        lumbar = total * u(0.5, 0.85)
        p.update(
            hip_flex=-(total - lumbar),
            lumbar_flex=-lumbar,
            thoracic_flex=u(-8, 0),
            neck_flex=u(-20, 0),
            thigh_tilt=u(-6, 0),
        )
    else:  # standing: flat (lumbar_flex +) to hyper (lumbar_flex -) lordosis, flat to round upper back
        p.update(
            lumbar_flex=u(-20, 15),
            thoracic_flex=u(-10, 25),
            hip_flex=u(-8, 8),
            neck_flex=u(-5, 20),
            thigh_tilt=u(-3, 3),
        )
    return p


def items(set_name: str, n: int) -> list[dict]:
    rng = np.random.default_rng(SEEDS[set_name])
    people = bodies(rng, max(8, n // 6))
    out: list[dict[str, Any]] = []
    kinds = SET_KINDS.get(set_name, KINDS)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        off = float(rng.uniform(0, 60))
        if kind in FRONTAL:
            square = float(rng.choice(FRONTAL[kind]))
            az = square + float(rng.choice([-1, 1])) * off
        else:
            square = float(rng.choice([0.0, 180.0]))
            az = square + float(rng.choice([-1, 1])) * off
        dist = float(rng.uniform(1.5, 3.5))
        focal = (
            float(rng.choice([24.0, 26.0, 26.0, 28.0]))
            if dist < 3.0
            else float(rng.choice([24.0, 26.0, 28.0, 50.0]))
        )
        out.append(
            {
                "id": f"{set_name}_{i:04d}",
                "set": set_name,
                "kind": kind,
                "body_id": int(rng.integers(len(people))),
                "params": pose_for(kind, rng, wide=set_name == "train2"),
                "az": az % 360.0,
                "yaw_off_view": off,
                "pitch": float(rng.uniform(-10, 25)),
                "dist": dist,
                "focal_35mm": focal,
                "exif": bool(i % 2 == 0),
            }
            | {"body": None}
        )
        out[-1]["body"] = people[out[-1]["body_id"]]
    return out


def yfov_of(focal_35mm: float) -> float:
    """Vertical field of view of a 3:4 portrait phone photo (long side vertical)."""
    long_side = 43.27 * 0.8  # 35 mm-equivalent diagonal split 4:3
    return math.degrees(2 * math.atan(long_side / 2 / focal_35mm))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    for name, size in SIZES.items():
        ap.add_argument(f"--{name}", type=int, default=size)
    # e.g. only the standing profiles of the six-kind sets, to re-measure the standing
    # proxies without rendering the rest (each photo is the same whatever else is rendered)
    ap.add_argument("--kind", choices=KINDS, action="append", help="render only these kinds")
    a = ap.parse_args()
    sys.path.insert(0, str(SYNTH_TOOL))
    os.environ.setdefault("SYNTH_HOME", "/work/synth-work")
    from PIL import Image
    from synth_lib import (
        Renderer,
        Synth,
        add_face_and_hair,
        camera_for,
        composite,
        make_background,
        project,
    )

    todo = {name: items(name, getattr(a, name)) for name in SEEDS}
    train_bodies = {
        json.dumps(b["body"], sort_keys=True)
        for name in todo
        if name not in HELD_APART
        for b in todo[name]
    }
    for name in HELD_APART:
        assert not any(json.dumps(b["body"], sort_keys=True) in train_bodies for b in todo[name])
    if a.kind:  # after the check, which holds over every photo, not only those rendered now
        todo = {name: [it for it in its if it["kind"] in a.kind] for name, its in todo.items()}
    files = {}
    done: set[str] = set()
    for name in todo:
        folder = a.out / name
        (folder / "img").mkdir(parents=True, exist_ok=True)
        (folder / "mask").mkdir(parents=True, exist_ok=True)
        meta = folder / "meta.jsonl"
        if meta.exists():
            done |= {json.loads(line)["id"] for line in meta.read_text().splitlines() if line}
        files[name] = meta.open("a")
    # interleave the two sets so a partial run leaves both usable
    queue = [it for pair in zip(todo["train"], todo["eval"], strict=False) for it in pair]
    queue += todo["train"][len(todo["eval"]) :] + todo["eval"][len(todo["train"]) :]
    queue += [it for name in todo if name not in ("train", "eval") for it in todo[name]]
    S, R = Synth(), Renderer(W, H)
    t0 = time.time()
    rendered = 0
    for n, it in enumerate(queue):
        if it["id"] in done:
            continue
        if rendered == RESTART_EVERY:
            # the renderer's process grows by ~4 MB a photo: start afresh (it resumes)
            for f in files.values():
                f.close()
            print(f"{n}/{len(queue)}: {rendered} rendered, restarting", flush=True)
            os.execv(sys.executable, [sys.executable, *sys.argv])
        rendered += 1
        rng = np.random.default_rng(zlib.crc32(it["id"].encode()))
        s = S.make(it["params"], {k: v for k, v in it["body"].items() if k != "years"})
        yfov = yfov_of(it["focal_35mm"])
        dist = it["dist"]
        for _ in range(20):  # step back until the whole body is in the frame, as a patient would
            M, K = camera_for(s["V"], it["az"], it["pitch"], dist, yfov, W, H)
            uv, _ = project(s["V"][::25], M, K)
            if (
                uv[:, 0].min() > 0.03 * W
                and uv[:, 0].max() < 0.97 * W
                and (uv[:, 1].min() > 0.03 * H and uv[:, 1].max() < 0.97 * H)
            ):
                break
            dist += 0.15
        skin = np.array(SKINS[rng.integers(len(SKINS))]) * rng.uniform(0.9, 1.05)
        cloth = np.array(CLOTH[rng.integers(len(CLOTH))])
        top = None if rng.uniform() < 0.5 else np.array(CLOTH[rng.integers(len(CLOTH))])
        col = S.vertex_colors(skin, cloth, top)
        col = add_face_and_hair(
            col, s, S.labels, hair=HAIR[rng.integers(len(HAIR))], bald=rng.uniform() < 0.15
        )
        color, depth = R.render(s["V"], S.faces, col, M, K, yfov)
        img, mask = composite(color, depth, make_background(rng, W, H), rng)
        folder = a.out / it["set"]
        picture = Image.fromarray(img)
        if it["exif"]:
            exif = Image.Exif()
            exif.get_ifd(0x8769)[0xA405] = int(round(it["focal_35mm"]))
            picture.save(folder / "img" / f"{it['id']}.jpg", quality=90, exif=exif)
        else:
            picture.save(folder / "img" / f"{it['id']}.jpg", quality=90)
        Image.fromarray(mask * 255).save(folder / "mask" / f"{it['id']}.png")
        names = list(s["J"])
        uvj, _zj = project(np.array([s["J"][k] for k in names]), M, K)
        ys, _xs = np.nonzero(mask)
        rec = dict(it)
        rec.update(
            dist=dist,
            yfov=yfov,
            W=W,
            H=H,
            K=K.tolist(),
            cam_to_world=M.tolist(),
            joints3d={k: s["J"][k].tolist() for k in names},
            joints2d={k: uvj[i].tolist() for i, k in enumerate(names)},
            person_frac=float((ys.max() - ys.min()) / H) if len(ys) else 0.0,
            gt=s["gt"],
        )
        files[it["set"]].write(json.dumps(rec) + "\n")
        files[it["set"]].flush()
        if n % 25 == 0:
            print(f"{n}/{len(queue)} {it['id']} {time.time() - t0:.0f}s", flush=True)
    print(f"done {len(queue)} in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
