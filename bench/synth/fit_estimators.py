"""Fit vision's estimators to the exact truth of the training renders.

    .venv/bin/pip install scikit-learn==1.9.1                # the 'fit' extra: for fitting only
    # analyse the training photos
    for s in train train2 train3 train4 twists twists2 twists3 twists4 twists5 twists6 stands stands2 bends bends2
    do .venv/bin/python bench/vision_accuracy.py --set $s; done
    # fit (17 minutes on 2 cores with --jobs 2)
    .venv/bin/python bench/synth/fit_estimators.py [--cache DIR] [--out FILE] [--jobs N]
    # or refit one estimator, keeping the others as shipped (its movement's renders alone:
    # e.g. the twists, render_accuracy_sets.py --kind rotation)
    .venv/bin/python bench/synth/fit_estimators.py --only trunk_rotation

Reads DIR/results-<set>.jsonl of every training set (what the product's analysis saw
on each training photo, with the truth). For each measurement it cross-validates, 5-fold
grouped by body (no body in both halves), a ridge regression on standardised features
(vision.estimators.features; the ridge strength picked by the folds) and gradient-boosted
trees, alone or on the ridge line's residuals (each of TREE_SETTINGS; the line only where
it earns LINE_GAIN; the smallest size within TREE_SLACK of the best), keeps the one with
the smaller root-mean-square error, and writes its parameters with the out-of-fold
residual sd per view bin. Deterministic: same input, same file, with any --jobs. The
evaluation set is never read here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from backcare.vision.back import PROFILE_LEVELS  # noqa: E402
from backcare.vision.estimators import (  # noqa: E402
    VIEW_BINS,
    Trees,
    features,
    nodes_of,
    ridge_of,
    view_error,
)
from backcare.vision.view import off_side  # noqa: E402
from bench.synth.render_accuracy_sets import HELD_APART, NETWORK_ONLY, SEEDS  # noqa: E402
from bench.vision_accuracy import CACHE  # noqa: E402

VERSION = "5"
# every set but those held apart (evaluation, development) and the sets rendered after
# version 4 for the proxies' network alone (bench/synth/fit_proxies.py), so that a rebuilt
# cache refits this file byte for byte
TRAINING_SETS = tuple(name for name in SEEDS if name not in (*HELD_APART, *NETWORK_ONLY))
# sets rendered after version 4 for one estimator alone: the others learn as before, so a
# rebuilt cache refits them byte for byte
ONLY_FOR = {"twists5": "trunk_rotation", "twists6": "trunk_rotation"}
ALPHAS = (0.1, 1.0, 3.0, 10.0, 30.0, 100.0)
# boosted trees' settings tried, each on the same folds, smallest first: (trees, rate,
# depth). The smallest within TREE_SLACK of the best cross-validated error is kept: every
# worker holds the trees, and a bigger ensemble must earn its size (grouped cv of the
# twists, MAE, exploratory: 6.7 / 6.1 / 5.9 deg for the three; the choice itself is on
# the root-mean-square error of the fit's own folds; with a 2% slack instead, the bends'
# estimators took 300 trees for 2-3% and a worker held 1.7 MB of trees, not 0.9)
TREE_SETTINGS = ((100, 0.1, 3), (300, 0.05, 4), (500, 0.05, 5))
TREE_SLACK = 0.05
# a ridge line under the trees is kept only where it lowers the cross-validated error by
# more than this share: it extrapolates where the trees alone cannot, so it must earn it
# (hip flexion 2%; the standing proxies and thoracic flexion 0.06-0.3%, a coin's toss, and
# there the line had moved the clinical fixtures' standing lordosis 2.9 deg low)
LINE_GAIN = 0.01
SAG = ("trunk_inclination", "trunk_thigh_angle", "hip_extension", "knee_flexion", "head_forward")
COMMON = (
    *SAG,
    "off",
    "pitch",
    "trunk_thigh*off",
    "contour",
    "lumbar_contour",
    "thoracic_contour",
    "slope_S2",
    "slope_junction",
    "slope_T1",
    "contour*trunk_thigh",
    "mp_neck",
    "mp_trunk_thigh",
    "mp_nose_drop",
)
# the outline's profile down to the thighs: what splits a bend between hip and lumbar spine,
# and what the standing proxies read the curves from (with the 900 standing photos of
# `stands`, grouped cv on standing photos up to 45 deg off the side, trees: lordosis r
# 0.66 -> 0.72, kyphosis 0.64 -> 0.70, pelvic tilt 0.39 -> 0.50 against COMMON alone; on
# the first two sets' 120 photos it had made kyphosis worse, 5.3 -> 5.8 deg)
PROFILE = tuple(f"{kind}{level:+.2f}" for level in PROFILE_LEVELS for kind in ("profile", "seen"))
BENDS = (*COMMON, *PROFILE)
# the whole trunk and legs: the view's and the pose's own curvature of the error too
TRUNK = (*BENDS, "incl*off", "incl*pitch", "thigh*off", "incl^2", "trunk_thigh^2", "off^2")
FRONTAL = (
    "lateral_bend",
    "lateral_bend*off",
    "shoulder_level",
    "pelvis_level",
    "trunk_rotation",
    "trunk_rotation*off",
    "shoulder_knee_rotation",
    "shoulder_knee_rotation*off",
    "mediapipe_rotation",
    "mediapipe_rotation*off",
    "width_ratio",
    "width_rotation",
    "width_rotation*off",
    "shoulder_width",
    "hip_width",
    "off",
    "pitch",
)
TWIST = (
    "trunk_rotation",
    "mediapipe_rotation",
    "shoulder_knee_rotation",
    "width_rotation",
    "off",
    "trunk_rotation*off",
    "shoulder_knee_rotation*off",
    "mediapipe_rotation*off",
    # the shoulders' and hips' own widths and levels: with trees, what the width ratio
    # alone cannot say (cv on the twists of train, train3 and train4: 8.1 -> 7.4 deg)
    "shoulder_width",
    "hip_width",
    "width_ratio",
    "shoulder_level",
    "pelvis_level",
    "lateral_bend",
    "pitch",
    # the camera's side of the pelvis from the feet, and the turns the shoulders' width
    # allows from there (vision.estimators._feet_witnesses): the first witnesses of the
    # twist's side that do not come from depth; and the view's yaw over the feet's (grouped
    # cv of 300 trees on the 4097 twists of version 5: MAE 5.94 -> 5.33 -> 5.19 deg, errors
    # over 15 deg 231 -> 173 -> 120)
    "yaw_side",
    "feet_along",
    "feet_off",
    "twist_wide",
    "twist_narrow",
    "view_over_feet",
)
SAGITTAL_KINDS = ("forward_bend", "extension", "standing_side")
UPRIGHTISH = ("standing_side", "extension")
# target -> (plane, kinds trained on, features, needs a contour, emitted like)
SPECS = {
    "hip_flexion": (
        "sagittal",
        ("forward_bend", "extension", "standing_side"),
        BENDS,
        False,
        "trunk_thigh_angle",
    ),
    "lumbar_flexion": (
        "sagittal",
        ("forward_bend", "extension", "standing_side"),
        BENDS,
        False,
        "trunk_thigh_angle",
    ),
    "thoracic_flexion": (
        "sagittal",
        ("forward_bend", "extension", "standing_side"),
        BENDS,
        False,
        "trunk_thigh_angle",
    ),
    "trunk_inclination": ("sagittal", SAGITTAL_KINDS, TRUNK, False, ""),
    "trunk_thigh_angle": ("sagittal", SAGITTAL_KINDS, TRUNK, False, ""),
    # knee_flexion is not fitted: the renders bend the knees 0-12 deg only, too narrow a
    # truth to learn a slope from (a fit shrank real photos' bent knees by 14 deg)
    # rotation: learnt on twists only (on side bends and standing the witnesses misfire, and
    # fitting those to 0 halves the slope on real twists: cv MAE 17 vs 9 on rotations)
    "trunk_rotation": ("transverse", ("rotation",), TWIST, False, ""),
    "lateral_bend": ("frontal", ("side_bend", "rotation", "standing_back"), FRONTAL, False, ""),
    # the contour proxies are reported standing; extensions and bends widen what they learn from
    "pelvic_tilt": ("sagittal", UPRIGHTISH, BENDS, True, ""),
    "lumbar_lordosis": ("sagittal", UPRIGHTISH, BENDS, True, ""),
    "thoracic_kyphosis": ("sagittal", UPRIGHTISH, BENDS, True, ""),
}
# measurements kept as read: their residual sd per view bin
# (none at present: every measurement with a rendered truth has its estimator)
DIRECT: dict[str, tuple[str, tuple[str, ...]]] = {}


def rows(records: list[dict], kinds: tuple[str, ...], target: str) -> list[dict]:
    return [
        r
        for r in records
        if r["kind"] in kinds
        and r.get("angles")
        and target in r["truth"]
        and "landmarks" in r
        and ONLY_FOR.get(r["id"].rsplit("_", 1)[0], target) == target
    ]


def feature_of(r: dict) -> dict[str, float]:
    lm = r["landmarks"]
    return features(
        r["angles"],
        r["view_est"]["yaw"],
        r["view_est"]["pitch"],
        r.get("back"),
        np.array(lm["world"]),
        np.array(lm["pixel"]),
    )


def ridge(x: np.ndarray, y: np.ndarray, alpha: float):
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    b = y.mean()
    coef = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - b))
    return mean, scale, coef, float(b)


def line_at(x: np.ndarray, fitted) -> np.ndarray:
    """A ridge() fit's readings of the rows of x."""
    mean, scale, coef, b = fitted
    return ((x - mean) / scale) @ coef + b


