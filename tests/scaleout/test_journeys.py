"""The production layout on one machine: two bot replicas in webhook mode behind HAProxy,
two Celery workers (`backcare worker`, Redis broker), one PostgreSQL database; 50
patients go through whole journeys (consent, the real interview of interview.yaml,
a photo analysed by the workers, the results, reminders set, a reminder fired) while
one replica and one worker are killed (SIGKILL) mid-run.

Checked afterwards, for every patient: the journey ended (program given, reminders
set), the answers stored are exactly those given (none lost, none applied twice: a
toggle applied twice would undo itself), one assessment saved, the reminder fired
once and is due again tomorrow or later, no reply sent twice, nothing left in the
inbox or the outbox.

Each patient sends one photo (the first capture step) and skips the other seven, to
keep the run within a few minutes on two shared cores; the photo goes through the
queue and the workers as every photo does. Patients start 0.4 s apart, so at the
kills some are answering questions, some sending photos and some setting reminders.

The one duplicate no design can rule out (the Bot API has no idempotency key): a reply
Telegram accepted just before its replica died, not yet marked sent, is sent again by
the replica taking over. Those whose first copy was the killed replica's last message to
the patient, and the copy the surviving replica's, are counted and allowed (a handful);
any other fails. Who sent what is recorded by the fake Bot API (each replica has an
address of its own), not guessed from times: a loaded replica may take seconds between
Telegram's answer and marking the reply sent, and a request the killed replica had
written may be read by the fake API after the kill.

Needs PostgreSQL, Redis and HAProxy; skips without them, except under CI=true.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.state import DialogState
from backcare.bot.intake import user_of
from backcare.bot.storage import Reminder
from backcare.bot.storage.postgres import PostgresStorage
from backcare.interview import InterviewRegistry
from tests.backcare.taskqueue.workers import Worker
from tests.reliability.live import INTERVIEW, healthy_answers, state_at
from tests.scaleout.test_webhook_replicas import (
    Replica,
    free_port,
    haproxy_config,
    require_haproxy,
)
from tests.support.echo_dialogs import daily_time_far_from
from tests.support.fake_botapi import FakeBotApi, Sent
from tests.support.patients import Patient, dialog_of, photo
from tests.support.postgres import fresh_schema
from tests.support.services import REDIS_URL, require

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

PATIENTS = int(os.environ.get("BACKCARE_SCALEOUT_PATIENTS", "50"))
STAGGER = 0.4  # seconds between two patients' first message
SETTLE = 120.0  # a patient's longest wait for one answer (a photo whose worker died)
FIRST_STEP = "standing_side"


class Watch:
    """Which patients the bot is still busy with (an update not yet taken, in the inbox,
    or a reply in the outbox), read from the database every 0.1 s by one poller."""

    def __init__(self, api: FakeBotApi, store: PostgresStorage) -> None:
        self.api, self.store = api, store
        self.busy: set[int] = set()
        self.cycle = 0
        self._tick = asyncio.Event()

    def _read(self) -> set[int]:
        inbox = {user_of(body) for body in self.store.inbox_pending()}
        return {u for u in inbox if u is not None} | {i.user_id for i in self.store.pending()}

    async def run(self) -> None:
        while True:
            self.busy = await asyncio.to_thread(self._read)
            self.cycle += 1
            self._tick.set()
            self._tick = asyncio.Event()
            await asyncio.sleep(0.1)

    def _offered(self, uid: int) -> bool:
        return any(user_of(u) == uid for u in self.api._updates)

    async def idle(self, uid: int) -> None:
        """Until a read begun after this call finds ``uid`` idle twice in a row, with
        no new message in between."""
        start, calm, seen = self.cycle, 0, -1
        while calm < 2:
            await self._tick.wait()
            if self.cycle < start + 2 or uid in self.busy or self._offered(uid):
                calm = 0
                continue
            count = len(self.api.sent.get(uid, []))
            calm = calm + 1 if count == seen else 1
            seen = count


class Seat:
    """What tests.support.patients.Patient needs of a harness, for one patient."""

    def __init__(self, api: FakeBotApi, store: PostgresStorage, watch: Watch, uid: int) -> None:
        self.api, self.storage, self.watch, self.uid = api, store, watch, uid

    async def settle(self, timeout: float = SETTLE) -> None:
        await asyncio.wait_for(self.watch.idle(self.uid), SETTLE)


def one_photo(step: str) -> bytes | None:
    return photo(step) if step == FIRST_STEP else None


def repeated(patient: Patient, killed: str) -> tuple[list[str], list[str]]:
    """Replies sent twice within one turn (the messages between two of the patient's
    actions): (those the killed replica was sending: the first copy its last message to
    the patient, the second another replica's; the others)."""
    by_id = sorted(patient.messages, key=lambda m: m.message_id)
    assert all(m.sender is not None for m in by_id), "a message from no replica"
    by_killed = [m for m in by_id if m.sender == killed]
    killed_last = by_killed[-1] if by_killed else None
    bounds = [last for last, _ in patient.actions] + [10**12]
    window, other = [], []
    for low, high in zip(bounds, bounds[1:], strict=False):
        firsts: dict[tuple, Sent] = {}
        for m in by_id:
            if not low < m.message_id <= high:
                continue
            key = (m.kind, m.plain, str(m.sent_markup))
            if key not in firsts:
                firsts[key] = m
            elif firsts[key] is killed_last and m.sender != killed:
                window.append(m.plain[:60])
            else:
                other.append(m.plain[:60])
    return window, other


async def test_fifty_journeys_with_photos_one_replica_and_one_worker_killed(tmp_path):
    haproxy = require_haproxy()
    broker = require(REDIS_URL)
    tag = f"bcscale-{uuid.uuid4().hex[:8]}"
    queue_env = {
        "BACKCARE_BROKER_URL": broker,
        "BACKCARE_KEY_PREFIX": f"{tag}:",
        "BACKCARE_QUEUE": tag,
        # a task taken by the killed worker is queued again after this long
        "BACKCARE_TASK_TIME_LIMIT": "15",
        "BACKCARE_TASK_VISIBILITY": "20",
    }
    try:
        with fresh_schema() as url:
            store = PostgresStorage(url)  # migrates; the test's own view of the database
            try:
                await _run(haproxy, url, store, queue_env, tmp_path)
            finally:
                store.close()
    finally:
        client = redis.Redis.from_url(broker)
        keys = list(client.scan_iter(match=f"{tag}*", count=1000))
        if keys:
            client.delete(*keys)


async def _run(
    haproxy: str, url: str, store: PostgresStorage, queue_env: dict[str, str], tmp_path: Path
) -> None:
    registry = InterviewRegistry(INTERVIEW)
    answers = healthy_answers(registry)
    expected = dialog_of(await state_at(registry, answers)).answers()
    workers = [Worker(queue_env, tmp_path / f"worker{n}.log") for n in (1, 2)]
    lb, p1, p2 = free_port(), free_port(), free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(lb, [p1, p2]))
    lb_proc = subprocess.Popen(
        [haproxy, "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    replicas: list[Replica] = []
    try:
        for worker in workers:
            await asyncio.to_thread(worker.wait_ready)
        async with FakeBotApi() as api:
            webhook = f"http://127.0.0.1:{lb}/telegram"
            env = {**queue_env, "BACKCARE_SCALEOUT_REAL": "1", "BACKCARE_HTTP_PORT": "off"}
            replicas = [
                Replica(
                    url,
                    api,
                    port,
                    webhook,
                    tmp_path / f"replica{n}.log",
                    env={**env, "BACKCARE_DATA_DIR": str(tmp_path / f"data{n}")},
                    name=f"r{n}",
                )
                for n, port in ((1, p1), (2, p2))
            ]
            await asyncio.gather(*(r.ready() for r in replicas))
            await asyncio.sleep(1.0)  # HAProxy's health checks see both
            watch = Watch(api, store)
            poller = asyncio.create_task(watch.run())
            kills = {"replica": float("inf"), "worker": float("inf")}
            photos_sent = 0
            at_kill: dict[str, str] = {}  # where the patients were at each kill
            reminded: dict[int, int] = {}  # patient -> last message id before the reminder
            # the patients' daily time, hours from now: after the reminder the test fires,
            # the next one is due hours later, never during the run
            reminder_time = daily_time_far_from(datetime.now(UTC))

            async def journey(i: int, patient: Patient) -> None:
                nonlocal photos_sent
                await asyncio.sleep(i * STAGGER)
                await patient.start()
                await patient.press(buttons.CONSENT_YES)  # photos are not kept: not asked
                await patient.interview(registry.current, answers)
                assert patient.step == "photos", patient.transcript()
                photos_sent += 1
                if photos_sent == min(12, PATIENTS // 2) and kills["worker"] == float("inf"):
                    # photos in flight: this one at least, queued behind the others
                    asyncio.get_running_loop().call_later(1.0, kill_worker)
                await patient.photos(one_photo)
                assert patient.step == "results", patient.transcript()
                await patient.press(buttons.REMINDERS_SET)
                await patient.press(buttons.ALL_DAYS)
                await patient.press(buttons.DAYS_DONE)
                await patient.press(buttons.time(reminder_time))
                await patient.press(buttons.zone("Europe/London"))
                assert patient.step == "active", patient.transcript()
                if kills["replica"] == float("inf"):
                    # the others: mid-interview, photos, reminders
                    await asyncio.to_thread(replicas[0].kill)  # the fake API keeps serving
                    kills["replica"] = time.time()
                    at_kill["replica"] = where(patients)
                # the reminder falls due now (as if tomorrow 08:00 had come)
                stored = store.get_reminder(patient.id)
                assert stored is not None
                reminded[patient.id] = patient.messages[-1].message_id
                due = datetime.now(UTC) + timedelta(seconds=1)
                store.put_reminder(Reminder(patient.id, stored.chat_id, stored.plan, due))
                await api.wait_for_message(
                    patient.id,
                    where=lambda m: m.message_id > reminded[patient.id],
                    timeout=SETTLE,
                )
                await patient.settle()

            def kill_worker() -> None:
                kills["worker"] = time.time()
                workers[0].signal_all(signal.SIGKILL)
                at_kill["worker"] = where(patients)

            def where(patients: list[Patient]) -> str:
                steps = Counter(str(p.step or "not started") for p in patients)
                return ", ".join(f"{n} {step}" for step, n in sorted(steps.items()))

            patients = [
                Patient(Seat(api, store, watch, 6_000_001 + i), 6_000_001 + i)
                for i in range(PATIENTS)
            ]
            began = time.monotonic()
            try:
                await asyncio.gather(*(journey(i, p) for i, p in enumerate(patients)))
                await asyncio.sleep(3.0)  # a late duplicate (reply or reminder) shows by now
            finally:
                poller.cancel()
            took = time.monotonic() - began

            unrecorded, twice, wrong = [], [], []
            for patient in patients:
                window, other = repeated(patient, replicas[0].name)
                unrecorded += [(patient.id, t) for t in window]
                twice += [(patient.id, t) for t in other]
                state = DialogState.from_json(patient.state)  # None: none stored, or unusable
                if state is None or state.answers() != expected:
                    wrong.append((patient.id, "answers"))
                if len(store.assessments(patient.id)) != 1:
                    wrong.append((patient.id, f"{len(store.assessments(patient.id))} assessments"))
                after = [m for m in patient.messages if m.message_id > reminded[patient.id]]
                reminders = [m for m in after if any(b.get("url") for b in m.buttons)]
                if len(reminders) != 1:
                    wrong.append((patient.id, f"{len(reminders)} reminders"))
                stored = store.get_reminder(patient.id)
                if stored is None or stored.next_due < datetime.now(UTC) + timedelta(hours=1):
                    wrong.append((patient.id, "reminder not due again"))
            print(
                f"\n{PATIENTS} whole journeys (interview, 1 photo, results, reminders, a "
                f"reminder fired), one of two replicas and one of two workers killed: "
                f"{took:.1f} s; {sum(len(p.messages) for p in patients)} messages; replies sent "
                f"again after the replica's kill (accepted, not yet recorded): {len(unrecorded)}"
                f"\npatients' steps at the replica's kill: {at_kill.get('replica')}"
                f"\npatients' steps at the worker's kill: {at_kill.get('worker')}"
            )
            assert (twice, wrong) == ([], [])
            assert len(unrecorded) <= 10  # a handful at most: those in flight at the kill
            assert kills["worker"] < float("inf") and kills["replica"] < float("inf")
            assert store.inbox_pending() == [] and store.pending() == []
    finally:
        for replica in replicas:
            replica.stop()
        for worker in workers:
            worker.stop()
        lb_proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            lb_proc.wait(5)
