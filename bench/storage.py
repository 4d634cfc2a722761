"""Does a patient's turn cost more when many users are stored? Empty vs 10,000 users, one run.

    .venv/bin/python bench/storage.py [--users 10000] [--patients 50] [--answers 8]
                                      [--think 0.2 1.0] [--rate 1000] [--rounds 1]

For each database (one holding only the patients, one also holding ``--users``
other users with a finished interview, a session, a profile, an assessment and
for a third of them a reminder), the bot runs as in production (``bot.app``:
the real Application, dialogs and TinyDB storage on disk) in its own process,
against the fake Bot API in this one (tests/support/fake_botapi.py); the
patients, all at the first interview question, answer ``--answers`` questions
each, all at once, with a think time. Vision is not involved (text and buttons).

The bot's own limit on requests to Telegram (30/s in production) is raised to
``--rate`` so that the reply latency shows the turn and its storage rather than
the queue of the rate limiter (the same in both databases).

Then the same turns' storage calls alone (no bot: what bot/turns.py asks of
the storage in a turn, through 4 threads as bot/disk_pool.py runs them).

Printed: reply latency (update sent -> the bot's first reply) p50/p99/max, the
bot process's memory (peak and at the end), the storage's start time, and the
ratios 10,000 users / empty. Aim (issue 17): p99 within 1.5x, memory within 50 MB.
The bot's retention sweep (60 s after start, then every 6 h) reads every stored
user by design; it is left out unless ``--retention`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from backcare.kernel.languages import DEFAULT  # noqa: E402
from bench.bot import (  # noqa: E402
    NoServices,
    latest_question,
    next_action,
    own_conversation,
    percentiles,
    played,
)
from tests.support.fake_botapi import FakeBotApi  # noqa: E402
from tests.support.patients import dialog_of  # noqa: E402

PATIENT_BASE, OTHER_BASE = 700_000, 10_000_000


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def memory_kb(field: str, pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# -- the databases, played through the real dialogs ---------------------------------------
def populate(data_file: str, patients: int, others: int) -> None:
    """(In a process of its own.) ``patients`` at the first question, ``others`` done."""
    from datetime import UTC, datetime, timedelta

    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.dialogs.state import ReminderPlan
    from backcare.bot.storage import Reminder, TinyDBStorage, UserProfile
    from backcare.interview import InterviewRegistry, load_answers

    registry = InterviewRegistry(REPO / "interview.yaml")
    answers = load_answers(REPO / "samples" / "answers.yaml", registry.current)
    dialogs = Dialogs(services=NoServices(), interviews=registry)

    async def states() -> tuple[dict, dict]:
        return await played(dialogs, answers, False), await played(dialogs, answers, True)

    first, done = asyncio.run(states())
    interview = dialog_of(done).interview
    summary = interview.to_json() if interview is not None else {}  # an assessment's size
    due = datetime.now(UTC) + timedelta(days=3)
    storage = TinyDBStorage(data_file)
    for start in range(0, others, 500):
        with storage.transaction():
            for uid in range(OTHER_BASE + start, OTHER_BASE + min(others, start + 500)):
                storage.put_user(UserProfile(uid, language=DEFAULT, tz="Europe/Oslo"))
                storage.put_state(uid, own_conversation(done, f"o{uid}"))
                storage.put_session(uid, {"buttons": {"k1": ["a", "b"]}, "seen": [uid]})
                storage.add_assessment(uid, {"summary": summary, "n": 1})
                if uid % 3 == 0:
                    plan = ReminderPlan(days=[0, 3], time="08:00", tz="UTC", active=True)
                    storage.put_reminder(Reminder(uid, uid, plan.to_json(), due))
    with storage.transaction():
        for i in range(patients):
            storage.put_state(PATIENT_BASE + i, own_conversation(first, f"p{i}"))
    storage.close()


# -- the bot, in its own process ------------------------------------------------------------
def run_bot(settings: dict, conn) -> None:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
    sys.path.insert(0, str(REPO))
    import logging

    logging.basicConfig(level=logging.WARNING)
    from backcare.bot.app import BotRunner, build_application
    from backcare.bot.config import BotConfig
    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.ratelimit import PriorityRateLimiter
    from backcare.bot.storage import TinyDBStorage
    from backcare.interview import InterviewRegistry

    sweeps: list[float] = []  # seconds each retention sweep took (it reads every user)

    class TimedRunner(BotRunner):
        """The bot's runner with each retention sweep timed (none when retention is off)."""

        async def _purge(self, context: object) -> None:
            if not settings["retention"]:
                return
            began = time.monotonic()
            await super()._purge(context)
            sweeps.append(time.monotonic() - began)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        began = time.monotonic()
        storage = TinyDBStorage(settings["data_file"])
        opened = time.monotonic() - began
        config = BotConfig(
            token=settings["token"],
            api_base_url=settings["base_url"],
            api_file_url=settings["file_url"],
            data_dir=Path(settings["data_file"]).parent,
        )
        registry = InterviewRegistry(REPO / "interview.yaml")
        dialogs = Dialogs(services=NoServices(), interviews=registry)
        app = build_application(
            config,
            dialogs,
            storage,
            interviews=registry,
            rate_limiter=PriorityRateLimiter(per_second=settings["rate"]),
            poll_timeout=1,
        )
        runner = TimedRunner(app)
        await runner.start()
        conn.send({"open_s": opened, "ready_kb": memory_kb("VmRSS")})
        cpu = time.process_time()
        await stop.wait()
        cpu = time.process_time() - cpu
        end_kb, peak = memory_kb("VmRSS"), memory_kb("VmHWM")
        await runner.stop()
        storage.close()
        conn.send({"end_kb": end_kb, "peak_kb": peak, "sweeps": sweeps, "cpu_s": cpu})

    asyncio.run(main())


