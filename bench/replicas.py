"""Text reply latency with 1 and 2 bot replicas in webhook mode behind HAProxy, on
PostgreSQL, measured in one run under the same load.

    .venv/bin/python bench/replicas.py [--patients 50] [--seconds 20] [--rate 0.4]

Each patient sends a text message about every ``1/rate`` seconds (jittered) for
``--seconds``: by default 20 messages a second in all, below Telegram's limit of about
30 a second per bot (each replica's rate limiter allows that much; above it one
replica queues replies and two would be refused by Telegram, so neither measures us); the latency of a message is from the moment the fake Telegram offers it
to the moment the bot's answer reaches the fake Telegram. The replicas run
tests/scaleout/replica.py (what `backcare bot` runs with BACKCARE_DATABASE_URL, the
scripted dialogs answering at once: this measures delivery, storage and coordination,
not the interview). The acceptance target (issue 18): p99 with 2 replicas no worse
than with 1. Needs PostgreSQL (BACKCARE_TEST_DATABASE_URL) and HAProxy
(apt-get install haproxy); each round uses a schema of its own, dropped after. On a
machine shared with other jobs (the load average printed) the numbers say as much
about them as about us.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backcare.bot.storage.postgres import PostgresStorage  # noqa: E402
from tests.scaleout.test_webhook_replicas import (  # noqa: E402
    Replica,
    free_port,
    haproxy_config,
    require_haproxy,
)
from tests.support.fake_botapi import FakeBotApi  # noqa: E402
from tests.support.postgres import fresh_schema  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def round_with(replicas: int, args: argparse.Namespace, folder: Path) -> list[float]:
    haproxy = require_haproxy()
    with fresh_schema() as url:
        PostgresStorage(url).close()  # the schema, before the replicas race to make it
        lb = free_port()
        ports = [free_port() for _ in range(replicas)]
        cfg = folder / f"haproxy{replicas}.cfg"
        cfg.write_text(haproxy_config(lb, ports))
        proxy = subprocess.Popen(
            [haproxy, "-f", str(cfg), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        nodes: list[Replica] = []
        try:
            async with FakeBotApi() as api:
                webhook = f"http://127.0.0.1:{lb}/telegram"
                nodes = [
                    Replica(
                        url,
                        api,
                        port,
                        webhook,
                        folder / f"r{replicas}-{n}.log",
                        env={"BACKCARE_SCALEOUT_TURN": "0"},
                    )
                    for n, port in enumerate(ports)
                ]
                await asyncio.gather(*(node.ready() for node in nodes))
                await asyncio.sleep(1.0)  # health checks up
                offered: dict[tuple[int, str], float] = {}
                rng = random.Random(18)

                async def patient(uid: int) -> None:
                    user = api.user(uid)
                    end = time.time() + args.seconds
                    n = 0
                    await asyncio.sleep(rng.uniform(0, 1 / args.rate))
                    while time.time() < end:
                        text = f"p{uid}-{n}"
                        offered[(uid, f"You said: {text}")] = time.time()
                        api.send_text(user, text)
                        n += 1
                        await asyncio.sleep(rng.uniform(0.5, 1.5) / args.rate)

                uids = [7_000_001 + i for i in range(args.patients)]
                await asyncio.gather(*(patient(uid) for uid in uids))

                def answered() -> bool:
                    got = sum(len(api.messages(uid)) for uid in uids)
                    return got >= len(offered)

                await api.wait_for(answered, timeout=120)
                latencies = []
                for uid in uids:
                    for message in api.messages(uid):
                        sent = offered.get((uid, message.plain))
                        if sent is not None:
                            latencies.append((message.time - sent) * 1000)
                return latencies
        finally:
            for node in nodes:
                node.stop()
            proxy.terminate()
            proxy.wait(5)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=0.4, help="messages per patient per second")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for replicas in (1, 2):
            ms = await round_with(replicas, args, Path(tmp))
            rows.append(
                (
                    replicas,
                    len(ms),
                    statistics.median(ms),
                    percentile(ms, 0.95),
                    percentile(ms, 0.99),
                    max(ms),
                )
            )
    print(f"\n{args.patients} patients, ~{args.rate:g} text message/s each, {args.seconds:g} s")
    print(f"{'replicas':>8} {'replies':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for replicas, n, p50, p95, p99, top in rows:
        print(f"{replicas:>8} {n:>8} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f} {top:>8.0f}")
    one, two = rows
    print(f"\np99 with 2 replicas / with 1: {two[4] / one[4]:.2f} (target: <= 1.0)")


if __name__ == "__main__":
    asyncio.run(main())
