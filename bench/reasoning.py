"""Benchmark of the abduction engine (reasoning/), in one run.

    .venv/bin/python bench/reasoning.py [--cases N] [--seed S]

Prints median and p95 milliseconds per case (top-5 explanations, whole
diagnose(): checks, costs, encoding, solving, explanations) for
  - the clinical base on generated patient cases,
  - the brute-force reference on the same base and cases, and the ratio,
  - generated bases 10x and 100x larger, and the growth with size,
  - the alternatives the engine's settings were chosen over: HiGHS alone, and
    RC2 with core minimisation forced on large instances.
Aims: clinical base < 20 ms per case, 100x base < 1 s.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backcare.reasoning import maxsat
from backcare.reasoning.abduction import Engine
from backcare.reasoning.costs import case_costs
from backcare.reasoning.knowledge import load_knowledge_base
from backcare.reasoning.model import KnowledgeBase
from tests.support import bruteforce_abduction as bruteforce
from tests.support.synthetic_bases import patient_case, scaled_base

TOP_K = 5
BUDGET_S = 5.0  # generous: the benchmark measures, it does not cut short


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def cases_for(kb: KnowledgeBase, n: int, seed: int):
    rng = random.Random(seed)
    return [patient_case(rng, kb) for _ in range(n)]


def run_engine(engine: Engine, cases) -> dict:
    times: list[float] = []
    solvers: dict[str, int] = {}
    hits, incomplete = 0, 0
    causes: list[int] = []
    engine.diagnose(cases[0][0], top_k=TOP_K, budget_s=BUDGET_S)  # warm-up (imports, first solver)
    for case, hidden in cases:
        start = time.perf_counter()
        d = engine.diagnose(case, top_k=TOP_K, budget_s=BUDGET_S)
        times.append((time.perf_counter() - start) * 1000)
        solvers[d.solver] = solvers.get(d.solver, 0) + 1
        incomplete += not d.complete
        if d.explanations and set(d.explanations[0].causes) & hidden:
            hits += 1
        causes.append(len(engine.compiled.encode(case_costs(engine.kb, case)).cause_var))
    return {
        "median": statistics.median(times),
        "p95": p95(times),
        "max": max(times),
        "solvers": solvers,
        "hits": hits / len(cases),
        "incomplete": incomplete,
        "candidates": statistics.median(causes),
    }


def run_bruteforce(kb: KnowledgeBase, cases) -> dict:
    times = []
    for case, _ in cases:
        start = time.perf_counter()
        bruteforce.explanations(kb, case)[:TOP_K]
        times.append((time.perf_counter() - start) * 1000)
    return {"median": statistics.median(times), "p95": p95(times), "max": max(times)}


def row(name: str, causes: int, n: int, r: dict, extra: str = "") -> None:
    print(
        f"{name:34s} {causes:6d} {n:6d} {r['median']:9.2f} {r['p95']:9.2f} {r['max']:9.2f}  {extra}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--cases", type=int, default=200, help="patient cases on the clinical base (default 200)"
    )
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    clinical = load_knowledge_base()
    print(
        f"abduction benchmark: top-{TOP_K} explanations per case, times in ms per case "
        f"(Python {sys.version.split()[0]})\n"
    )
    print(f"{'':34s} {'causes':>6s} {'cases':>6s} {'median':>9s} {'p95':>9s} {'max':>9s}")

    cases = cases_for(clinical, args.cases, args.seed)
    start = time.perf_counter()
    engine = Engine(clinical)
    compile_ms = (time.perf_counter() - start) * 1000
    ours = run_engine(engine, cases)
    row(
        "clinical base, engine (RC2)",
        len(clinical.causes),
        len(cases),
        ours,
        f"solvers {ours['solvers']}, incomplete {ours['incomplete']}, "
        f"top-1 shares a hidden cause {ours['hits']:.0%}, encode once {compile_ms:.2f} ms",
    )

    few = cases[:30]
    ours_few = run_engine(engine, few)
    brute = run_bruteforce(clinical, few)
    row(
        "clinical base, brute force",
        len(clinical.causes),
        len(few),
        brute,
        f"ratio brute/engine: median {brute['median'] / ours_few['median']:.0f}x, "
        f"p95 {brute['p95'] / ours_few['p95']:.0f}x (engine on these: {ours_few['median']:.2f} ms)",
    )
    saved = maxsat.MINZ_MAX_SOFT
    maxsat.MINZ_MAX_SOFT = -1  # no core minimisation at all
    try:
        nominz = run_engine(engine, cases)
    finally:
        maxsat.MINZ_MAX_SOFT = saved
    row(
        "clinical base, RC2 without minz",
        len(clinical.causes),
        len(cases),
        nominz,
        f"ratio to the engine's setting (minz on): median {nominz['median'] / ours['median']:.2f}x",
    )
    highs = run_engine(Engine(clinical, solver="milp"), cases[:60])
    row(
        "clinical base, HiGHS only",
        len(clinical.causes),
        60,
        highs,
        f"ratio HiGHS/RC2: median {highs['median'] / ours['median']:.1f}x",
    )

    print()
    growth = [(1, ours, len(clinical.causes))]
    per_factor = {3: 60, 10: 60, 30: 40, 100: 30}
    for factor, n in per_factor.items():
        base = scaled_base(clinical, factor, seed=args.seed)
        start = time.perf_counter()
        big_engine = Engine(base)
        compile_ms = (time.perf_counter() - start) * 1000
        big_cases = cases_for(base, n, args.seed + factor)
        r = run_engine(big_engine, big_cases)
        growth.append((factor, r, len(base.causes)))
        row(
            f"generated base {factor}x",
            len(base.causes),
            n,
            r,
            f"solvers {r['solvers']}, incomplete {r['incomplete']}, candidate causes/case {r['candidates']:.0f}, "
            f"{len(base.observations)} observations, encode once {compile_ms:.0f} ms",
        )
        if factor == 100:
            saved = maxsat.MINZ_MAX_SOFT
            maxsat.MINZ_MAX_SOFT = 10**9  # core minimisation on every instance
            try:
                forced = run_engine(big_engine, big_cases[:10])
            finally:
                maxsat.MINZ_MAX_SOFT = saved
            plain = run_engine(big_engine, big_cases[:10])
            row(
                "generated base 100x, RC2 minz on",
                len(base.causes),
                10,
                forced,
                f"ratio to the engine's setting on these cases: {forced['median'] / plain['median']:.1f}x",
            )
            hi = run_engine(Engine(base, solver="milp"), big_cases[:10])
            row(
                "generated base 100x, HiGHS only",
                len(base.causes),
                10,
                hi,
                f"ratio HiGHS/engine: {hi['median'] / plain['median']:.1f}x",
            )

    print("\ngrowth with base size (median ms per case)")
    print(f"{'factor':>7s} {'causes':>7s} {'median':>9s} {'x clinical':>11s}")
    for factor, r, n in growth:
        print(f"{factor:7d} {n:7d} {r['median']:9.2f} {r['median'] / ours['median']:11.1f}")
    (_, r0, n0), (_, r1, n1) = growth[0], growth[-1]
    slope = math.log(r1["median"] / r0["median"]) / math.log(n1 / n0)
    print(f"time grows like causes^{slope:.2f} from {n0} to {n1} causes")

    big = growth[-1][1]
    print("\naims:")
    print(
        f"  clinical base < 20 ms per case: median {ours['median']:.2f}, p95 {ours['p95']:.2f} -> "
        f"{'met' if ours['p95'] < 20 else 'NOT met'}"
    )
    print(
        f"  100x base < 1 s per case:       median {big['median']:.1f}, p95 {big['p95']:.1f} -> "
        f"{'met' if big['p95'] < 1000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
