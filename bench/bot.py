"""Many patients at once through the real bot and the local Bot API server.

    .venv/bin/python bench/bot.py [--photo-patients 50] [--text-patients 10] [--photos 1]
                                  [--workers 1] [--limiters priority,aio] [--think 0.3 1.0]

The bot runs as in production (``bot.app``: TinyDB storage on disk, the dialogs,
the pipeline with MediaPipe in the vision worker pool) in its own process; this
process plays Telegram (tests/support/fake_botapi.py) and the patients, so the
patients' bookkeeping never takes the bot's event loop.

Photo patients start at the first photo step (their consent and interview are
played through the real dialogs beforehand, as if done earlier); text patients
start at the first interview question and answer with a think time. Phases:

  baseline  text patients answer, nothing else happens
  storm     every photo patient sends its photo(s) at the same moment while the
            text patients keep answering

Printed: reply latency of the text patients' answers (time from the update to
the bot's first reply, edits included) in both phases and their ratio, time to
the result for the photos, updates handled per second in the storm, peak
memory of the bot process and of the vision workers. With ``--limiters
priority,aio`` the storm is run once with each rate limiter (ours, which
serves answers first, and PTB's first-come-first-served AIORateLimiter at the
same 30 requests/s) and the two are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
# bench/bot.py must not shadow the bot package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from backcare.kernel.languages import DEFAULT  # noqa: E402
from tests.support.fake_botapi import FakeBotApi, Sent  # noqa: E402
from tests.support.patients import dialog_of  # noqa: E402

if TYPE_CHECKING:  # the bot's modules load where they run (the bot has its own process)
    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.storage import Storage
    from backcare.interview import InterviewResult
    from backcare.report.types import PhotoResult, Report

RENDERS = REPO / "tests" / "data" / "renders"  # rendered people (tests/data/README.md)
SIDE_PHOTOS = [
    "standing_side_right.jpg",
    "standing_side_left.jpg",
    "standing_side_older.jpg",
]
PROGRESS = ("Analysing", "Photo analysed", "photos analysed")
NUMBER = re.compile(r"Type a number from (\d+) to (\d+)")
PHOTO_BASE, TEXT_BASE = 500_000, 600_000


# -- the patients' states, played through the real dialogs before the bot starts ---------
class NoServices:
    """The states are played up to the photos: nothing is analysed or reported here."""

    async def analyse_photo(
        self, data: bytes, step: str, filename: str | None = None
    ) -> PhotoResult:
        raise AssertionError("the prepared states stop before the photos")

    async def build_report(
        self, result: InterviewResult, photos: list[PhotoResult], language: str
    ) -> Report:
        raise AssertionError("the prepared states stop before the report")


async def played(dialogs: Dialogs, answers: dict, full: bool) -> dict:
    """A new patient's stored dialog document, played through the real dialogs: consent
    given (photos not kept), then, when ``full``, the whole interview (the photos come next)."""
    from backcare.bot.dialogs import buttons
    from backcare.bot.dialogs.events import Event
    from tests.reliability.live import answer_events

    state, _ = await dialogs.handle(None, Event("start", language=DEFAULT))
    for button in (buttons.CONSENT_YES, buttons.DELETE_PHOTOS):
        state, _ = await dialogs.handle(state, Event("choice", data=button.data))
    while full and (qid := dialog_of(state).asked()) is not None:
        for event in answer_events(dialogs.interviews.current, qid, answers.get(qid)):
            state, _ = await dialogs.handle(state, event)
    return state


def own_conversation(state: dict, session: str) -> dict:
    """The stored dialog document ``state`` as one patient's own conversation."""
    placed = dialog_of(state)
    placed.session = session
    return placed.to_json()


async def prepare(data_file: Path, photo_patients: int, text_patients: int) -> None:
    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.storage import TinyDBStorage
    from backcare.interview import InterviewRegistry, load_answers

    registry = InterviewRegistry(REPO / "interview.yaml")
    answers = load_answers(REPO / "samples" / "answers.yaml", registry.current)
    dialogs = Dialogs(services=NoServices(), interviews=registry)

    async def play(full: bool) -> dict:
        return await played(dialogs, answers, full)

    async def main() -> None:
        photo_state, text_state = await play(True), await play(False)
        assert dialog_of(photo_state).step == "photos", dialog_of(photo_state).step
        storage = TinyDBStorage(data_file)
        with storage.transaction():
            for i in range(photo_patients):
                storage.put_state(PHOTO_BASE + i, own_conversation(photo_state, f"p{i}"))
            for i in range(text_patients):
                storage.put_state(TEXT_BASE + i, own_conversation(text_state, f"t{i}"))
        storage.close()

    await main()