# -- the storage alone: a turn's calls as bot/turns.py makes them -------------------
def storage_turns(data_file: str, patients: int, turns: int, conn) -> None:
    """(In a process of its own.) ``patients`` at once, each ``turns`` turns, through 4
    storage threads as bot.disk_pool runs them; the seconds each turn's storage calls took."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from backcare.bot.storage import TinyDBStorage

    storage = TinyDBStorage(data_file)
    pool = ThreadPoolExecutor(max_workers=4)
    ids = iter(range(5_000_000, 6_000_000))
    lock = threading.Lock()
    took: list[float] = []

    def turn(uid: int, i: int) -> None:
        with lock:
            update_id = next(ids)
        began = time.perf_counter()
        storage.inbox_add(update_id, uid, {"update_id": update_id, "text": str(i)}, wait=False)
        session = storage.get_session(uid)
        # the stored document on purpose: storage's cost alone, not the dialogs' (grown a bit)
        state = storage.get_state(uid) or {}
        state = {**state, "answers": {**state.get("answers", {}), f"q{i}": i}}
        with storage.transaction():
            storage.put_state(uid, state)
            storage.get_reminder(uid)
            items = storage.enqueue(uid, uid, [{"text": f"Question {i + 2}", "pad": "q" * 400}])
            storage.put_session(uid, {**session, "seen": [*session.get("seen", [])[-20:], i]})
            storage.inbox_done(update_id)
        for item in items:
            storage.mark_sent(item.id, wait=False)
        took.append(time.perf_counter() - began)

    def patient(uid: int) -> None:
        for i in range(turns):
            pool.submit(turn, uid, i).result()

    threads = [threading.Thread(target=patient, args=(PATIENT_BASE + n,)) for n in range(patients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss = memory_kb("VmRSS")
    pool.shutdown()
    storage.close()
    conn.send(
        {
            "latency": took,
            "end_kb": rss,
            "peak_kb": memory_kb("VmHWM"),
            "cpu_s": time.process_time(),
        }
    )


# -- the patients ---------------------------------------------------------------------------
async def act(api: FakeBotApi, user, kind: str, value: str) -> float:
    """Do one thing; the seconds until the bot's first reply (a message or an edit)."""
    messages = api.messages(user.id)
    last_id = max((m.message_id for m in messages), default=0)
    edits = {m.message_id: m.edits for m in messages}
    started = time.time()
    if kind == "press":
        message = next(m for m in reversed(messages) if value in m.labels)
        api.press(user, message, value)
    else:
        api.send_text(user, value)

    def replied() -> float | None:
        for m in api.messages(user.id):
            if m.message_id > last_id:
                return m.time
            if m.edits > edits.get(m.message_id, 0) and m.edited_at >= started:
                return m.edited_at
        return None

    return await api.wait_in_chat(user.id, replied, 120) - started


async def patient(api: FakeBotApi, user, answers: int, think, out: list[float]) -> None:
    out.append(await act(api, user, "text", "/status"))  # where am I (the first question)
    for _ in range(answers):
        await asyncio.sleep(random.uniform(*think))
        kind, value = next_action(latest_question(api.messages(user.id)))
        out.append(await act(api, user, kind, value))


async def measure(data_file: Path, args, round_: int) -> dict:
    async with FakeBotApi() as api:
        api.number_updates_from(1 + round_ * 1_000_000)  # a new Telegram, ids go on
        parent, child = mp.get_context("spawn").Pipe()
        settings = {
            "data_file": str(data_file),
            "token": api.token,
            "base_url": api.base_url,
            "file_url": api.file_url,
            "rate": args.rate,
            "retention": args.retention,
        }
        process = mp.get_context("spawn").Process(target=run_bot, args=(settings, child))
        process.start()
        while not parent.poll():
            await asyncio.sleep(0.05)
        started = parent.recv()
        latencies: list[float] = []
        try:
            users = [api.user(PATIENT_BASE + i) for i in range(args.patients)]
            await asyncio.gather(
                *(patient(api, u, args.answers, tuple(args.think), latencies) for u in users)
            )
        finally:
            assert process.pid is not None
            os.kill(process.pid, signal.SIGTERM)
        ended = {"end_kb": 0, "peak_kb": 0}
        for _ in range(600):  # the fake Telegram keeps answering while the bot stops
            if parent.poll():
                ended = parent.recv()
                break
            await asyncio.sleep(0.1)
        process.join(30)
    return {"latency": latencies, **started, **ended}


