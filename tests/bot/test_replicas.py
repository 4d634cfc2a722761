"""Several bot replicas on one PostgreSQL database (bot.replicas): each user's updates
handled once and in order whichever replica got them, one poller at a time with a
standby taking over, reminders due fired once, updates a dead replica left handled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from backcare.bot import replicas
from backcare.bot.app import BotRunner, build_application
from backcare.bot.storage import Reminder, utc_now
from backcare.bot.storage.postgres import PostgresStorage
from backcare.bot.storage.postgres.coordination import Coordination
from tests.support.echo_dialogs import PLAN, EchoDialogs, echo_state
from tests.support.fake_botapi import FakeBotApi
from tests.support.harness import config_for
from tests.support.postgres import fresh_schema


@pytest.fixture
def url():
    with fresh_schema() as u:
        yield u


class Replica:
    """One bot process: its own storage pool, coordination and Application."""

    def __init__(self, api: FakeBotApi, url: str) -> None:
        self.api, self.url = api, url
        self.storage = PostgresStorage(url)
        self.runner: BotRunner | None = None
        self.coordination: Coordination | None = None

    async def start(self) -> Replica:
        app = build_application(config_for(self.api), EchoDialogs(), self.storage, poll_timeout=1)
        self.coordination = await replicas.attach(app, self.storage)
        assert self.coordination is not None
        self.runner = BotRunner(app)
        await self.runner.start()
        return self

    @property
    def rt(self) -> Any:
        assert self.runner is not None
        return self.runner.rt

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
        if self.coordination is not None:
            await self.coordination.close()
        self.storage.close()


@contextlib.asynccontextmanager
async def cluster(url: str, n: int = 2) -> AsyncIterator[tuple[FakeBotApi, list[Replica]]]:
    async with FakeBotApi() as api:
        nodes = [await Replica(api, url).start() for _ in range(n)]
        try:
            yield api, nodes
        finally:
            for node in nodes:
                await node.stop()


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [m.plain for m in api.messages(chat_id)]


async def test_updates_spread_over_replicas_are_answered_once_and_in_order(url):
    async with cluster(url) as (api, (a, b)):
        # as in webhook mode, where the load balancer hands each update to either replica
        users = [api.user(2001 + i) for i in range(3)]
        sent: list[dict] = []
        for n in range(6):
            for user in users:
                update = {
                    "update_id": 50_000 + len(sent),
                    "message": api._message(user, text=f"m{n}"),
                }
                sent.append(update)
        # every update to one replica, every second one to the other too (a redelivery)
        for i, update in enumerate(sent):
            await (a if i % 2 else b).rt.intake.accept([update])
            if i % 2 == 0:
                await a.rt.intake.accept([dict(update)])
        for user in users:
            await api.wait_for(lambda u=user: len(texts(api, u.id)) >= 6, timeout=20)
        await asyncio.sleep(0.3)  # a duplicate answer would arrive about now
        for user in users:
            assert texts(api, user.id) == [f"You said: m{n}" for n in range(6)]
        assert a.storage.inbox_pending() == []


async def test_a_later_update_that_reaches_the_lock_first_waits_for_the_earlier_one(url):
    async with cluster(url) as (api, (a, b)):
        carol = api.user(2501)
        first, second = (
            {"update_id": 60_000 + n, "message": api._message(carol, text=f"n{n}")} for n in (1, 2)
        )
        busy = Coordination(url, name="busy")  # a third replica in the middle of a turn
        await busy.open()
        try:
            async with busy.user_lock(carol.id):
                await b.rt.intake.accept([second])  # the later update arrives first...
                await asyncio.sleep(0.3)  # ...and queues first for the user's lock
                await a.rt.intake.accept([first])
                await asyncio.sleep(0.3)
        finally:
            await busy.close()
        await api.wait_for(lambda: len(texts(api, carol.id)) >= 2, timeout=10)
        assert texts(api, carol.id) == ["You said: n1", "You said: n2"]


async def test_one_replica_polls_and_a_standby_takes_over_when_it_stops(url):
    async with cluster(url) as (api, (a, b)):
        await api.wait_for(lambda: a.rt.intake.lease.holding or b.rt.intake.lease.holding)
        leader, standby = (a, b) if a.rt.intake.lease.holding else (b, a)
        assert not standby.rt.intake.lease.holding
        alice = api.user(3001)
        api.send_text(alice, "before")
        await api.wait_for(lambda: texts(api, alice.id) == ["You said: before"])
        await leader.stop()
        leader.runner = None
        leader.coordination = None
        await api.wait_for(
            lambda: standby.rt.intake.lease.holding, timeout=replicas.LEASE_EVERY * 3
        )
        api.send_text(alice, "after")
        await api.wait_for(lambda: len(texts(api, alice.id)) == 2, timeout=10)
        assert texts(api, alice.id) == ["You said: before", "You said: after"]


async def test_a_lease_whose_holder_died_lapses_and_another_takes_it(url):
    PostgresStorage(url).close()  # the schema
    first, second = Coordination(url, name="dead"), Coordination(url, name="alive")
    await first.open()
    await second.open()
    try:
        assert await first.take_lease("poll", ttl=1.0)
        assert not await second.take_lease("poll", ttl=1.0)  # held: the other stands by
        assert await first.take_lease("poll", ttl=1.0)  # renewed by its holder
        await asyncio.sleep(1.2)  # the holder died: no renewal
        assert await second.take_lease("poll", ttl=1.0)
        assert await second.lease_holder("poll") == "alive"
    finally:
        await first.close()
        await second.close()


async def test_a_reminder_due_fires_once_across_replicas_also_one_another_scheduled(url):
    async with cluster(url) as (api, (a, b)):
        alice = api.user(4001)
        due = utc_now() - timedelta(seconds=2)
        # scheduled by a third replica that died: neither JobQueue knows it
        a.storage.put_state(alice.id, echo_state("done", reminders=PLAN).to_json())
        a.storage.put_reminder(Reminder(alice.id, alice.id, PLAN.to_json(), due))
        both = [replicas.Replicas(node.runner.app, node.coordination) for node in (a, b)]
        claimed = await asyncio.gather(*(r._due(None) for r in both))
        assert sorted(claimed) == [0, 1]  # claimed by exactly one of them
        await api.wait_for(lambda: len(texts(api, alice.id)) >= 1, timeout=10)
        # the other replica's own path (a JobQueue firing at the old due time) finds it done
        await b.rt.conversation.fire_reminder(alice.id)
        await a.rt.conversation.fire_reminder(alice.id)
        await asyncio.sleep(0.3)
        assert texts(api, alice.id) == ["Time for your exercises (reminder)."]
        assert a.storage.get_reminder(alice.id).next_due > utc_now()


async def test_a_lapsed_claim_of_a_dead_replica_is_taken_over(url):
    PostgresStorage(url).close()
    store = PostgresStorage(url)
    dead, alive = Coordination(url, name="dead"), Coordination(url, name="alive")
    await dead.open()
    await alive.open()
    try:
        store.put_reminder(Reminder(5, 5, PLAN.to_json(), utc_now() - timedelta(seconds=1)))
        assert await dead.claim_due(hold=0.5) == [5]
        assert await alive.claim_due() == []  # claimed, not yet lapsed
        await asyncio.sleep(0.7)
        assert await alive.claim_due() == [5]
    finally:
        await dead.close()
        await alive.close()
        store.close()


async def test_an_update_a_dead_replica_saved_but_never_handled_is_handled(url):
    async with cluster(url) as (api, (a, b)):
        bob = api.user(6001)
        update = {"update_id": 77_000, "message": api._message(bob, text="lost?")}
        a.storage.inbox_add(77_000, bob.id, update)  # saved, then the replica died
        node = replicas.Replicas(b.runner.app, b.coordination)
        assert await b.coordination.orphaned_updates(older_than=60) == []  # too young yet
        with a.storage.transaction():
            a.storage._local.conn.execute("UPDATE inbox SET received = now() - interval '1 minute'")
        assert await node._orphans(None) == 1
        await api.wait_for(lambda: texts(api, bob.id) == ["You said: lost?"], timeout=10)
        # while a replica holds the user, their waiting updates are not taken from it
        a.storage.inbox_add(77_001, bob.id, {**update, "update_id": 77_001})
        with a.storage.transaction():
            a.storage._local.conn.execute("UPDATE inbox SET received = now() - interval '1 minute'")
        async with a.coordination.user_lock(bob.id):
            assert await b.coordination.orphaned_updates() == []


async def test_a_reminder_whose_replica_died_before_saving_its_reply_fires_on_another(url):
    async with cluster(url) as (api, (a, b)):
        dave = api.user(4501)
        a.storage.put_state(dave.id, echo_state("done", reminders=PLAN).to_json())
        a.storage.put_reminder(
            Reminder(dave.id, dave.id, PLAN.to_json(), utc_now() - timedelta(seconds=1))
        )

        async def dies(turn, clock=None):  # the replica dies between the dialogs and the save
            raise RuntimeError("replica died")

        a.rt.conversation.finish = dies
        with pytest.raises(RuntimeError):
            await a.rt.conversation.fire_reminder(dave.id)
        assert texts(api, dave.id) == []
        assert await replicas.Replicas(b.runner.app, b.coordination)._due(None) == 1
        await api.wait_for(lambda: len(texts(api, dave.id)) >= 1, timeout=10)
        await asyncio.sleep(0.3)
        assert texts(api, dave.id) == ["Time for your exercises (reminder)."]
        assert b.storage.get_reminder(dave.id).next_due > utc_now()


async def test_an_earlier_update_its_dead_replica_saved_is_handled_first_by_the_next_one(url):
    async with cluster(url) as (api, (a, b)):
        erin = api.user(2701)
        first, second = (
            {"update_id": 61_000 + n, "message": api._message(erin, text=f"e{n}")} for n in (1, 2)
        )
        a.storage.inbox_add(61_001, erin.id, first)  # saved and acknowledged, then it died
        await b.rt.intake.accept([second])
        await api.wait_for(lambda: len(texts(api, erin.id)) >= 2, timeout=10)
        await asyncio.sleep(0.3)
        assert texts(api, erin.id) == ["You said: e1", "You said: e2"]
