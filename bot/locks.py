"""One update of a user at a time, many users at once.

Within a process an asyncio lock per user; with several replicas on one database
(``remote``: backcare.bot.storage.postgres.coordination) each turn also holds the user's
lock in the database, so no other replica runs a turn of that user meanwhile. An
update whose user has an earlier update still waiting in the inbox (received by
another replica, or queued here behind it) lets both locks go and tries again, so the
user's updates are handled in order. If the earlier one still waits after
``ADOPT_AFTER`` seconds (its replica may have died after saving it), it is handed to
``adopt`` to be handled here: harmless if its own replica handles it after all (a
handled update is recognised, bot.dedup). After ``ORDER_WAIT`` the later one goes on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

ORDER_WAIT = 30.0  # seconds an update waits for an earlier one of its user (then goes first)
ADOPT_AFTER = 1.5  # seconds before the earlier one is handled here
ORDER_POLL = 0.05


class HeldLock(Protocol):
    async def earlier_waiting(self, update_id: int) -> list[dict]: ...


class RemoteLocks(Protocol):
    def user_lock(self, user_id: int) -> AbstractAsyncContextManager[HeldLock]: ...


class UserLocks:
    """A lock per user, created on demand and dropped when nobody waits on it."""

    def __init__(self, remote: RemoteLocks | None = None) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: Counter[int] = Counter()
        self.remote = remote
        self.adopt: Callable[[list[dict]], Awaitable[None]] | None = None

    @asynccontextmanager
    async def hold(self, user_id: int, update_id: int | None = None) -> AsyncIterator[None]:
        self._holders[user_id] += 1
        try:
            if self.remote is None:
                async with self._local(user_id):
                    yield
                return
            loop = asyncio.get_running_loop()
            began = loop.time()
            adopted = False
            while True:
                async with self._local(user_id), self.remote.user_lock(user_id) as held:
                    earlier = [] if update_id is None else await held.earlier_waiting(update_id)
                    if not earlier or loop.time() - began >= ORDER_WAIT:
                        yield
                        return
                # both locks let go: the earlier one first
                if not adopted and self.adopt is not None and loop.time() - began >= ADOPT_AFTER:
                    adopted = True
                    await self.adopt(earlier)
                await asyncio.sleep(ORDER_POLL)
        finally:
            self._holders[user_id] -= 1
            if self._holders[user_id] == 0:
                del self._holders[user_id]
                self._locks.pop(user_id, None)

    def _local(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    def busy(self, user_id: int) -> bool:
        return user_id in self._locks and self._locks[user_id].locked()

    def __len__(self) -> int:
        return len(self._locks)
