"""Soak: simulated patients through the real bot for a while, with a fault every few seconds.

    .venv/bin/python bench/soak.py [--seconds 60] [--patients 10] [--fault-every 3]
        [--kill-every 20] [--disk-full-for 4] [--seed 7]

The bot runs as `backcare bot` runs it, in a process of its own
(tests/reliability/botproc.py: bot.app, TinyDB on disk, the dialogs and interview.yaml,
one MediaPipe vision worker); this process plays Telegram (tests/support/fake_botapi.py)
and the patients. Every --fault-every seconds comes one fault, in turn: the Bot API
answers 5xx, drops connections, answers 429, answers slowly; the vision worker is
killed (SIGKILL); the disk is full for --disk-full-for seconds (every save refused
with ENOSPC: botproc --disk-full-flag, tests/reliability/diskfull.py). The bot process
is killed (kill -9) and started again every --kill-every seconds (with --kill-every 0,
as one more fault in the rotation instead).

Patients go through the whole journey (consent, interview, a photo per step from
tests/data/renders, results, reminders) and start again (/restart), as a person would: they
act on where the bot has them, wait for its reply, and act again after 40 s without one.
Every other patient starts at the photos, so the vision worker is busy from the start.

Checked at the end, through the storage after a graceful stop: every patient's state is
one the dialogs can go on from; every answer the bot moved on from (the patient was
shown the next question) is saved; every photo step it moved on from after a photo is
saved as accepted; every report the patient was shown is kept; the inbox and the
outbox are empty. Then every patient sends /status to a fresh start of the bot and must
be answered. Counted and printed: answers lost, users silenced (no answer to that last
/status), stuck patients (acting, yet no reply in the run's last 120 s), waits over 40 s
(an update unanswered that long: restarts after kills with a backlog), replies repeated
(a message Telegram got twice, the same text and answer buttons: inside its own send
call when it was the last one the patient got before a kill and the first after the
restart; anything else is outside), faults injected, errors seen by patients. Lost,
silenced, stuck and repeated outside must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from backcare.bot.dialogs import buttons  # noqa: E402
from backcare.bot.dialogs.buttons import Button  # noqa: E402
from backcare.bot.dialogs.engine import restore  # noqa: E402
from backcare.bot.dialogs.events import Event  # noqa: E402
from backcare.bot.dialogs.flow import STEP  # noqa: E402
from backcare.bot.dialogs.state import DialogState, PhotoProgress  # noqa: E402
from backcare.bot.messages import parse_callback  # noqa: E402
from backcare.bot.storage.tinyfile import read_database  # noqa: E402
from backcare.interview import InterviewRegistry  # noqa: E402
from backcare.kernel.languages import DEFAULT  # noqa: E402
from backcare.kernel.vocabulary import vocabulary  # noqa: E402
from tests.reliability.live import (  # noqa: E402
    INTERVIEW,
    BotProcess,
    answer_events,
    healthy_answers,
)
from tests.support.fake_botapi import FakeBotApi, Fault, Sent  # noqa: E402
from tests.support.patients import PHOTO_FOR_STEP, photo  # noqa: E402
from tests.support.renders import RENDERS  # noqa: E402

FAULTS = (
    "5xx",
    "dropped connection",
    "429",
    "slow reply",
    "vision worker killed",
    "bot killed",
    "disk full",
)
ERRORS = {  # what patients are told when something failed on the bot's side
    "apology": "Sorry, something went wrong",
    "analysis failed": "went wrong while analysing",
    "analysis timed out": "The analysis took too long",
    "report failed": "couldn't finish the analysis",
    "not saved": "could not save your last message",
}
SAVE_FAILED = "could not save your"
# sent beside the outbox, again whenever their moment comes again: no reply to repeat
NOT_REPLIES = ("Analysing your photo", "Photo analysed", "photos analysed", SAVE_FAILED)
REPORT = ("your back pain going", "find a clear pattern in your answers")
NO_REPLY_AFTER = 40.0
STUCK_AFTER = 120.0  # a patient answered nothing for this long at the end of the run is stuck
BASE_ID = 700_000


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class StoreView:
    """What a scripted patient may look up (state, offered buttons) while the bot runs, read
    from its data folder as last committed (backcare.bot.storage.tinyfile.read_database)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _data(self) -> dict:
        # read afresh each time: a patient acting on a stale copy presses buttons the bot
        # has already replaced (and is told so), which would count as an answer lost
        try:
            return read_database(self.path) if self.path.exists() else {}
        except (OSError, ValueError):
            return {}

    def get_state(self, user_id: int) -> dict | None:
        return self._data().get("states", {}).get(str(user_id))

    def get_session(self, user_id: int) -> dict:
        return self._data().get("sessions", {}).get(str(user_id), {})

    def busy(self) -> bool:
        data = self._data()
        return bool(data.get("inbox")) or bool(data.get("outbox"))


