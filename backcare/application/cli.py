"""The `backcare` command: demo, analyze, chat, bot, check.

backcare demo                      the whole pipeline on the shipped sample photos
backcare analyze --photos DIR --answers FILE [--out DIR]
                                   exit 3 (no program) when red-flag answers are missing
backcare chat                      the patient conversation in this terminal
backcare bot                       the Telegram bot (token in BACKCARE_TELEGRAM_TOKEN)
backcare worker                    photo-analysis worker for a task queue (BACKCARE_BROKER_URL)
backcare check                     validate every data file an admin may edit
backcare measure [--step STEP] PHOTO... | --manifest FILE   one JSON line of measurements per photo
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from backcare.kernel import logs
from backcare.kernel.languages import DEFAULT, LANGUAGES
from backcare.kernel.paths import INTERVIEW, SAMPLES
from backcare.kernel.vocabulary import vocabulary

# Exit status of analyze/demo when the answers leave red-flag questions unanswered.
UNSCREENED = 3
# A folder of photos is small; anything bigger than this is not a phone photo.
MAX_FILE_BYTES = 40 * 1024 * 1024

log = logging.getLogger("backcare")


@dataclass(frozen=True)
class PhotoFile:
    path: Path
    step: str | None  # from the file name, e.g. "forward_bend.jpg" or "forward_bend-2.png"


def _capture_steps() -> str:
    """The capture steps for the help text; a broken vocabulary must not stop `backcare check`
    from saying what is wrong with it."""
    from backcare.kernel.yamlfile import DataFileError

    try:
        return ", ".join(vocabulary().movements)
    except DataFileError:
        return "the movements of backcare/kernel/vocabulary.yaml"


def step_from_name(name: str, steps: list[str]) -> str | None:
    """The capture step a file name starts with; the longest match wins (a step whose name
    starts with another's, e.g. "bend_left" over "bend")."""
    stem = Path(name).stem.lower().replace("-", "_").replace(" ", "_")
    matches = [s for s in steps if stem == s or stem.startswith((s + "_", s))]
    return max(matches, key=len) if matches else None


def list_photos(folder: Path, steps: list[str]) -> list[PhotoFile]:
    if not folder.is_dir():
        raise SystemExit(f"backcare: {folder} is not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return [PhotoFile(p, step_from_name(p.name, steps)) for p in files]


def _progress(done: int, total: int, label: str, status: str) -> None:
    print(f"  [{done}/{total}] {label}: {status}", file=sys.stderr, flush=True)


def analyse_folder(pipeline, folder: Path, workers: int, language: str):
    """Analyse every file of a folder; returns PhotoResults, one per file, in file order."""
    from backcare.application.render import reason_text, step_name

    vocab = pipeline.vocab
    files = list_photos(folder, list(vocab.movements))
    print(f"backcare: analysing {len(files)} file(s) in {folder} ...", file=sys.stderr, flush=True)
    results: dict[Path, object] = {}

    def one(photo: PhotoFile):
        size = photo.path.stat().st_size
        data = b"" if size > MAX_FILE_BYTES else photo.path.read_bytes()
        return pipeline.analyse_file(
            data,
            photo.path.name,
            photo.step,
            too_large=size > MAX_FILE_BYTES,
            language=language,  # the pictures are labelled in the report's language
        )

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(one, f): f for f in files}
        for done, future in enumerate(as_completed(futures), start=1):
            photo = futures[future]
            result = future.result()
            results[photo.path] = result
            status = (
                f"accepted as {step_name(result.step, language)}"
                if result.accepted
                else f"not used: {reason_text(result.reason or '', result.detail, language)}"
            )
            _progress(done, len(files), photo.path.name, status)
    return [results[f.path] for f in files]


def write_outputs(report, out: Path) -> dict[str, Path]:
    from backcare.application import render

    out.mkdir(parents=True, exist_ok=True)
    images: dict[str, str] = {}
    for photo in report.photos:
        if photo.accepted and photo.annotated_jpeg:
            name = f"{photo.step}.annotated.jpg"
            (out / name).write_bytes(photo.annotated_jpeg)
            images[photo.step] = name
    paths = {
        "json": out / "report.json",
        "markdown": out / "report.md",
        "html": out / "report.html",
    }
    paths["json"].write_text(render.to_json(report), encoding="utf-8")
    paths["markdown"].write_text(render.to_markdown(report, images), encoding="utf-8")
    paths["html"].write_text(render.to_html(report, images), encoding="utf-8")
    return paths


def run_analysis(photos: Path, answers: Path, out: Path, language: str, workers: int) -> int:
    from backcare.application import render
    from backcare.application.pipeline import Pipeline
    from backcare.interview import AnswersError, derive, load_answers, load_interview
    from backcare.kernel.yamlfile import DataFileError

    try:
        interview = load_interview(INTERVIEW)
        result = derive(interview, load_answers(answers, interview))
    except (DataFileError, AnswersError) as exc:
        print(f"backcare: {exc}", file=sys.stderr)
        return 2
    triage = result.triage
    if triage.missing and not triage.stops:
        # no program while serious causes were not ruled out: nothing to analyse it for
        print(unscreened_message(interview, triage, answers, language), file=sys.stderr)
        return UNSCREENED
    with Pipeline.create(workers=workers) as pipeline:
        photo_results = analyse_folder(pipeline, photos, workers, language)
        report = pipeline.report_sync(result, photo_results, language)
    print(render.to_text(report))
    paths = write_outputs(report, out)
    print(
        f"backcare: wrote {', '.join(str(p) for p in paths.values())} and the annotated pictures to {out}",
        file=sys.stderr,
    )
    if triage.missing:  # referred already; a missing answer could only make it more urgent
        print(unscreened_message(interview, triage, answers, language), file=sys.stderr)
        return UNSCREENED
    return 0


def unscreened_message(interview, triage, answers: Path, language: str) -> str:
    """Which red-flag questions the answers file lacks, and what that means."""
    lines = [
        (
            f"backcare: no exercise program: {answers} does not answer every warning-sign "
            "(red-flag) question, so serious causes of back pain were not ruled out."
            if not triage.stops
            else f"backcare: {answers} does not answer every warning-sign (red-flag) question; "
            f"the answers given already need a clinician ({triage.level}), and the missing ones "
            "could make it more urgent."
        ),
        "Missing answers (question id: question):",
    ]
    for qid in triage.missing:
        q = interview.questions[qid]
        kind = (
            "yes or no"
            if q.type == "yes_no"
            else f"one of {', '.join(q.option_ids)}"
            if q.options
            else q.type
        )
        lines.append(f"  {qid} ({kind}): {q.text.get(language) or q.text[DEFAULT]}")
    lines.append(
        "Add them to the answers file (see samples/answers.yaml) and run again. "
        "The answers given raise no warning sign that stops self-care."
        if not triage.stops
        else "Please see a clinician as advised above."
    )
    if triage.advice and not triage.stops:
        lines += ["So far, also:"] + [f"  {n.get(language) or n[DEFAULT]}" for n in triage.notes]
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    return run_analysis(
        SAMPLES / "photos", SAMPLES / "answers.yaml", Path(args.out), args.lang, args.workers
    )


def cmd_analyze(args: argparse.Namespace) -> int:
    return run_analysis(
        Path(args.photos), Path(args.answers), Path(args.out), args.lang, args.workers
    )


def cmd_chat(args: argparse.Namespace) -> int:
    from backcare.application.console import run_console
    from backcare.application.pipeline import Pipeline
    from backcare.bot.dialogs.engine import Dialogs, Policy
    from backcare.interview import InterviewRegistry

    with Pipeline.create(workers=1) as pipeline:
        # the console keeps no photos: the optional question is not asked
        dialogs = Dialogs(
            services=pipeline,
            interviews=InterviewRegistry(INTERVIEW),
            policy=Policy(keep_photos=False),
        )
        run_console(dialogs, state_path=Path(args.state) if args.state else None)
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from backcare.application.serve_bot import run
    from backcare.bot.config import BotConfig

    try:
        config = BotConfig.from_env()
    except ValueError as exc:
        print(f"backcare: {exc}", file=sys.stderr)
        return 2
    run(config)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from backcare.taskqueue.config import QueueConfig

    def number(name: str, default: int, low: int, high: int) -> int:
        text = (os.environ.get(name) or str(default)).strip()
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"{name} must be a whole number from {low} to {high}, not {text!r}")
        return int(text)

    try:
        config = QueueConfig.from_env()
        concurrency = args.concurrency or number("BACKCARE_WORKERS", os.cpu_count() or 1, 1, 64)
        port = number("BACKCARE_WORKER_HTTP_PORT", 9101, 1, 65535)
        niceness = number("BACKCARE_WORKER_NICENESS", 10, 0, 19)
    except ValueError as exc:
        print(f"backcare: {exc}", file=sys.stderr)
        return 2
    if config is None:
        print(
            "backcare: BACKCARE_BROKER_URL is not set (redis://... or amqp://...)", file=sys.stderr
        )
        return 2
    from backcare.taskqueue.worker import run

    return run(
        config,
        concurrency=concurrency,
        http_port=port,
        http_listen=os.environ.get("BACKCARE_WORKER_HTTP_LISTEN") or "127.0.0.1",
        niceness=niceness,
        loglevel=logs.LEVEL or "INFO",
    )


