"""The clinical validation suite as a table: each case history played as a patient of the bot.

    .venv/bin/python bench/clinical.py [--lang en|ja] [--photos] [--cases DIR]

Every case of tests/clinical/cases (a story from the literature as interview answers,
the expected triage, program, advice, optionally photos and a top cause; see
tests/clinical/suite.py) goes through the real dialogs and the real pipeline. Prints
one row per case (expected and got: urgency, program, advice, top cause; the verdict)
and the agreement: red-flag cases at the right urgency (the target is 100%, none
under-graded), all cases' urgency, the inflammatory cases' rheumatology advice, the
whole outcome, and the top cause where a case names one.

Answers only by default (the photo steps are skipped, as the test suite does);
--photos starts the photo workers and sends each case's photos (cases name them in
``photos:``, files next to the case; they may be rendered with ../shared/tools/synth).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from backcare.interview import InterviewRegistry  # noqa: E402
from backcare.pipeline import Pipeline  # noqa: E402
from tests.clinical.suite import (  # noqa: E402
    CASES,
    INTERVIEW_PATH,
    Case,
    Outcome,
    load_cases,
    run_case,
    severity,
    verdict,
)


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100.0 * hits / total:.0f}%)" if total else "n/a (no case)"


def row(case: Case, outcome: Outcome, ms: float) -> str:
    exp = case.expected
    advice = lambda kinds: ",".join(kinds) or "-"  # noqa: E731
    top = f"{case.expected_top_cause or '-'}/{outcome.top_cause or '-'}"
    return (
        f"{case.id:38} {exp.urgency:>9} {outcome.urgency:>9} "
        f"{'y' if exp.program else 'n'}/{'y' if outcome.program else 'n'}  "
        f"{advice(exp.advice):>16} {advice(outcome.advice):>28}  {top:>36} "
        f"{ms:6.0f}  {verdict(case, outcome)}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lang", default="en", choices=["en", "ja"])
    p.add_argument("--photos", action="store_true", help="analyse the cases' photos (workers)")
    p.add_argument("--cases", default=str(CASES), help="folder of case files")
    args = p.parse_args(argv)

    cases = load_cases(Path(args.cases))
    registry = InterviewRegistry(INTERVIEW_PATH)
    pipeline = Pipeline.create(workers=1) if args.photos else None
    print(
        f"{'case':38} {'expected':>9} {'got':>9} prog  {'advice expected':>16} "
        f"{'advice got':>28}  {'top cause expected/got':>36} {'ms':>6}  verdict"
    )
    outcomes: list[tuple[Case, Outcome]] = []
    try:
        for case in cases:
            start = time.perf_counter()
            outcome = run_case(case, pipeline, registry, args.lang)
            ms = 1000 * (time.perf_counter() - start)
            outcomes.append((case, outcome))
            print(row(case, outcome, ms), flush=True)
    finally:
        if pipeline is not None:
            pipeline.close()

    red = [(c, o) for c, o in outcomes if c.red_flag]
    under = [c.id for c, o in outcomes if severity(o.urgency) < severity(c.expected.urgency)]
    over = [c.id for c, o in outcomes if severity(o.urgency) > severity(c.expected.urgency)]
    inflammatory = [(c, o) for c, o in outcomes if "rheumatology" in c.expected.advice]
    named = [(c, o) for c, o in outcomes if c.expected_top_cause]
    print()
    print(f"cases                                  {len(outcomes)} ({len(red)} with red flags)")
    print(
        "red-flag cases at the right urgency    "
        + share(sum(o.urgency == c.expected.urgency for c, o in red), len(red))
        + "   (target 100%)"
    )
    print(f"under-graded (less urgent than due)    {len(under)} {' '.join(under)}")
    print(f"over-graded (more urgent than due)     {len(over)} {' '.join(over)}")
    print(
        "urgency, all cases                     "
        + share(sum(o.urgency == c.expected.urgency for c, o in outcomes), len(outcomes))
    )
    print(
        "inflammatory: rheumatology + program   "
        + share(
            sum("rheumatology" in o.advice and o.program for c, o in inflammatory),
            len(inflammatory),
        )
    )
    print(
        "whole outcome agrees                   "
        + share(sum(verdict(c, o) == "agree" for c, o in outcomes), len(outcomes))
    )
    print(
        "top cause (cases that name one)        "
        + share(sum(o.top_cause == c.expected_top_cause for c, o in named), len(named))
    )
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