# -- the patients ------------------------------------------------------------------------------
class Patient:
    def __init__(self, soak: Soak, user_id: int) -> None:
        self.soak = soak
        self.api, self.view = soak.api, soak.view
        self.user = soak.api.user(user_id, f"P{user_id}", DEFAULT)
        self.rng = random.Random(user_id)
        self.accepted: dict[str, Any] = {}  # this round: answers the bot moved on from
        self.photos_accepted: set[str] = set()  # this round: photo steps it moved on from
        self.reports_seen = 0
        self.rounds = 0
        self.updates = 0
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.done: list[tuple[float, str, str]] = []  # (time.time(), kind, value) of each act
        self.last_reply = time.monotonic()

    @property
    def id(self) -> int:
        return self.user.id

    # what the patient sees and does
    def _button(self, pressed: Button) -> tuple[Sent, str] | None:
        value = pressed.data
        keyboards = self.view.get_session(self.id).get("keyboards", {})
        for message in reversed(self.api.messages(self.id)):
            for button in message.buttons:
                parsed = parse_callback(button.get("callback_data"))
                if (
                    parsed
                    and parsed[0] in keyboards
                    and keyboards[parsed[0]]["values"][parsed[1] : parsed[1] + 1] == [value]
                ):
                    return message, button["callback_data"]
        return None

    def _ticked(self, qid: str) -> set[Button]:
        """The options of multi-select ``qid`` shown ticked on its latest menu."""
        keyboards = self.view.get_session(self.id).get("keyboards", {})
        for message in reversed(self.api.messages(self.id)):
            shown = {}
            for button in message.buttons:
                parsed = parse_callback(button.get("callback_data"))
                if parsed and parsed[0] in keyboards:
                    values = keyboards[parsed[0]]["values"]
                    pressed = buttons.parse(values[parsed[1]]) if parsed[1] < len(values) else None
                    answer = buttons.question_button(pressed)
                    if (
                        pressed is not None
                        and answer is not None
                        and (answer.kind, answer.question, answer.checkin)
                        == (buttons.TOGGLE, qid, False)
                    ):
                        shown[pressed] = button["text"].startswith("✓")
            if shown:
                return {pressed for pressed, tick in shown.items() if tick}
        return set()

    async def act(self, kind: str, value: Any) -> list[Sent]:
        """Do one thing, then wait for the bot's reply; returns the messages it sent."""
        messages = self.api.messages(self.id)
        last = max((m.message_id for m in messages), default=0)
        edits = {m.message_id: m.edits for m in messages}
        if kind == "press":  # value: a Button
            found = self._button(value)
            if found is None:  # its question has not arrived (yet): ask to see it again
                kind, value = "text", "/start"
            else:
                self.api.press(self.user, found[0], data=found[1])
        if kind == "text":
            self.api.send_text(self.user, value)
        elif kind == "photo":
            self.api.send_photo(self.user, value)
        self.updates += 1
        self.done.append((time.time(), kind, str(value)[:30]))
        started = time.monotonic()

        def replied() -> bool:
            # "I could not save your last message ... I will pick it up": keep waiting, as
            # the patient was asked to
            return any(
                (m.message_id > last and SAVE_FAILED not in m.plain)
                or m.edits > edits.get(m.message_id, 0)
                for m in self.api.messages(self.id)
            )

        try:
            await self.api.wait_in_chat(self.id, replied, NO_REPLY_AFTER)
        except TimeoutError:
            self.errors["no reply within 40 s"] += 1
            return []
        self.latencies.append(time.monotonic() - started)
        self.last_reply = time.monotonic()
        # the rest of the reply (a question often follows a note)
        quiet_since, seen = time.monotonic(), len(self.api.messages(self.id))
        while time.monotonic() - quiet_since < 0.4 and time.monotonic() - started < 8:
            await asyncio.sleep(0.1)
            now = len(self.api.messages(self.id))
            if now != seen:
                quiet_since, seen = time.monotonic(), now
        new = [m for m in self.api.messages(self.id) if m.message_id > last]
        for message in new:
            for kind_, words in ERRORS.items():
                if words in message.plain:
                    self.errors[kind_] += 1
        if any(words in m.plain for m in new for words in REPORT):
            self.reports_seen += 1  # shown to the patient: it must be kept
        return new

    def asked(self, messages: list[Sent]) -> str | None:
        """The question the bot's latest message asks, if any."""
        interview = self.soak.registry.current
        for message in reversed(messages):
            for qid, question in interview.questions.items():
                if question.text[DEFAULT] in message.plain:
                    return qid
            if "Photo 1 of" in message.plain:
                return "photos"
        return None

    async def step(self) -> None:
        state = DialogState.from_json(self.view.get_state(self.id))
        step = state.step if state is not None else None
        if state is None:  # none yet (or one the bot will start over from)
            await self.act("text", "/start")
        elif step == "consent":
            await self.act("press", buttons.CONSENT_YES)
        elif step == "photo_consent":
            await self.act("press", buttons.DELETE_PHOTOS)
        elif step == "interview":
            qid = state.asked()
            assert qid is not None, "the interview asks nothing"
            await self.answer(qid)
        elif step == "photos":
            assert state.photos is not None, "the capture has not started"
            await self.photo(state.photos)
        elif step == "analysis":
            await self.act("press", buttons.ANALYSIS_RETRY)
        elif step == "results":
            await self.act("press", buttons.REMINDERS_SET)
        elif step == "reminder_days":
            ticked = state.reminder_draft.days if state.reminder_draft is not None else None
            await self.act("press", buttons.DAYS_DONE if ticked else buttons.ALL_DAYS)
        elif step == "reminder_time":
            await self.act("press", buttons.time("08:00"))
        elif step == "reminder_zone":
            await self.act("press", buttons.zone("Europe/London"))
        elif step == "active" or step in ("referred", "declined"):
            self.rounds += step == "active"
            self.accepted, self.photos_accepted = {}, set()
            await self.act("text", "/restart")
        else:  # a check-in, or anything new: the first thing offered
            offered = [
                pressed
                for kb in self.view.get_session(self.id).get("keyboards", {}).values()
                for v in kb["values"]
                if (pressed := buttons.parse(v)) is not None
            ]
            await self.act("press", offered[0]) if offered else await self.act("text", "/start")

    async def answer(self, qid: str) -> None:
        value = self.soak.answers.get(qid)
        events = answer_events(self.soak.registry.current, qid, value)
        presses = [buttons.pressed(e) for e in events]
        if presses and presses[-1] == buttons.done(qid):
            # a multi-select, perhaps answered before (no reply came in time): tick what is
            # wanted and not yet ticked, untick the rest, as a person looking at the ticks
            ticked = self._ticked(qid)
            wanted = [e for e, p in zip(events[:-1], presses[:-1]) if p not in ticked]
            unwanted = [
                Event("choice", data=b.data)
                for b in sorted(ticked - set(presses[:-1]), key=lambda b: b.data)
            ]
            events = [*wanted, *unwanted, events[-1]]
        new: list[Sent] = []
        for event in events:
            new = (
                await self.act("press", buttons.pressed(event))
                if event.kind == "choice"
                else await self.act("text", event.text)
            )
        asked = self.asked(new)
        if asked is not None and asked != qid:
            self.accepted[qid] = value

    async def photo(self, photos: PhotoProgress) -> None:
        step = list(vocabulary().movements)[photos.index]
        if photos.tries.get(step, 0) >= 1:
            await self.act("press", buttons.PHOTO_SKIP)
            return
        new = await self.act("photo", photo(step))
        moved_on = any(f"Photo {photos.index + 2} of" in m.plain for m in new) or any(
            words in m.plain for m in new for words in REPORT
        )
        if moved_on:
            self.photos_accepted.add(step)

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            await self.step()
            await asyncio.sleep(self.rng.uniform(0.1, 0.8))  # reading, thinking, typing


