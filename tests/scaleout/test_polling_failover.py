"""Two bot replicas in polling mode on one PostgreSQL database: one polls, the other
stands by; the poller is killed (SIGKILL, so it cannot hand its lease back) and the
standby takes over within the lease's time, every message answered once and in order.

Needs PostgreSQL (tests.support.postgres); skips without it, except under CI=true.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from backcare.bot.replicas import LEASE, LEASE_EVERY, LEASE_TTL
from backcare.bot.storage.postgres import PostgresStorage
from tests.scaleout.test_webhook_replicas import Replica, free_port, texts
from tests.support.fake_botapi import FakeBotApi
from tests.support.postgres import fresh_schema

# bot processes, one killed, waiting out a lease: the slow suite (tests/bot/test_replicas.py
# keeps the lease and the take-over in the fast one)
pytestmark = pytest.mark.slow

PATIENTS = 10


def holder(store: PostgresStorage) -> str | None:
    with store.transaction():
        conn = store._local.conn
        row = conn.execute(
            "SELECT holder FROM leases WHERE name = %s AND until >= now()", (LEASE,)
        ).fetchone()
    return row[0] if row else None


async def test_the_standby_polls_within_seconds_after_the_poller_is_killed(tmp_path):
    with fresh_schema() as url:
        store = PostgresStorage(url)
        replicas: list[Replica] = []
        try:
            async with FakeBotApi() as api:
                replicas = [
                    Replica(url, api, free_port(), "polling", tmp_path / f"replica{n}.log")
                    for n in (1, 2)
                ]
                await asyncio.gather(*(r.ready() for r in replicas))
                await api.wait_for(lambda: holder(store) is not None, timeout=10)
                leader_pid = int(holder(store).split(":")[1])
                leader = next(r for r in replicas if r.proc.pid == leader_pid)
                users = [api.user(8_000_001 + i) for i in range(PATIENTS)]
                for user in users:
                    api.send_text(user, "before")
                await api.wait_for(
                    lambda: all(texts(api, u.id) == ["You said: before"] for u in users),
                    timeout=20,
                )
                # their removal from the outbox saved too (a reply killed between Telegram's
                # answer and that save is sent again: test_webhook_replicas counts those);
                # polled, not slept on: a loaded machine may take longer than any fixed wait
                for _ in range(200):
                    if not store.pending():
                        break
                    await asyncio.sleep(0.05)
                assert store.pending() == []
                leader.kill()
                killed = time.monotonic()
                for user in users:
                    api.send_text(user, "after")
                await api.wait_for(
                    lambda: all(len(texts(api, u.id)) >= 2 for u in users), timeout=30
                )
                took = time.monotonic() - killed
                await asyncio.sleep(1.0)
                print(f"\nthe standby answered {PATIENTS} patients {took:.1f} s after the kill")
                now_holding = holder(store)
                assert now_holding is not None and int(now_holding.split(":")[1]) != leader_pid
                assert all(
                    texts(api, u.id) == ["You said: before", "You said: after"] for u in users
                )
                # the lease's time, one renewal interval, a turn and a poll (timeout 1 s)
                assert took < LEASE_TTL + LEASE_EVERY + 3.0
        finally:
            for replica in replicas:
                replica.stop()
            store.close()