def boosted(x: np.ndarray, y: np.ndarray, setting: tuple[int, float, int]):
    """Gradient-boosted regression trees with one of TREE_SETTINGS (chosen on the training
    folds, never on the evaluation set): shallow trees, a slow rate and row subsampling,
    seeded (deterministic)."""
    from sklearn.ensemble import GradientBoostingRegressor  # the fitting's only extra need

    return GradientBoostingRegressor(
        n_estimators=setting[0],
        learning_rate=setting[1],
        max_depth=setting[2],
        subsample=0.8,
        random_state=0,
    ).fit(x, y)


def export_trees(model, x: np.ndarray) -> dict:
    """The fitted ensemble as vision.estimators.Trees reads it (every tree padded to one
    width, all their nodes in one string of numbers: parsed straight into one array, a
    worker keeps no trace of the parse), checked against scikit-learn's own prediction on
    the training photos."""
    trees = []
    for est in model.estimators_[:, 0]:
        t = est.tree_
        nodes = np.column_stack(
            [t.feature, t.threshold, t.children_left, t.children_right, t.value[:, 0, 0]]
        )
        nodes[t.children_left < 0, :2] = 0.0  # leaves: no feature, no threshold
        # thresholds to the largest single-precision number at or below them: the trees
        # compare single-precision features, for which that decides exactly alike (and
        # the product holds the trees in single precision)
        down = nodes[:, 1].astype(np.float32)
        over = down.astype(np.float64) > nodes[:, 1]
        down[over] = np.nextafter(down[over], np.float32(-np.inf))
        nodes[:, 1] = down
        # leaves to 1e-6 deg (single precision then keeps about 7 digits of them)
        nodes[:, 4] = np.round(nodes[:, 4], 6)
        trees.append(nodes)
    base = float(model.init_.constant_.ravel()[0])
    rate = float(model.learning_rate)
    shipped = Trees.stack(base, rate, trees)
    # each number the shortest text that reads back as the same single-precision value
    text = " ".join(
        np.format_float_positional(v, unique=True, trim="-") for v in shipped.nodes.ravel()
    )
    exported = {"base": base, "rate": rate, "shape": list(shipped.nodes.shape[:2]), "nodes": text}
    assert np.array_equal(nodes_of(exported, x.shape[1]), shipped.nodes), (
        "the text does not read back"
    )
    ours = np.array([shipped.predict(row) for row in x])
    assert np.allclose(ours, model.predict(x), atol=1e-3), "exported trees disagree"
    return exported


