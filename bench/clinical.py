"""The clinical validation suite as a table: each case history played as a patient of the bot.

    .venv/bin/python bench/clinical.py [--lang en|ja] [--photos] [--cases DIR]

Every case of tests/clinical/cases (a story from the literature as interview answers,
the expected triage, program, advice, optionally photos and a top cause; see
tests/clinical/suite.py) goes through the real dialogs and the real pipeline. Prints
one row per case (expected and got: urgency, program, advice, top cause; the verdict)
and the agreement: red-flag cases at the right urgency (the target is 100%, none
under-graded), all cases' urgency, the inflammatory cases' rheumatology advice, the
whole outcome, and the top cause where a case names one.

Answers only by default (the photo steps are skipped, as the answers-only tests do);
--photos starts the photo workers and sends each case's photos (cases name them in
``photos:``: tests/clinical/photos, rebuilt by bench/synth/render_clinical.py). Then
each row with photos also shows the causes under the headline, the photo ratings outside
the normal range, and the top cause the answers alone give (what the photos changed),
and the agreement adds: movement patterns at their expected top cause, normal movers with
no headline cause and no abnormal rating (issue 16's acceptance: both >= 90%).
--only-photos plays only the cases with photos.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from backcare.application.pipeline import Pipeline  # noqa: E402
from backcare.interview import InterviewRegistry  # noqa: E402
from backcare.kernel.languages import DEFAULT, LANGUAGES  # noqa: E402
from tests.clinical.suite import (  # noqa: E402
    CASES,
    INTERVIEW_PATH,
    Case,
    Outcome,
    load_cases,
    movement_agrees,
    movement_judged,
    run_case,
    severity,
    verdict,
)


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100.0 * hits / total:.0f}%)" if total else "n/a (no case)"


def row(case: Case, outcome: Outcome, ms: float, answers_top: str | None = None) -> str:
    exp = case.expected
    advice = lambda kinds: ",".join(kinds) or "-"  # noqa: E731
    top = f"{case.expected_top_cause or '-'}/{outcome.top_cause or '-'}"
    line = (
        f"{case.id:38} {exp.urgency:>9} {outcome.urgency:>9} "
        f"{'y' if exp.program else 'n'}/{'y' if outcome.program else 'n'}  "
        f"{advice(exp.advice):>16} {advice(outcome.advice):>28}  {top:>42} "
        f"{ms:6.0f}  {verdict(case, outcome)}"
    )
    if outcome.photos_sent:
        line += (
            f"\n{'':38}   {outcome.photos_sent} photos; headline: "
            f"{', '.join(outcome.headline) or 'none'}; abnormal: "
            f"{', '.join(outcome.abnormal) or 'none'}; top from answers alone: "
            f"{answers_top or '-'}"
        )
    return line


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lang", default=DEFAULT, choices=LANGUAGES)
    p.add_argument("--photos", action="store_true", help="analyse the cases' photos (workers)")
    p.add_argument("--only-photos", action="store_true", help="only the cases with photos")
    p.add_argument("--cases", default=str(CASES), help="folder of case files")
    args = p.parse_args(argv)
    args.photos = args.photos or args.only_photos

    cases = load_cases(Path(args.cases))
    if args.only_photos:
        cases = [c for c in cases if c.photos_in_repo]
    registry = InterviewRegistry(INTERVIEW_PATH)
    pipeline = Pipeline.create(workers=1) if args.photos else None
    print(
        f"{'case':38} {'expected':>9} {'got':>9} prog  {'advice expected':>16} "
        f"{'advice got':>28}  {'top cause expected/got':>42} {'ms':>6}  verdict"
    )
    outcomes: list[tuple[Case, Outcome]] = []
    answers_tops: dict[str, str | None] = {}  # cases with photos: the top cause without them
    try:
        for case in cases:
            start = time.perf_counter()
            outcome = run_case(case, pipeline, registry, args.lang)
            ms = 1000 * (time.perf_counter() - start)
            outcomes.append((case, outcome))
            answers_top = None
            if outcome.photos_sent:
                answers_top = run_case(case, None, registry, args.lang).top_cause
                answers_tops[case.id] = answers_top
            print(row(case, outcome, ms, answers_top), flush=True)
    finally:
        if pipeline is not None:
            pipeline.close()

    red = [(c, o) for c, o in outcomes if c.red_flag]
    under = [c.id for c, o in outcomes if severity(o.urgency) < severity(c.expected.urgency)]
    over = [c.id for c, o in outcomes if severity(o.urgency) > severity(c.expected.urgency)]
    inflammatory = [(c, o) for c, o in outcomes if "rheumatology" in c.expected.advice]
    named = [(c, o) for c, o in outcomes if movement_judged(c, o) and not c.normal]
    normal = [(c, o) for c, o in outcomes if movement_judged(c, o) and c.normal]
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
        "top cause (movement patterns, judged)  "
        + share(sum(movement_agrees(c, o) for c, o in named), len(named))
        + "   (target >= 90%)"
    )
    print(
        "  ... of which the answers alone agree  "
        + share(sum(answers_tops.get(c.id) == c.expected_top_cause for c, o in named), len(named))
        + "   (the rest the photos decided)"
    )
    print(
        "normal movers: no headline, no abnormal "
        + share(sum(movement_agrees(c, o) for c, o in normal), len(normal))
        + "   (target >= 90%)"
    )
    print(
        "normal movers: no headline cause        "
        + share(sum(not o.headline for c, o in normal), len(normal))
    )
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