def database_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


async def run(args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    try:
        files = {}
        for name, others in (("empty", 0), (f"{args.users:,} users", args.users)):
            files[name] = workdir / name.replace(",", "").replace(" ", "-") / "backcare.json"
            note(f"building the database: {name}")
            ctx = mp.get_context("spawn")
            builder = ctx.Process(target=populate, args=(str(files[name]), args.patients, others))
            builder.start()
            builder.join()
            if builder.exitcode != 0:
                raise SystemExit(f"building the {name} database failed")
        results: dict[str, list[dict]] = {name: [] for name in files}
        alone: dict[str, list[dict]] = {name: [] for name in files}
        for round_ in range(args.rounds):
            for name, file in files.items():  # alternated: both see the same machine load
                note(f"round {round_ + 1}: {args.patients} patients, {name}")
                results[name].append(await measure(file, args, round_))
            for name, file in files.items():
                note(f"round {round_ + 1}: storage alone, {name}")
                parent, child = mp.get_context("spawn").Pipe()
                process = mp.get_context("spawn").Process(
                    target=storage_turns, args=(str(file), args.patients, 20, child)
                )
                process.start()
                alone[name].append(parent.recv())
                process.join()
        report(args, files, results, "through the bot (update sent -> first reply)")
        report(args, files, alone, "the storage alone (a turn's storage calls)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(args, files: dict[str, Path], results: dict[str, list[dict]], what: str) -> None:
    print(
        f"\nbench/storage.py, {what}: {args.patients} patients at once, {args.answers} answers "
        f"each (think {args.think[0]}-{args.think[1]} s), bot rate limit {args.rate:g}/s, "
        f"{args.rounds} round(s), {os.cpu_count()} CPUs\n"
        if what.startswith("through")
        else f"\nbench/storage.py, {what}: {args.patients} patients at once, 20 turns each, "
        f"4 storage threads, {args.rounds} round(s)\n"
    )
    header = (
        f"{'database':<14}{'on disk':>9}{'start s':>9}{'turns':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'RSS MB':>9}{'peak MB':>9}{'CPU s':>8}"
    )
    print(header)
    print("-" * len(header))
    rows = {}
    for name, runs in results.items():
        latency = [x for r in runs for x in r["latency"]]
        p50, _, p99, top = percentiles(latency)
        rss = max(r["end_kb"] for r in runs) / 1024
        peak = max(r["peak_kb"] for r in runs) / 1024
        start = max(r.get("open_s", float("nan")) for r in runs)
        rows[name] = (p50, p99, rss, peak)
        print(
            f"{name:<14}{database_mb(files[name].parent):>8.1f}M"
            f"{'-' if start != start else f'{start:.2f}':>9}{len(latency):>9}"
            f"{p50:>9.0f}{p99:>9.0f}{top:>9.0f}{rss:>9.0f}{peak:>9.0f}"
            f"{sum(r.get('cpu_s', 0.0) for r in runs):>8.1f}"
        )
    sweeps = [x for runs in results.values() for r in runs for x in r.get("sweeps", [])]
    if what.startswith("through"):
        print(
            f"retention sweeps during the runs: {', '.join(f'{x:.1f} s' for x in sweeps)}"
            if args.retention
            else "retention sweep (every 6 h, reads every user) left out: --retention to include"
        )
    (empty, *_), (full, *_) = rows.items(), reversed(rows.items())
    e, f = rows[empty[0]], rows[full[0]]
    p99_ratio = f[1] / max(e[1], 1e-9)
    print(
        f"\n{full[0]} / empty: p50 {f[0] / max(e[0], 1e-9):.2f}x, p99 {p99_ratio:.2f}x "
        f"(aim <= 1.5x: {'met' if p99_ratio <= 1.5 else 'NOT met'}); "
        f"RSS {f[2] - e[2]:+.0f} MB, peak {f[3] - e[3]:+.0f} MB "
        f"(aim within 50 MB: {'met' if abs(f[2] - e[2]) <= 50 and abs(f[3] - e[3]) <= 50 else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000, help="other users stored")
    parser.add_argument("--patients", type=int, default=50, help="patients answering at once")
    parser.add_argument("--answers", type=int, default=8, help="answers each patient gives")
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 1.0))
    parser.add_argument("--rate", type=float, default=1000.0, help="bot's requests/s limit")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each database")
    parser.add_argument(
        "--retention",
        action="store_true",
        help="let the retention sweep run (first 60 s after start, then every 6 h; it reads "
        "every stored user by design, so it is left out of the per-turn comparison)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