def dumps(params: dict) -> str:
    """Indented JSON, keys sorted (each estimator's trees are one line of numbers)."""
    return json.dumps(params, indent=1, sort_keys=True) + "\n"


def folds(records: list[dict], k: int = 5) -> np.ndarray:
    """Fold of each record, grouped by body (json of the body parameters)."""
    keys = sorted({json.dumps(r["body"], sort_keys=True) for r in records})
    fold_of = {key: i % k for i, key in enumerate(keys)}
    return np.array([fold_of[json.dumps(r["body"], sort_keys=True)] for r in records])


def binned_sd(resid: np.ndarray, view_err: np.ndarray) -> list[float]:
    out: list[float] = []
    lo = 0.0
    # gross failures (a limb mislabelled, a wrapped angle) are the envelope's to catch: the
    # sd describes the usual error, residuals clipped at 3 robust sd
    robust = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    resid = np.clip(resid, -3 * robust, 3 * robust) if robust > 0 else resid
    overall = float(np.sqrt(np.mean(resid**2)))
    for hi in VIEW_BINS:
        sel = (view_err >= lo) & (view_err < hi)
        # few photos in a bin: lean on the overall spread
        n = int(sel.sum())
        sd = float(np.sqrt((np.sum(resid[sel] ** 2) + 5 * overall**2) / (n + 5)))
        out.append(round(sd, 2))
        lo = hi
    return out


