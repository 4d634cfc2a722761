"""Several replicas of the bot on one PostgreSQL database (BACKCARE_DATABASE_URL).

``attach(app, storage)`` wires :class:`~backcare.bot.storage.postgres.coordination.Coordination`
into a built application when the storage is PostgreSQL (nothing otherwise):

- every turn holds its user's lock in the database (bot.locks), so each user's
  updates are handled one at a time and in order whichever replica received them,
  and once (the dedup ids are saved with the turn); an update waiting behind an
  earlier one that nobody handles (its replica died) handles that one here first;
- in polling mode only the holder of the polling lease polls; the others stand by and
  take over within ``LEASE_TTL`` + ``LEASE_EVERY`` seconds when it dies (at once when
  it stops cleanly: it hands the lease back);
- every ``DUE_EVERY`` seconds a replica claims the reminders and check-ins that are due
  and fires them (bot.turns: under the user's lock, the next due time saved in
  the same transaction as the message, so a reminder fires once even when two replicas
  reach it), including those another replica scheduled and could not fire because it
  died (its claim lapses after ``CLAIM_HOLD`` seconds);
- every ``ORPHANS_EVERY`` seconds the updates a dead replica saved but never finished
  are handled (recognised by their age and by nobody holding their user).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram.ext import Application

from backcare.bot.storage import Storage

if TYPE_CHECKING:
    from backcare.bot.runtime import BotRuntime
    from backcare.bot.storage.postgres.coordination import Coordination

log = logging.getLogger(__name__)

LEASE = "telegram-polling"
LEASE_TTL = 6.0  # seconds a polling lease lasts unless renewed
LEASE_EVERY = 2.0  # seconds between renewals (and a standby's attempts)
DUE_EVERY = 10.0  # seconds between claims of due reminders
CLAIM_HOLD = 60.0  # seconds a claim lasts: a replica that dies with it leaves it this long
ORPHANS_EVERY = 15.0
ORPHAN_AGE = 30.0  # seconds an update may wait in the inbox before it counts as left behind


class PollingLease:
    """Runs ``work`` (the polling loop) only while this replica holds the lease."""

    def __init__(
        self,
        coordination: Coordination,
        ttl: float = LEASE_TTL,
        every: float = LEASE_EVERY,
        name: str = LEASE,
    ) -> None:
        self.coordination = coordination
        self.ttl = ttl
        self.every = every
        self.name = name
        self.holding = False

    async def run(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        loop = asyncio.get_running_loop()
        task: asyncio.Task | None = None
        renewed = -float("inf")
        try:
            while True:
                try:
                    if await self.coordination.take_lease(self.name, self.ttl):
                        renewed = loop.time()
                except Exception as exc:  # the database is away: the lease runs out
                    log.warning("polling lease not renewed: %s", type(exc).__name__)
                # a lease not renewed within its time may be another replica's by now
                mine = loop.time() - renewed < self.ttl - self.every / 2
                if mine and task is None:
                    log.info("this replica polls Telegram now (%s)", self.coordination.name)
                    task = asyncio.create_task(work(), name="backcare-polling-leader")
                elif not mine and task is not None:
                    log.warning("polling lease lost: standing by")
                    await _cancel(task)
                    task = None
                self.holding = task is not None
                if task is not None and task.done():
                    task.result()  # polling ended on its own: an invalid token, say
                    task = None
                await asyncio.sleep(self.every)
        finally:
            self.holding = False
            if task is not None:
                await _cancel(task)
            with contextlib.suppress(Exception):
                # handed back: a standby takes over at its next attempt, not after the ttl
                await asyncio.wait_for(self.coordination.release_lease(self.name), 2.0)


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class Replicas:
    """The periodic work of a replica among several (jobs in the application's JobQueue)."""

    def __init__(self, app: Application, coordination: Coordination) -> None:
        self.app = app
        self.rt: BotRuntime = app.bot_data["backcare"]
        self.coordination = coordination
        self._firing: set[asyncio.Task] = set()

    def install(self) -> None:
        rt = self.rt
        rt.conversation.locks.remote = self.coordination
        rt.conversation.locks.adopt = rt.intake.requeue  # an earlier update left waiting
        rt.intake.lease = PollingLease(self.coordination)
        jobs = self.app.job_queue
        if jobs is None:  # only without python-telegram-bot's job-queue extra, a dependency
            raise RuntimeError("python-telegram-bot[job-queue] is not installed")
        jobs.run_repeating(self._due, interval=DUE_EVERY, first=DUE_EVERY, name="replicas-due")
        jobs.run_repeating(
            self._orphans, interval=ORPHANS_EVERY, first=ORPHANS_EVERY, name="replicas-orphans"
        )

    async def _due(self, context: Any) -> int:
        conversation = self.rt.conversation
        if conversation.closing:
            return 0
        users = await self.coordination.claim_due(hold=CLAIM_HOLD)
        for user_id in users:
            task = asyncio.create_task(conversation.fire_reminder(user_id))
            self._firing.add(task)
            task.add_done_callback(self._firing.discard)
        return len(users)

    async def _orphans(self, context: Any) -> int:
        if self.rt.conversation.closing:
            return 0
        raws = await self.coordination.orphaned_updates(ORPHAN_AGE)
        if raws:
            log.warning("handling %d update(s) another replica left unfinished", len(raws))
            await self.rt.intake.requeue(raws)
        return len(raws)


async def attach(app: Application, storage: Storage) -> Coordination | None:
    """Coordinate with the other replicas when ``storage`` is PostgreSQL; returns what to
    close after the bot stopped (None: a single process, nothing to coordinate)."""
    from backcare.bot.storage.postgres import PostgresStorage
    from backcare.bot.storage.postgres.coordination import Coordination

    if not isinstance(storage, PostgresStorage):
        return None
    coordination = Coordination(storage.url)
    await coordination.open()
    Replicas(app, coordination).install()
    log.info("replica %s: coordinating through the database", coordination.name)
    return coordination