def cmd_migrate_storage(args: argparse.Namespace) -> int:
    from backcare.bot.app import DB_FILE
    from backcare.bot.config import data_dir_from_env
    from backcare.bot.storage.errors import StorageError
    from backcare.bot.storage.transfer import migrate_storage

    url = args.to or os.environ.get("BACKCARE_DATABASE_URL", "").strip()
    if not url.startswith(("postgresql://", "postgres://")):
        print(
            "backcare: give the PostgreSQL database with --to or BACKCARE_DATABASE_URL "
            "(postgresql://user@host:5432/db)",
            file=sys.stderr,
        )
        return 2
    source = Path(args.source) if args.source else data_dir_from_env() / DB_FILE
    try:
        moved = migrate_storage(source, url)
    except StorageError as exc:
        print(f"backcare: {exc}", file=sys.stderr)
        return 1
    print(f"moved and checked: {moved.summary()}")
    print(f"{source} was left as it was; set BACKCARE_DATABASE_URL to run on the database")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the data files admins edit; prints every problem with file and line."""
    from backcare.content.catalog import load_catalog
    from backcare.interview import load_interview
    from backcare.kernel.yamlfile import DataFileError
    from backcare.reasoning.knowledge import load_knowledge_base

    checks: list[tuple[str, Callable[[], object]]] = [
        ("vocabulary", vocabulary),
        ("interview", lambda: load_interview(INTERVIEW)),
        ("knowledge base", load_knowledge_base),
        ("exercise catalog", load_catalog),
    ]
    failed = 0
    for name, loader in checks:
        try:
            loader()
            print(f"ok      {name}")
        except DataFileError as exc:
            failed += 1
            print(f"FAILED  {name}\n{exc}")
    return 1 if failed else 0


def read_manifest(path: Path) -> list[tuple[Path, str | None]]:
    """(photo, step) pairs from a CSV (photo,step; a header row is optional) or JSONL
    ({"photo": ..., "step": ...} per line) file; photo paths relative to the manifest."""
    import csv
    import json

    rows: list[tuple[str, str | None]] = []
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                rows.append((str(entry["photo"]), entry.get("step") or None))
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(
                    f"backcare: {path}:{n}: expected {{'photo': ..., 'step': ...}}: {exc}"
                ) from None
    else:
        for n, row in enumerate(csv.reader(text.splitlines()), start=1):
            if not row or not row[0].strip() or (n == 1 and row[0].strip().lower() == "photo"):
                continue
            step = row[1].strip() if len(row) > 1 and row[1].strip() else None
            rows.append((row[0].strip(), step))
    return [(path.parent / photo, step) for photo, step in rows]


def cmd_measure(args: argparse.Namespace) -> int:
    """One JSON line per photo, from the same pipeline the bot uses."""
    import json

    from backcare.application.pipeline import Pipeline, measurement_record

    jobs: list[tuple[Path, str | None]] = [(Path(p), args.step) for p in args.photos]
    if args.manifest:
        jobs += read_manifest(Path(args.manifest))
    if not jobs:
        print("backcare: no photos given (PHOTO... or --manifest FILE)", file=sys.stderr)
        return 2
    with Pipeline.create(workers=args.workers) as pipeline:
        steps = list(pipeline.vocab.movements)
        bad = sorted({s for _, s in jobs if s is not None and s not in steps})
        if bad:
            print(
                f"backcare: unknown step {', '.join(bad)}; one of {', '.join(steps)}",
                file=sys.stderr,
            )
            return 2

        def one(job: tuple[Path, str | None]) -> dict:
            path, step = job
            try:
                size = path.stat().st_size
                data = b"" if size > MAX_FILE_BYTES else path.read_bytes()
            except OSError as exc:
                return {
                    "photo": str(path),
                    "step": step,
                    "accepted": False,
                    "reason": "unreadable",
                    "detail": str(exc),
                }
            result = pipeline.analyse_file(data, str(path), step, too_large=size > MAX_FILE_BYTES)
            return measurement_record(result)

        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            for record in pool.map(one, jobs):  # in the order given
                print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from backcare.bot import heartbeat
    from backcare.bot.config import data_dir_from_env

    ok, why = heartbeat.healthy(data_dir_from_env() / heartbeat.FILE)
    print(("healthy: " if ok else "unhealthy: ") + why)
    return 0 if ok else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="backcare",
        description="Self-care assistant for chronic non-specific low back pain: interview, "
        "movement photos, probable causes, exercise program.",
        epilog="Not a diagnosis. Red flags (e.g. numbness in the saddle area, new bladder or bowel "
        "problems) need a doctor now.",
    )
    p.add_argument(
        "--log-level",
        default=None,
        help="DEBUG, INFO, WARNING, ERROR (default: $BACKCARE_LOG_LEVEL, else INFO for 'bot' "
        "and WARNING for the other commands); other libraries log at WARNING unless DEBUG",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, out_default: str) -> None:
        sp.add_argument(
            "--out", default=out_default, help=f"output folder (default: {out_default})"
        )
        sp.add_argument(
            "--lang",
            default=DEFAULT,
            choices=LANGUAGES,
            help=f"report language (default: {DEFAULT})",
        )
        sp.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="photo-analysis worker processes (default: up to 2)",
        )

    demo = sub.add_parser(
        "demo",
        help="run the whole pipeline on the sample photos shipped in samples/",
        description="Analyse samples/photos with the sample answers in samples/answers.yaml; "
        "print the report and write report.json, report.md, report.html and "
        "annotated pictures to the output folder.",
    )
    common(demo, "out/demo")
    demo.set_defaults(func=cmd_demo)

    analyze = sub.add_parser(
        "analyze",
        help="analyse a folder of photos with an answers file",
        description="Each photo's file name starts with its capture step "
        f"({_capture_steps()}); "
        "other pictures are placed by the movement they show. "
        "Answers: a YAML or JSON mapping of interview question ids to answers "
        "(see samples/answers.yaml).",
    )
    analyze.add_argument("--photos", required=True, help="folder of photos")
    analyze.add_argument("--answers", required=True, help="YAML or JSON file of interview answers")
    common(analyze, "out/analysis")
    analyze.set_defaults(func=cmd_analyze)

    chat = sub.add_parser(
        "chat",
        help="the patient conversation in this terminal (no Telegram needed)",
        description="Runs the same dialogs as the bot. Choose buttons by number; "
        "send a photo by typing its file path.",
    )
    chat.add_argument(
        "--state", default=None, help="save the conversation here after every step (resume later)"
    )
    chat.set_defaults(func=cmd_chat)

    bot = sub.add_parser(
        "bot",
        help="run the Telegram bot (needs BACKCARE_TELEGRAM_TOKEN)",
        description="Polling by default; BACKCARE_MODE=webhook for a webhook. "
        "See README.md, Configuration.",
    )
    bot.set_defaults(func=cmd_bot)

    worker = sub.add_parser(
        "worker",
        help="analyse photos for the bot from a task queue (needs BACKCARE_BROKER_URL)",
        description="A Celery worker whose processes each hold one MediaPipe model; "
        "/healthz, /readyz and /metrics on BACKCARE_WORKER_HTTP_PORT (default 9101). "
        "See README.md, Scaling out.",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="analysis processes (default: $BACKCARE_WORKERS, else one per core)",
    )
    worker.set_defaults(func=cmd_worker)

    move = sub.add_parser(
        "migrate-storage",
        help="move a TinyDB installation into PostgreSQL (the bot stopped), checked",
        description="Copies every patient, reminder, reply and update waiting, the audit and "
        "the kept photos into an empty PostgreSQL database in one transaction, then compares "
        "both stores user by user. The TinyDB files are left as they were. See docs/DEPLOY.md.",
    )
    move.add_argument(
        "--from",
        dest="source",
        default=None,
        help="the TinyDB main file (default: $BACKCARE_DATA_DIR/backcare.json)",
    )
    move.add_argument("--to", default=None, help="PostgreSQL URL (default: $BACKCARE_DATABASE_URL)")
    move.set_defaults(func=cmd_migrate_storage)

    check = sub.add_parser(
        "check", help="validate interview.yaml, the knowledge base and the exercise catalog"
    )
    check.set_defaults(func=cmd_check)

    measure = sub.add_parser(
        "measure",
        help="measure photos: one JSON line per photo (for researchers and clinicians)",
        description="Runs each photo through the bot's own analysis for its capture step and "
        "prints one JSON line: accepted or refused with the reason, the view, the movement "
        "seen (and the step it looks like when not the one asked), every measurement with "
        "value, unit and uncertainty (one standard deviation), and readings set aside as "
        "outside the body's range. Without a step, the step is guessed from the movement.",
    )
    measure.add_argument("photos", nargs="*", metavar="PHOTO", help="photo files")
    measure.add_argument(
        "--step", default=None, help="capture step of the PHOTOs, e.g. forward_bend"
    )
    measure.add_argument(
        "--manifest", default=None, help="CSV (photo,step) or JSONL ({photo, step}) of photos"
    )
    measure.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )
    measure.set_defaults(func=cmd_measure)

    health = sub.add_parser(
        "health",
        help="exit 0 if the bot running on this data folder is alive (for health checks)",
        description="Reads the heartbeat the bot's event loop writes to BACKCARE_DATA_DIR "
        "every few seconds; unhealthy when it is missing or older than a minute.",
    )
    health.set_defaults(func=cmd_health)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # A service logs its events; a command-line run shows only problems.
    default = "INFO" if getattr(args, "command", None) in ("bot", "worker") else "WARNING"
    logs.setup(args.log_level or os.environ.get("BACKCARE_LOG_LEVEL") or default)
    if not getattr(args, "func", None):
        parser().print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
