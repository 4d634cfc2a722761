"""Two bot replicas in webhook mode behind a real HAProxy, on one PostgreSQL database;
one replica is killed (SIGKILL) in the middle of 50 patients' conversations.

Telegram is the fake Bot API of tests/support (it delivers each update to the webhook
until it gets a 200, as Telegram does); each patient sends six messages in turn and
has a reminder falling due during the run. Checked afterwards: every message answered
once and in order (none lost, none twice), every reminder sent once, nothing left in
the inbox or the outbox.

One duplicate cannot be ruled out by any design: a reply Telegram accepted in the
instant before the replica died, whose removal from the outbox was not yet saved, is
sent again by the replica that takes over (the Bot API has no idempotency key). The
test allows exactly those: a second copy sent by the surviving replica whose first was
the killed replica's last message to the patient; any other duplicate fails it. Who
sent a message is recorded by the fake Bot API (each replica has an address of its
own), not guessed from times: a request the test's event loop reads after the kill
may have left the killed replica before it (one CI run counted such a reply, and its
resending, as a duplicate).

Needs PostgreSQL (tests.support.postgres) and HAProxy (Debian: apt-get install haproxy);
skips without them, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from backcare.bot.storage import Reminder, utc_now
from backcare.bot.storage.postgres import PostgresStorage
from tests.support.echo_dialogs import echo_state, plan_far_from
from tests.support.fake_botapi import FakeBotApi, Sent
from tests.support.postgres import fresh_schema

# bot processes behind HAProxy, one killed amid 50 patients: the slow suite
# (tests/bot/test_replicas.py keeps replicas on one database in the fast one)
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PATIENTS = 50
MESSAGES = 6
SECRET = "scaleout-secret-0123456789"
REMINDER = "Time for your exercises (reminder)."


def require_haproxy() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found:
        return found
    message = (
        "HAProxy is not installed; install it with: apt-get update && apt-get install -y haproxy"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The production layout's load balancer (deploy/compose.yaml), with the test's own
# address and servers: the same timeouts, retries and health checks as in a trial.
HAPROXY_CFG = REPO / "deploy" / "haproxy.cfg"


def haproxy_config(lb: int, ports: list[int]) -> str:
    lines = []
    for line in HAPROXY_CFG.read_text().splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        if line.strip().startswith("bind "):
            lines.append(f"{indent}bind 127.0.0.1:{lb}")
        elif line.strip().startswith("server "):
            if not any(x.strip().startswith("server ") for x in lines):
                options = " ".join(line.split()[3:])  # health checks as in the layout
                lines += [
                    f"{indent}server r{n} 127.0.0.1:{port} {options}"
                    for n, port in enumerate(ports, 1)
                ]
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


class Replica:
    def __init__(
        self,
        url: str,
        api: FakeBotApi,
        port: int,
        webhook_url: str,
        log: Path,
        env: dict[str, str] | None = None,
        name: str = "replica",
    ) -> None:
        self.port = port
        self.log = log
        self.name = name  # what the fake Bot API records as the sender of its messages
        base_url, file_url = api.client_urls(name)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.scaleout.replica",
                url,
                base_url,
                file_url,
                api.token,
                str(port),
                webhook_url,
                SECRET,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        )

    async def ready(self, timeout: float = 60.0) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), timeout)
        assert line.strip() == b"ready", f"replica did not start: {self.log.read_text()[-2000:]}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m.plain for m in api.messages(chat_id)]


async def test_two_replicas_behind_haproxy_one_killed_mid_run(tmp_path):
    haproxy = require_haproxy()
    with fresh_schema() as url:
        store = PostgresStorage(url)  # migrates; the test's own view of the database
        try:
            await _run(haproxy, url, store, tmp_path)
        finally:
            store.close()


async def _run(haproxy: str, url: str, store: PostgresStorage, tmp_path: Path) -> None:
    lb, p1, p2 = free_port(), free_port(), free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_config(lb, [p1, p2]))
    patients = [5_000_001 + i for i in range(PATIENTS)]
    start = utc_now()
    plan = plan_far_from(start)  # its next time after the run is hours away
    for i, uid in enumerate(patients):  # each reminder falls due during the run
        store.put_state(uid, echo_state("done", reminders=plan).to_json())
        due = start + timedelta(seconds=4 + (i % 10) * 0.8)
        store.put_reminder(Reminder(uid, uid, plan.to_json(), due))
    lb_proc = subprocess.Popen(
        [haproxy, "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    replicas: list[Replica] = []
    try:
        async with FakeBotApi() as api:
            webhook = f"http://127.0.0.1:{lb}/telegram"
            replicas = [
                Replica(url, api, port, webhook, tmp_path / f"replica{n}.log", name=f"r{n}")
                for n, port in ((1, p1), (2, p2))
            ]
            await asyncio.gather(*(r.ready() for r in replicas))
            users = [api.user(uid) for uid in patients]
            killed = replicas[0].name
            began = time.monotonic()
            for k in range(MESSAGES):
                for user in users:
                    api.send_text(user, f"u{user.id}-m{k}")
                if k == MESSAGES // 2:
                    # mid-run: updates in flight, turns running, reminders falling due
                    await asyncio.sleep(0.3)
                    await asyncio.to_thread(replicas[0].kill)  # the fake API keeps serving
                await asyncio.sleep(0.7)

            def done() -> bool:
                return all(len(texts(api, u)) >= MESSAGES + 1 for u in patients)

            # on a timeout what is missing is named below, with the replicas' logs
            with contextlib.suppress(TimeoutError):
                await api.wait_for(done, timeout=120)
            await asyncio.sleep(2.0)  # a duplicate (a reply or a reminder) would show by now
            took = time.monotonic() - began
            lost, twice, disorder, unrecorded = [], [], [], []
            for uid in patients:
                sent = sorted(api.messages(uid), key=lambda m: m.message_id)
                assert all(m.sender in ("r1", "r2") for m in sent), "a message of no replica"
                by_killed = [m for m in sent if m.sender == killed]
                killed_last = by_killed[-1] if by_killed else None
                firsts: dict[str, Sent] = {}
                got = []  # each text once: a second copy is checked, then set aside
                for m in sent:
                    if m.plain not in firsts:
                        firsts[m.plain] = m
                        got.append(m.plain)
                    elif firsts[m.plain] is killed_last and m.sender != killed:
                        unrecorded.append((uid, m.plain))
                    else:
                        twice.append((uid, [(x.plain, x.sender) for x in sent]))
                said = [t for t in got if t != REMINDER]
                expected = [f"You said: u{uid}-m{k}" for k in range(MESSAGES)]
                if REMINDER not in got:
                    lost.append((uid, "reminder"))
                lost += [(uid, text) for text in expected if text not in said]
                if said != expected:
                    disorder.append((uid, said))
            print(
                f"\n{PATIENTS} patients x {MESSAGES} messages + 1 reminder, one of two replicas "
                f"killed: {took:.1f} s; webhook answers {sorted(set(api.webhook_deliveries))}; "
                f"replies sent again after the kill (accepted by Telegram, not yet recorded): "
                f"{len(unrecorded)}"
            )
            assert (lost, twice, disorder) == ([], [], []), "\n".join(
                f"{r.name}'s log ends:\n{r.log.read_text(errors='replace')[-3000:]}"
                for r in replicas
            )
            assert len(unrecorded) <= 10  # a handful at most: those in flight at the kill
            assert store.inbox_pending() == [] and store.pending() == []
            assert all(r.next_due > start + timedelta(hours=1) for r in store.reminders())
    finally:
        for replica in replicas:
            replica.stop()
        lb_proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            lb_proc.wait(5)