# -- the soak ------------------------------------------------------------------------------------
class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.registry = InterviewRegistry(INTERVIEW)
        self.answers = healthy_answers(self.registry)
        self.data_file = workdir / "data" / "backcare.json"
        self.log_file = workdir / "bot.log"
        self._api: FakeBotApi | None = None  # the fake Telegram, set by run()
        self.view = StoreView(self.data_file)
        self.disk_full_flag = workdir / "disk-full"
        self.kills: list[float] = []  # when the bot was killed (time.time(), as Sent.time)
        # when the next bot was started after each kill: what the fake Telegram records in
        # between was sent by the killed bot (its requests were on the wire; this process's
        # loop, busy with the kill, read them only after it)
        self.restarts: list[float] = []
        self.started_wall = time.time()
        self.outside_repeats: list[str] = []
        self.failed_starts = 0
        self.faults: Counter[str] = Counter()
        self.workers_seen: set[int] = set()
        self.orphaned: list[int] = []  # vision workers that outlived their killed bot

    @property
    def api(self) -> FakeBotApi:
        if self._api is None:
            raise RuntimeError("the fake Bot API is started by run()")
        return self._api

    def vision_workers(self) -> list[int]:
        """The bot process's spawned worker processes (not its resource tracker)."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (stat.parent / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.bot.pid and b"spawn_main" in cmdline:
                out.append(int(stat.parent.name))
        self.workers_seen.update(out)
        return out

    async def inject(self, kind: str) -> None:
        api = self.api
        if kind == "5xx":
            api.faults += [Fault("*", 502, times=3), Fault("getUpdates", 500)]
        elif kind == "dropped connection":
            api.faults += [Fault("*", 0, times=2), Fault("getUpdates", 0)]
        elif kind == "429":
            api.faults.append(Fault("*", 429, retry_after=1, times=2))
        elif kind == "slow reply":
            api.faults.append(Fault("*", 200, delay=2.5, times=3))
        elif kind == "vision worker killed":
            workers = self.vision_workers()
            if not workers:
                return
            os.kill(workers[0], signal.SIGKILL)  # a worker of the bot this soak started
        elif kind == "disk full":
            self.disk_full_flag.touch()

            async def clears() -> None:
                await asyncio.sleep(self.args.disk_full_for)
                self.disk_full_flag.unlink(missing_ok=True)

            self._clearing = asyncio.create_task(clears())
        elif kind == "bot killed":
            await self.kill_bot()
        self.faults[kind] += 1
        note(f"fault: {kind}")

    async def kill_bot(self) -> None:
        """kill -9, then a start; the bot's vision workers must end with it."""
        async with self._bot_lock:
            workers = self.vision_workers()
            await self.bot.kill()
            # after it is gone: a send it had under way may reach Telegram just before
            self.kills.append(time.time())
            # the workers end with their parent by themselves (vision.pool); any still
            # running after a few seconds is counted, then killed as a service manager would
            end = time.monotonic() + 5.0
            while time.monotonic() < end and any(_running(pid) for pid in workers):
                await asyncio.sleep(0.1)
            for pid in workers:
                if _running(pid):
                    self.orphaned.append(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.restarts.append(time.time())
            await self.start_bot()

    async def start_bot(self, tries: int = 10) -> None:
        """Start it again as a service manager would (Restart=on-failure): a start can fail
        when Telegram answers 5xx to its first request (a fault still pending)."""
        # faults left pending for the killed bot would hit the new one's first requests
        self.api.faults.clear()
        for attempt in range(tries):
            try:
                await self.bot.start(timeout=120.0)
                return
            except (AssertionError, TimeoutError):
                if attempt == tries - 1:
                    raise
                if self.bot.process.returncode is None:  # never two bots at once
                    await self.bot.kill()
                self.failed_starts += 1
                await asyncio.sleep(1.0)

    async def kills_loop(self, until: float) -> None:
        every = self.args.kill_every
        while every > 0 and time.monotonic() + every < until:
            await asyncio.sleep(every)
            await self.kill_bot()
            self.faults["kill -9 (every N s)"] += 1
            note("kill -9 of the bot")

    async def faults_loop(self, until: float) -> None:
        rng = random.Random(self.args.seed)
        order: list[str] = []
        while time.monotonic() + self.args.fault_every < until:
            await asyncio.sleep(self.args.fault_every)
            if not order:
                # with kills every --kill-every s, those are the bot's kills
                order = [f for f in FAULTS if f != "bot killed" or not self.args.kill_every]
                rng.shuffle(order)
            await self.inject(order.pop())

    async def prepare(self) -> None:
        """Every other patient starts at the photos (as if the interview were done earlier),
        so photo analysis, and its faults, come from the first seconds."""
        from backcare.bot.storage import TinyDBStorage
        from tests.reliability.live import place, state_at

        at_photos = await state_at(self.registry, self.answers)
        storage = TinyDBStorage(self.data_file)
        for i in range(1, self.args.patients, 2):
            place(storage, BASE_ID + i, at_photos)
        storage.close()

    async def run(self) -> dict:
        await self.prepare()
        async with FakeBotApi() as api:
            self._api = api
            self._bot_lock = asyncio.Lock()
            self.bot = BotProcess(
                api,
                self.data_file,
                self.log_file,
                vision=self.args.workers,
                options=("--disk-full-flag", str(self.disk_full_flag)),
            )
            await self.bot.start()
            note(f"bot ready; {self.args.patients} patients for {self.args.seconds:.0f} s")
            patients = [Patient(self, BASE_ID + i) for i in range(self.args.patients)]
            until = time.monotonic() + self.args.seconds
            started = time.monotonic()
            await asyncio.gather(
                self.faults_loop(until), self.kills_loop(until), *(p.run(until) for p in patients)
            )
            elapsed = time.monotonic() - started
            self.ended = time.monotonic()
            note("time is up: letting the bot finish, then a graceful stop")
            api.faults.clear()
            self.disk_full_flag.unlink(missing_ok=True)
            drained = await self.drain()
            began = time.monotonic()
            await self.bot.stop()
            self.stop_took = time.monotonic() - began
            # the last word: every patient asks /status of a fresh start and must be answered
            left = self.leftovers()
            await self.bot.start()
            silenced = await self.probe(patients)
            await self.bot.stop()
        for pid in self.workers_seen - set(self.vision_workers()):  # none should be left
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return self.check(patients, elapsed, drained, left, silenced)

    def leftovers(self) -> tuple[dict[int, dict | None], dict[int, int], int, int]:
        """Through the storage contract, after the stop: states, reports kept per patient,
        updates left in the inbox, replies left in the outbox."""
        from backcare.bot.storage import TinyDBStorage

        storage = TinyDBStorage(self.data_file)
        try:
            ids = [BASE_ID + i for i in range(self.args.patients)]
            states = {uid: storage.get_state(uid) for uid in ids}
            reports = {uid: len(storage.assessments(uid)) for uid in ids}
            return states, reports, len(storage.inbox_pending()), len(storage.pending())
        finally:
            storage.close()

    async def probe(self, patients: list[Patient], timeout: float = 30.0) -> list[int]:
        """Patients whose /status gets no answer: silenced."""
        marks = {p.id: len(self.api.messages(p.id)) for p in patients}
        for p in patients:
            self.api.send_text(p.user, "/status")
        silenced = []
        for p in patients:

            def answered(chat: int = p.id) -> bool:
                return len(self.api.messages(chat)) > marks[chat]

            try:
                await self.api.wait_in_chat(p.id, answered, timeout)
            except TimeoutError:
                silenced.append(p.id)
        return silenced

    def window(self, p: Patient, qid: str) -> list[str]:
        """The patient's actions and the bot's messages around their last answer to ``qid``."""
        t0 = self.started_wall
        at = max((t for t, _, value in p.done if qid in value), default=None)
        if at is None:
            at = p.done[-1][0] if p.done else t0
        acts = [(t, f"{kind} {value}") for t, kind, value in p.done if at - 60 <= t <= at + 30]
        got = [
            (m.time, f"<- #{m.message_id} (edits {m.edits}) {m.plain[:50]!r}")
            for m in self.api.messages(p.id)
            if at - 60 <= m.time <= at + 30
        ]
        kills = [(k, "*** bot killed") for k in self.kills if at - 60 <= k <= at + 30]
        return [f"{t - t0:.2f} {what}" for t, what in sorted(acts + got + kills)]

    def repeats(self, patients: list[Patient]) -> tuple[int, int]:
        """Messages Telegram got twice (the same text and buttons), as (inside their own send
        call, outside it). A repeat is inside when a kill fell between the two copies and
        the first was the patient's last message before it (it was being sent, or its
        removal from the outbox being saved). Messages with answer buttons are compared:
        each rendering of a question gets buttons of its own (a callback token), so the
        same question asked again (/start, a late update) is no repeat; a message without
        them (text, video links) cannot be told from the same words answering another
        update or a later journey."""
        inside = outside = 0
        for p in patients:
            # in the order they reached Telegram (a slow answer is recorded late)
            sent = sorted(self.api.messages(p.id), key=lambda m: (m.time, m.message_id))
            # as sent: tidying takes the buttons off older messages later
            keys = [(m.text, json.dumps(m.sent_markup, sort_keys=True)) for m in sent]
            # replies only: "I could not save your last message" is said beside the
            # outbox (and then the reply's removal from it may be what is waiting)
            replies = [
                i for i, m in enumerate(sent) if not any(words in m.plain for words in NOT_REPLIES)
            ]
            seen: dict[tuple[str, str], int] = {}
            for n, key in enumerate(keys):
                if any(words in sent[n].plain for words in NOT_REPLIES):
                    continue
                if not _has_callbacks(sent[n].sent_markup):
                    continue  # see above
                if not key[0] or key not in seen:
                    seen[key] = n
                    continue
                first = sent[seen[key]]
                # kills between the copies, as (killed, next start): a copy recorded before
                # the next start came from the killed bot
                killed = [
                    (k, r)
                    for k, r in zip(self.kills, self.restarts, strict=False)
                    if first.time <= r and k <= sent[n].time
                ]
                last_before = (
                    killed
                    and seen[key] == max(i for i in replies if sent[i].time <= killed[0][1])
                    and all(sent[i].time > killed[-1][1] for i in replies if seen[key] < i <= n)
                )
                if last_before:
                    inside += 1
                else:
                    outside += 1
                    t0 = self.started_wall
                    self.outside_repeats.append(
                        f"{p.id}: {first.plain[:50]!r} at {first.time - t0:.1f} s and again at "
                        f"{sent[n].time - t0:.1f} s (kills at "
                        f"{', '.join(f'{k - t0:.1f}' for k in self.kills) or 'none'})"
                    )
                    if self.args.keep:  # the patient's side of it, for a look afterwards
                        window = [
                            f"{t - t0:.2f} {kind} {value}"
                            for t, kind, value in p.done
                            if first.time - 10 <= t <= sent[n].time + 1
                        ] + [
                            f"{m.time - t0:.2f} <- #{m.message_id} {m.plain[:40]!r}"
                            for m in sent
                            if first.time - 10 <= m.time <= sent[n].time + 1
                        ]
                        note(f"repeat for {p.id}:\n  " + "\n  ".join(sorted(window)))
                seen[key] = n
        return inside, outside

    async def drain(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.pending_updates == 0 and not self.view.busy():
                return True
            await asyncio.sleep(0.2)
        return False

    def check(
        self,
        patients: list[Patient],
        elapsed: float,
        drained: bool,
        left: tuple[dict[int, dict | None], dict[int, int], int, int],
        silenced: list[int],
    ) -> dict:
        states, reports_kept, inbox_left, outbox_left = left
        interview = self.registry.current
        lost: list[str] = []
        inconsistent: list[str] = []
        for p in patients:
            state = restore(states.get(p.id))  # None: none, or not one the dialogs go on from
            if state is None or state.step not in STEP:
                inconsistent.append(f"{p.id}: unusable state")
                continue
            saved = state.answers()
            current = state.interview.current if state.interview is not None else None
            if current is not None and current not in interview.questions:
                inconsistent.append(f"{p.id}: current question {current!r} unknown")
            for qid, value in p.accepted.items():
                if saved.get(qid) != value:
                    lost.append(
                        f"{p.id}: answer {qid} ({value!r} shown accepted, saved {saved.get(qid)!r})"
                    )
                    if self.args.keep:  # the patient's side of it, for a look afterwards
                        note(f"lost answer of {p.id}:\n  " + "\n  ".join(self.window(p, qid)))
            results = state.photos.results if state.photos is not None else {}
            for step in p.photos_accepted:
                if not (results.get(step) or {}).get("accepted"):
                    lost.append(f"{p.id}: photo {step} shown accepted, not saved as accepted")
            if reports_kept[p.id] < p.reports_seen:
                lost.append(f"{p.id}: {p.reports_seen} report(s) shown, {reports_kept[p.id]} kept")
        if inbox_left or outbox_left:
            inconsistent.append(f"inbox {inbox_left}, outbox {outbox_left} left")
        if self.orphaned:
            inconsistent.append(f"{len(self.orphaned)} vision worker(s) outlived the killed bot")
        inside, outside = self.repeats(patients)
        stuck = [p.id for p in patients if self.ended - p.last_reply > STUCK_AFTER]
        return {
            "silenced": silenced,
            "stuck": stuck,
            "repeated_outside": outside,
            "stop_took": self.stop_took,
            "outside_repeats": self.outside_repeats,
            "failed_starts": self.failed_starts,
            "patients": patients,
            "elapsed": elapsed,
            "drained": drained,
            "lost": lost,
            "inconsistent": inconsistent,
            "repeated": inside + outside,
            "faults": self.faults,
            "calls": len(self._api.calls) if self._api else 0,
        }


def _has_callbacks(markup: dict | None) -> bool:
    rows = (markup or {}).get("inline_keyboard", [])
    return any("callback_data" in button for row in rows for button in row)


def _running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie left for init to reap has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


def report(args: argparse.Namespace, result: dict) -> None:
    patients: list[Patient] = result["patients"]
    errors: Counter[str] = sum((p.errors for p in patients), Counter())
    latencies = sorted(t for p in patients for t in p.latencies)
    answers = sum(len(p.accepted) for p in patients)
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))] * 1000  # noqa: E731
    faults = result["faults"]
    lost = len(result["lost"])
    rows = [
        (
            "run",
            f"{result['elapsed']:.0f} s, a fault every {args.fault_every:g} s, "
            f"{args.workers} vision worker(s), {os.cpu_count()} CPUs",
        ),
        ("patients", f"{len(patients)}"),
        (
            "updates sent",
            f"{sum(p.updates for p in patients)} "
            f"({sum(p.updates for p in patients) / result['elapsed']:.1f}/s)",
        ),
        (
            "reply time p50 / p95 / max",
            f"{pick(0.5):.0f} / {pick(0.95):.0f} / {latencies[-1] * 1000:.0f} ms"
            if latencies
            else "-",
        ),
        (
            "journeys completed",
            f"{sum(p.rounds for p in patients)} "
            f"(reports shown {sum(p.reports_seen for p in patients)})",
        ),
        ("answers accepted (open rounds)", f"{answers}"),
        (
            "faults injected",
            f"{sum(faults.values())}: " + ", ".join(f"{k} {n}" for k, n in faults.items()),
        ),
        (
            "errors seen by patients",
            f"{sum(errors.values())}"
            + (": " + ", ".join(f"{k} {v}" for k, v in errors.most_common()) if errors else ""),
        ),
        ("answers lost", f"{lost}" + ("  <-- MUST BE 0" if lost else "")),
        (
            "users silenced",
            f"{len(result['silenced'])}" + ("  <-- MUST BE 0" if result["silenced"] else ""),
        ),
        (
            "stuck patients",
            f"{len(result['stuck'])} (no reply in the run's last {STUCK_AFTER:.0f} s)"
            + ("  <-- MUST BE 0" if result["stuck"] else ""),
        ),
        (
            "waits over 40 s",
            f"{errors['no reply within 40 s']} (during restarts after a kill, with a backlog)",
        ),
        (
            "replies repeated",
            f"{result['repeated']}: {result['repeated'] - result['repeated_outside']} inside "
            f"their own send call, {result['repeated_outside']} outside"
            + ("  <-- MUST BE 0" if result["repeated_outside"] else ""),
        ),
        ("states inconsistent", f"{len(result['inconsistent'])}"),
        ("last graceful stop", f"{result['stop_took']:.1f} s"),
        ("starts that failed", f"{result['failed_starts']} (started again, as systemd would)"),
    ]
    width = max(len(k) for k, _ in rows)
    print("\nbench/soak.py: patients through the real bot with faults injected\n")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for uid in result["silenced"]:
        result["inconsistent"].append(f"{uid}: no answer to /status at the end (silenced)")
    for line in (result["lost"] + result["inconsistent"] + result["outside_repeats"])[:20]:
        print(f"  ! {line}")
    if not result["drained"]:
        print("  ! the bot did not finish its queue within 60 s after the run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--fault-every", type=float, default=3.0, help="seconds between faults")
    parser.add_argument("--workers", type=int, default=1, help="vision worker processes")
    parser.add_argument(
        "--kill-every", type=float, default=20.0, help="seconds between kill -9 of the bot (0: off)"
    )
    parser.add_argument(
        "--disk-full-for", type=float, default=4.0, help="seconds each full-disk fault lasts"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (data, bot log)")
    args = parser.parse_args()
    missing = [s for s, f in PHOTO_FOR_STEP.items() if not (RENDERS / f).exists()]
    if missing:
        raise SystemExit(f"soak: photos missing for {missing} in {RENDERS}")
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        result = asyncio.run(Soak(args, workdir).run())
    finally:
        if args.keep:
            note(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report(args, result)
    bad = result["lost"] or result["inconsistent"] or result["stuck"]
    if bad or result["repeated_outside"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