# -- the bot, in its own process, as `backcare bot` runs it -------------------------------
def peak_kb(pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def run_bot(settings: dict, conn) -> None:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
    sys.path.insert(0, str(REPO))
    import logging

    logging.basicConfig(level=logging.WARNING)
    from telegram.ext import AIORateLimiter

    from backcare.application.pipeline import Pipeline
    from backcare.bot.app import BotRunner, build_application
    from backcare.bot.config import BotConfig
    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.ratelimit import PriorityRateLimiter
    from backcare.bot.storage import TinyDBStorage
    from backcare.interview import InterviewRegistry

    if settings.get("slow_turn"):
        from backcare.bot import turns

        turns.SLOW_TURN = settings["slow_turn"]

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        storage: Storage = TinyDBStorage(settings["data_file"])
        if (
            settings.get("storage") == "memory"
        ):  # the same data, never written: to see storage's cost
            from backcare.bot.storage import MemoryStorage

            memory = MemoryStorage()
            with memory.transaction():
                for uid in storage.user_ids():
                    state = storage.get_state(uid)
                    if state is not None:  # every listed user has one
                        memory.put_state(uid, state)
            storage.close()
            storage = memory

        class FirstComeFirstServed(AIORateLimiter):
            """PTB's limiter as it is: the bot's priorities (rate_limit_args) are ignored."""

            async def process_request(
                self, callback, args, kwargs, endpoint, data, rate_limit_args
            ):
                return await super().process_request(callback, args, kwargs, endpoint, data, None)

        rate = settings.get("rate", 30.0)
        limiter = (
            PriorityRateLimiter(per_second=rate)
            if settings["limiter"] == "priority"
            else FirstComeFirstServed(overall_max_rate=rate, max_retries=3)
        )
        config = BotConfig(
            token=settings["token"],
            api_base_url=settings["base_url"],
            api_file_url=settings["file_url"],
            data_dir=Path(settings["data_file"]).parent,
        )
        # niced as backcare.application.serve_bot does (WORKER_NICENESS), or as asked
        with Pipeline.create(
            workers=settings["workers"], niceness=settings["nice_workers"]
        ) as pipeline:
            registry = InterviewRegistry(REPO / "interview.yaml")
            dialogs = Dialogs(services=pipeline, interviews=registry)
            app = build_application(
                config, dialogs, storage, interviews=registry, rate_limiter=limiter, poll_timeout=1
            )
            runner = BotRunner(app)
            await runner.start()
            conn.send("ready")
            await stop.wait()
            workers = sum(peak_kb(pid) for pid in children(os.getpid()))
            await runner.stop()
        storage.close()
        conn.send({"bot_kb": peak_kb(), "workers_kb": workers})

    asyncio.run(main())


# -- the patients' side --------------------------------------------------------------------
def latest_question(messages: list[Sent]) -> Sent | None:
    for message in reversed(messages):
        if message.kind == "text" and not message.plain.startswith(PROGRESS):
            return message
    return None


def next_action(message: Sent | None) -> tuple[str, str]:
    """What a patient who wants to get on does with the bot's last question."""
    if message is None:
        return "text", "/start"
    answers = [b for b in message.buttons if b.get("callback_data")]
    labels = [b["text"] for b in answers]
    nav = lambda label: label.startswith(("◀", "❔")) or "Skip" in label or "Back" in label  # noqa: E731
    if answers:
        if "Tick all that apply" in message.plain:
            if any(label.startswith("✓") for label in labels):
                return "press", next(label for label in labels if "Done" in label)
            return "press", next(
                label for label in labels if not nav(label) and "Done" not in label
            )
        for preferred in ("No", "I agree", "Delete them after analysis", "Not at all", "Disagree"):
            if preferred in labels:
                return "press", preferred
        choices = [label for label in labels if not nav(label)]
        if choices:
            return "press", choices[0]
    number = NUMBER.search(message.plain)
    if number:
        return "text", str((int(number.group(1)) + int(number.group(2))) // 2)
    return "text", "fine"


class Patients:
    def __init__(self, api: FakeBotApi, think: tuple[float, float]):
        self.api = api
        self.think = think
        self.updates = 0
        self.split: list[
            tuple[float, float]
        ] = []  # (until the bot fetched it, then until the reply)

    async def act(self, user, kind: str, value: str, timeout: float = 60.0) -> float:
        """Do one thing; return the seconds until the bot's first reply (a message or an edit)."""
        messages = self.api.messages(user.id)
        last_id = max((m.message_id for m in messages), default=0)
        edits = {m.message_id: m.edits for m in messages}
        started = time.time()
        if kind == "press":
            message = next(m for m in reversed(messages) if value in m.labels)
            update = self.api.press(user, message, value)
        else:
            update = self.api.send_text(user, value)
        self.updates += 1

        def replied() -> float | None:
            for m in self.api.messages(user.id):
                if m.message_id > last_id:
                    return m.time
                if m.edits > edits.get(m.message_id, 0) and m.edited_at >= started:
                    return m.edited_at
            return None

        try:
            answered = await self.api.wait_in_chat(user.id, replied, timeout)
        except TimeoutError:
            note(f"no reply to {kind} {value!r} from patient {user.id}")
            raise
        fetched = self.api.delivered_at.get(update["update_id"], started)
        self.split.append((fetched - started, answered - fetched))
        return answered - started

    async def answer_loop(self, user, until: asyncio.Event | int, out: list[float]) -> None:
        count = 0
        while (until.is_set() is False) if isinstance(until, asyncio.Event) else count < until:
            await asyncio.sleep(random.uniform(*self.think))
            kind, value = next_action(latest_question(self.api.messages(user.id)))
            out.append(await self.act(user, kind, value))
            count += 1

    async def send_photos(self, user, photos: list[bytes], out: list[float]) -> None:
        for data in photos:
            last_id = max((m.message_id for m in self.api.messages(user.id)), default=0)
            started = time.time()
            self.api.send_photo(user, data)
            self.updates += 1

            def result(last_id: int = last_id) -> float | None:
                return next(
                    (
                        m.time
                        for m in self.api.messages(user.id)
                        if m.message_id > last_id and not m.plain.startswith(PROGRESS)
                    ),
                    None,
                )

            out.append(await self.api.wait_in_chat(user.id, result, 120) - started)


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]  # noqa: E731
    return pick(0.50) * 1000, pick(0.95) * 1000, pick(0.99) * 1000, ordered[-1] * 1000


async def run_once(args, limiter: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    data_file = workdir / "data" / "backcare.json"
    await prepare(data_file, args.photo_patients, args.text_patients)
    photos = [(RENDERS / p).read_bytes() for p in SIDE_PHOTOS]
    async with FakeBotApi() as api:
        parent, child = mp.get_context("spawn").Pipe()
        settings = {
            "data_file": str(data_file),
            "token": api.token,
            "base_url": api.base_url,
            "file_url": api.file_url,
            "workers": args.workers,
            "limiter": limiter,
            "storage": args.storage,
            "rate": args.rate,
            "nice_workers": args.nice_workers,
            "slow_turn": args.slow_turn,
        }
        process = mp.get_context("spawn").Process(target=run_bot, args=(settings, child))
        process.start()
        while not parent.poll():
            await asyncio.sleep(0.05)
        assert parent.recv() == "ready"
        note(f"bot ready ({limiter} limiter)")
        try:
            patients = Patients(api, tuple(args.think))
            texters = [api.user(TEXT_BASE + i) for i in range(args.text_patients)]
            photographers = [api.user(PHOTO_BASE + i) for i in range(args.photo_patients)]

            await asyncio.gather(*(patients.act(u, "text", "/start") for u in texters))  # warm-up
            baseline: list[float] = []
            note("baseline")
            await asyncio.gather(
                *(patients.answer_loop(u, args.baseline_answers, baseline) for u in texters)
            )
            note("storm")

            load: list[float] = []
            photo_times: list[float] = []
            patients.split.clear()
            storm_over = asyncio.Event()
            updates_before = patients.updates
            started = time.monotonic()
            talkers = [
                asyncio.create_task(patients.answer_loop(u, storm_over, load)) for u in texters
            ]
            await asyncio.gather(
                *(
                    patients.send_photos(u, [photos[i % len(photos)]] * args.photos, photo_times)
                    for i, u in enumerate(photographers)
                )
            )
            storm_over.set()
            note(f"photos done: {len(photo_times)}")
            await asyncio.gather(*talkers)
            note("stopping the bot")
            elapsed = time.monotonic() - started
            updates = patients.updates - updates_before
            split = list(patients.split)
        finally:
            assert process.pid is not None  # started above
            os.kill(process.pid, signal.SIGTERM)
        memory = {"bot_kb": 0, "workers_kb": 0}
        for _ in range(600):  # the fake Telegram must keep answering while the bot stops
            if parent.poll():
                memory = parent.recv()
                break
            await asyncio.sleep(0.1)
        process.join(30)
    shutil.rmtree(workdir, ignore_errors=True)
    return {
        "limiter": limiter,
        "baseline": baseline,
        "load": load,
        "photos": photo_times,
        "updates": updates,
        "elapsed": elapsed,
        "split": split,
        **memory,
    }


def report(args, runs: list[dict]) -> None:
    print(
        f"\nbench/bot.py: {args.photo_patients} patients sending {args.photos} photo(s) at once, "
        f"{args.text_patients} patients answering (think {args.think[0]}-{args.think[1]} s), "
        f"vision workers={args.workers}, {os.cpu_count()} CPUs, Telegram limit 30 requests/s\n"
    )
    header = f"{'limiter':<10}{'phase':<10}{'replies':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    for run in runs:
        for phase in ("baseline", "load"):
            values = run[phase]
            p50, p95, p99, top = percentiles(values)
            print(
                f"{run['limiter']:<10}{phase:<10}{len(values):>8}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}{top:>9.0f}"
            )
        p50, p95, p99, top = percentiles(run["photos"])
        print(
            f"{run['limiter']:<10}{'photos':<10}{len(run['photos']):>8}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}{top:>9.0f}"
            "   (photo sent -> result)"
        )
    print()
    for run in runs:
        fetch = percentiles([a for a, _ in run["split"]])
        handle = percentiles([b for _, b in run["split"]])
        print(
            f"{run['limiter']:<10} text answers in the storm, p50/p99 ms: until the bot fetched the "
            f"update {fetch[0]:.0f}/{fetch[2]:.0f}, from there to the reply {handle[0]:.0f}/{handle[2]:.0f}"
        )
    print()
    for run in runs:
        ratio = percentiles(run["load"])[2] / max(percentiles(run["baseline"])[2], 1e-9)
        print(
            f"{run['limiter']:<10} text p99 under load / baseline: {ratio:5.2f}x   "
            f"updates handled in the storm: {run['updates']} in {run['elapsed']:.1f} s = "
            f"{run['updates'] / run['elapsed']:.1f}/s   peak memory: bot process "
            f"{run['bot_kb'] / 1024:.0f} MB, vision workers {run['workers_kb'] / 1024:.0f} MB"
        )
    if len(runs) == 2:
        a, b = runs
        print(
            f"\ntext p99 under load, {b['limiter']} / {a['limiter']}: "
            f"{percentiles(b['load'])[2] / max(percentiles(a['load'])[2], 1e-9):.1f}x"
        )
    target = percentiles(runs[0]["load"])[2]
    print(
        f"\naim: text replies under 200 ms p99 during the storm -> {runs[0]['limiter']}: {target:.0f} ms "
        f"({'met' if target < 200 else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo-patients", type=int, default=50)
    parser.add_argument("--text-patients", type=int, default=10)
    parser.add_argument("--photos", type=int, default=1, help="photos each photo patient sends")
    parser.add_argument("--workers", type=int, default=1, help="vision worker processes")
    parser.add_argument("--baseline-answers", type=int, default=6)
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(0.3, 1.0),
        help="seconds a text patient pauses between answers (min max)",
    )
    parser.add_argument("--limiters", default="priority,aio")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rate",
        type=float,
        default=30.0,
        help="requests per second the bot allows itself (Telegram's limit: 30)",
    )
    parser.add_argument(
        "--nice-workers",
        type=int,
        default=10,
        help="niceness of the vision workers (the bot uses 10; 0: as they start)",
    )
    parser.add_argument(
        "--slow-turn",
        type=float,
        default=0.0,
        help="log the bot's turns slower than this many seconds, with where the time went",
    )
    parser.add_argument(
        "--storage",
        choices=("tinydb", "memory"),
        default="tinydb",
        help="memory: the bot keeps everything in memory (to see what storage costs)",
    )
    args = parser.parse_args()
    random.seed(args.seed)
    runs = [asyncio.run(run_once(args, limiter)) for limiter in args.limiters.split(",")]
    report(args, runs)


if __name__ == "__main__":
    main()
