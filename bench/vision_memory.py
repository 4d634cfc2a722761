"""Vision worker peak memory: the current checkout against a baseline revision, alternating.

    .venv/bin/python bench/vision_memory.py [--baseline REV] [--runs N]

An optional instrument that needs ../shared/data beside the repository (the movement
photos of bench/vision.py). The candidate is this checkout as it is on disk, uncommitted
changes included; the baseline is REV (default HEAD: an A/A check of the noise), checked
out in a temporary git worktree that is removed at the end.

Each measurement is a fresh process that imports backcare from its side's tree, starts
PoseService(workers=1), warms the worker on 2 photos and sends it every movement photo
twice; it reads the worker's VmHWM (peak resident memory) after the warm-up and at the end.
The sides alternate, baseline first, N pairs: single runs vary by 5-9 MB, so the table
gives per side mean, sd, min and max, then the difference candidate - baseline with the
standard error of the N paired differences, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# No sys.path.insert of REPO here, unlike the other benches: the spawned worker imports
# this file as its main module, and REPO first on its path would hand the baseline's
# worker the checkout's backcare. Each side's tree comes in through PYTHONPATH instead.
REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
PASSES = 2


def _memory_mb(pid: int) -> dict[str, float]:
    """VmHWM and VmRSS (MB) of a running process, from /proc (Linux)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) / 1024  # kB
    return out


def _probe() -> str:
    """Runs in the worker: where the measured process took backcare.vision from."""
    import backcare.vision

    return backcare.vision.__file__ or ""


def child() -> None:
    """One measurement; prints one JSON line."""
    from backcare.vision.pool import PoseService

    manifest = json.loads((DATA / "manifest.json").read_text())
    photos = [
        (DATA / e["file"]).read_bytes() for e in manifest if e["file"].startswith("movements/")
    ]
    with PoseService(workers=1, timeout_s=120) as service:
        service.analyse_many(photos[:2])  # start and warm the worker
        pid = service.worker_pids()[0]
        assert pid is not None
        warm = _memory_mb(pid)
        for _ in range(PASSES):
            results = service.analyse_many(photos)
        end = _memory_mb(pid)
        # asked of the measured process itself (PoseService has no public door for it)
        vision = service._workers[0].executor.submit(_probe).result()
    print(
        json.dumps(
            {
                "vision": vision,
                "photos": len(photos),
                "accepted": sum(not isinstance(r, Exception) for r in results),
                "warm_hwm": warm["VmHWM"],
                "warm_rss": warm["VmRSS"],
                "hwm": end["VmHWM"],
                "rss": end["VmRSS"],
            }
        )
    )


def measure(root: Path) -> dict:
    """One fresh process with backcare imported from ``root``; its JSON line."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, __file__, "--child"], cwd=root, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement in {root} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["vision"]).resolve().is_relative_to(root.resolve()):
        raise RuntimeError(f"the worker imported {result['vision']}, not from {root}")
    return result


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _row(name: str, width: int, values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else math.nan
    return (
        f"  {name:{width}} {len(values):4} {statistics.mean(values):8.1f} {sd:6.1f}"
        f" {min(values):8.1f} {max(values):8.1f}"
    )


def report(title: str, key: str, base: list[dict], cand: list[dict], names: list[str]) -> None:
    b, c = [r[key] for r in base], [r[key] for r in cand]
    diffs = [y - x for x, y in zip(b, c)]
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.nan
    width = max(len(n) for n in names)
    print(f"\n{title}")
    print(f"  {'':{width}} {'runs':>4} {'mean':>8} {'sd':>6} {'min':>8} {'max':>8}")
    print(_row(names[0], width, b))
    print(_row(names[1], width, c))
    print(
        f"  candidate - baseline: {statistics.mean(diffs):+.1f} +- {se:.1f} MB (standard error"
        f" of {len(diffs)} paired differences), ratio {statistics.mean(c) / statistics.mean(b):.4f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare against")
    parser.add_argument("--runs", type=int, default=5, help="pairs of alternating runs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 2 and not args.child:
        parser.error("--runs: at least 2 pairs (a spread needs two)")
    if not (DATA / "manifest.json").exists():
        print(f"no photos at {DATA}: this bench needs ../shared/data", file=sys.stderr)
        return 2
    if args.child:
        child()
        return 0
    rev = _git("rev-parse", "--short", args.baseline)
    dirty = (
        " + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
    )
    names = [
        f"baseline {args.baseline} ({rev})",
        f"candidate {_git('rev-parse', '--short', 'HEAD')}{dirty}",
    ]
    base: list[dict] = []
    cand: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="backcare-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        _git("worktree", "add", "--detach", "--quiet", str(tree), rev)
        try:
            for i in range(args.runs):  # alternating, so drifts of the machine hit both sides
                base.append(measure(tree))
                cand.append(measure(REPO))
                print(
                    f"pair {i + 1}/{args.runs}: worker peak {base[-1]['hwm']:.1f} / {cand[-1]['hwm']:.1f} MB",
                    file=sys.stderr,
                )
        finally:
            try:
                _git("worktree", "remove", "--force", str(tree))
            except subprocess.CalledProcessError as exc:  # keep the measurement's own error
                print(f"could not remove the worktree {tree}: {exc.stderr}", file=sys.stderr)
    first = cand[0]
    print(
        f"vision worker memory: {first['photos']} movement photos x {PASSES} passes after a"
        f" 2-photo warm-up, {first['accepted']} accepted per pass; {args.runs} alternating pairs"
    )
    print(f"  baseline imports  {base[0]['vision']}\n  candidate imports {first['vision']}")
    report("Worker peak after the passes (VmHWM, MB)", "hwm", base, cand, names)
    report("Worker peak after the warm-up (VmHWM, MB)", "warm_hwm", base, cand, names)
    return 0


if __name__ == "__main__":  # spawned workers import this module: keep the work behind the guard
    sys.exit(main())