def kinds_sd(resid: np.ndarray, view_err: np.ndarray, kinds: list[str]) -> list[float]:
    """The spread per view bin of the movement it errs most on: a reading is as uncertain
    as on the photos that are hard for it (many easy photos of one kind, e.g. twists
    teaching the lateral bend, must not narrow it for side bends: 1.5 claimed against a
    2.1 deg mean error before)."""
    kind = np.array(kinds)
    spreads = [
        binned_sd(resid[kind == k], view_err[kind == k])
        for k in sorted(set(kinds))
        if (kind == k).sum() >= 20
    ]
    return [max(bins) for bins in zip(*spreads, strict=True)]


GROSS_DEG = 25.0


def pose_failed(r: dict) -> bool:
    """BlazePose lost the body (the trunk's line off by more than GROSS_DEG, e.g. a deep
    bend read upside down): such photos teach a least-squares fit nothing but their error.
    At run time the envelope and the gates deal with them."""
    a, t = r["angles"], r["truth"]
    off = abs(a["trunk_inclination"] - t.get("trunk_inclination", a["trunk_inclination"]))
    return off > GROSS_DEG


_RECORDS: list[dict] = []  # the training records, shared with forked fitting processes


def fit(records: list[dict], jobs: int = 1, only: tuple[str, ...] = ()) -> dict:
    """Every estimator of SPECS, or those in ``only`` (in processes of their own with
    ``jobs`` > 1; the file is the same either way), and the residual spread of the DIRECT
    readings."""
    global _RECORDS
    out: dict = {"version": VERSION, "estimators": {}, "direct": {}, "training": {}}
    _RECORDS = records
    targets = [target for target in SPECS if not only or target in only]
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            fitted = pool.map(_fit_shared, targets, chunksize=1)
    else:
        fitted = [_fit_shared(target) for target in targets]
    for target, result in zip(targets, fitted, strict=True):
        if result is not None:
            out["estimators"][target], out["training"][target], summary = result
            print(summary)
    for name, (plane, kinds) in DIRECT.items():
        rs = [r for r in rows(records, kinds, name) if r["accepted"] and name in r["measured"]]
        if len(rs) < 20:
            continue
        resid = np.array([r["measured"][name][0] - r["truth"][name] for r in rs])
        verr = np.array([view_error(plane, off_side(r["view_est"]["yaw"])) for r in rs])
        out["direct"][name] = {"plane": plane, "sd_by_view": binned_sd(resid, verr)}
    return out


def _fit_shared(target: str) -> tuple[dict, dict, str] | None:
    return fit_target(target, _RECORDS)


def fit_target(target: str, records: list[dict]) -> tuple[dict, dict, str] | None:
    """One estimator: its parameters, its training summary and a line of printout."""
    plane, kinds, names, contour, like = SPECS[target]
    rs = [
        r
        for r in rows(records, kinds, target)
        if (not contour or (r.get("back") or {}).get("lumbar") is not None) and not pose_failed(r)
    ]
    if len(rs) < 20:
        print(f"{target}: only {len(rs)} training photos, skipped", file=sys.stderr)
        return None
    x = np.array([[feature_of(r)[n] for n in names] for r in rs])
    y = np.array([r["truth"][target] for r in rs])
    fold = folds(rs)
    best: tuple[float, float, np.ndarray] | None = None
    for alpha in ALPHAS:
        pred = np.zeros_like(y)
        for k in range(fold.max() + 1):
            tr, te = fold != k, fold == k
            pred[te] = line_at(x[te], ridge(x[tr], y[tr], alpha))
        rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
        if best is None or rmse < best[0]:
            best = (rmse, alpha, pred)
    assert best is not None
    rmse, alpha, pred = best
    # boosted trees, on the same folds, on the truth and on what the ridge line leaves
    # (the line carries a wide linear trend the trees alone follow in steps: grouped cv
    # of hip flexion on forward bends, 100 trees of depth 3, MAE 7.6 -> 7.2 deg); per
    # size the trees alone unless the line earns LINE_GAIN, and the smallest size within
    # TREE_SLACK of the best
    # each fold's line, fitted once: its readings of the fold's own photos and the others
    lines = []
    for k in range(fold.max() + 1):
        tr, te = fold != k, fold == k
        fitted_line = ridge(x[tr], y[tr], alpha)
        lines.append((line_at(x[tr], fitted_line), line_at(x[te], fitted_line)))
    tree_runs = []
    for setting in TREE_SETTINGS:
        runs = []
        for on_line in (False, True):
            tree_pred = np.zeros_like(y)
            for k in range(fold.max() + 1):
                tr, te = fold != k, fold == k
                line_tr, line_te = lines[k] if on_line else (0.0, 0.0)
                fitted = boosted(x[tr], y[tr] - line_tr, setting)
                tree_pred[te] = line_te + fitted.predict(x[te])
            runs.append(
                (float(np.sqrt(np.mean((tree_pred - y) ** 2))), setting, on_line, tree_pred)
            )
        alone, on_a_line = runs
        tree_runs.append(on_a_line if on_a_line[0] < alone[0] * (1 - LINE_GAIN) else alone)
    best_trees = min(run[0] for run in tree_runs)
    boosted_rmse, setting, on_line, boosted_pred = next(
        run for run in tree_runs if run[0] <= best_trees * (1 + TREE_SLACK)
    )
    use_trees = boosted_rmse < rmse
    if use_trees:
        pred = boosted_pred
    # photos outside their training fold's feature range: at run time the estimator is
    # not applied to them (Estimator.covers) and the geometric reading stays; the cv
    # figures above assume it was (printed, not stored)
    outside = np.zeros(len(y), dtype=bool)
    for k in range(fold.max() + 1):
        tr, te = fold != k, fold == k
        lo, hi = x[tr].min(0), x[tr].max(0)
        slack = 0.05 * (hi - lo)
        outside[te] = ((x[te] < lo - slack) | (x[te] > hi + slack)).any(1)
    verr = np.array([view_error(plane, off_side(r["view_est"]["yaw"])) for r in rs])
    model: dict = {}
    if not use_trees or on_line:
        mean, scale, coef, b = ridge(x, y, alpha)
        model = {
            "model": "ridge",
            "mean": np.round(mean, 6).tolist(),
            "scale": np.round(scale, 6).tolist(),
            "coef": np.round(coef, 6).tolist(),
            "intercept": round(b, 6),
            "alpha": alpha,
        }
    if use_trees:
        # the trees learn what the shipped (rounded) line leaves
        left = y
        if on_line:
            line = ridge_of(model)
            left = y - np.array([line.predict(row) for row in x])
        model |= {
            "model": "ridge+trees" if on_line else "trees",
            "trees": export_trees(boosted(x, left, setting), x),
        }
    estimator = {
        "plane": plane,
        "features": list(names),
        **model,
        "sd_by_view": kinds_sd(pred - y, verr, [r["kind"] for r in rs]),
        "needs_contour": contour,
        "like": like,
        "low": np.round(x.min(0), 4).tolist(),
        "high": np.round(x.max(0), 4).tolist(),
    }
    r_cv = float(np.corrcoef(pred, y)[0, 1])
    training = {
        "photos": len(rs),
        "kinds": list(kinds),
        "cv_mae": round(float(np.mean(np.abs(pred - y))), 2),
        "cv_r": round(r_cv, 3),
        "truth_range": [round(float(y.min()), 1), round(float(y.max()), 1)],
    }
    kind = (
        f"{'line+' if on_line else ''}trees {setting[0]}/{setting[1]:g}/{setting[2]}"
        if use_trees
        else f"ridge alpha={alpha:5}"
    )
    summary = (
        f"{target:18} n={len(rs):4d} {kind:17} (cv rmse ridge {rmse:5.2f}, trees "
        f"{' / '.join(f'{run[0]:.2f}' for run in tree_runs)}) cv MAE {np.mean(np.abs(pred - y)):5.2f} "
        f"r {r_cv:.3f} (outside the fold's range: {outside.mean():.1%})"
    )
    return estimator, training, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", type=Path, default=REPO / "vision" / "estimators.json")
    ap.add_argument("--jobs", type=int, default=1, help="estimators fitted at once")
    ap.add_argument(
        "--only",
        action="append",
        choices=sorted(SPECS),
        default=[],
        help="refit only this estimator (repeatable); the others stay as --out has them, "
        "so only its movement's renders need be in the cache",
    )
    a = ap.parse_args()
    records = []
    for name in TRAINING_SETS:
        src = a.cache / f"results-{name}.jsonl"
        if src.exists():
            records += [json.loads(line) for line in src.read_text().splitlines() if line]
    # one record per photo (an interrupted and resumed analysis can leave a photo twice)
    records = list({r["id"]: r for r in records}.values())
    # the estimators learn from the readings before any fitting: refit on fresh results
    params = fit(records, a.jobs, tuple(a.only))
    params["data"] = {
        "source": "bench/synth/render_accuracy_sets.py (" + ", ".join(TRAINING_SETS) + ")",
        "photos": len(records),
    }
    if a.only:
        kept = json.loads(a.out.read_text(encoding="utf-8"))
        for part in ("estimators", "training"):
            params[part] = kept[part] | params[part]
        params["direct"] = kept["direct"]
        params["data"] = kept["data"] | {
            "refitted": {
                **kept["data"].get("refitted", {}),
                **dict.fromkeys(sorted(a.only), params["data"]),
            }
        }
    a.out.write_text(dumps(params), encoding="utf-8")
    print(f"wrote {a.out} ({a.out.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
