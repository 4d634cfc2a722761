"""One update of a user at a time, many users at once.

Within a process an asyncio lock per user; with several replicas on one database
(``remote``: backcare.storage.postgres.coordination) each turn also holds the user's
lock in the database, so no other replica runs a turn of that user meanwhile. An
update whose user has an earlier update still waiting in the inbox (received by
another replica, or queued here behind it) lets both locks go and tries again, for
``ORDER_WAIT`` seconds at most, so the user's updates are handled in order.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

ORDER_WAIT = 5.0  # seconds an update waits for an earlier one of its user (then goes first)
ORDER_POLL = 0.05


class HeldLock(Protocol):
    async def earlier_waiting(self, update_id: int) -> bool: ...


class RemoteLocks(Protocol):
    def user_lock(self, user_id: int) -> AbstractAsyncContextManager[HeldLock]: ...


class UserLocks:
    """A lock per user, created on demand and dropped when nobody waits on it."""

    def __init__(self, remote: RemoteLocks | None = None) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: Counter[int] = Counter()
        self.remote = remote

    @asynccontextmanager
    async def hold(self, user_id: int, update_id: int | None = None) -> AsyncIterator[None]:
        self._holders[user_id] += 1
        try:
            if self.remote is None:
                async with self._local(user_id):
                    yield
                return
            loop = asyncio.get_running_loop()
            deadline = loop.time() + ORDER_WAIT
            while True:
                async with self._local(user_id), self.remote.user_lock(user_id) as held:
                    if (
                        update_id is None
                        or loop.time() >= deadline
                        or not await held.earlier_waiting(update_id)
                    ):
                        yield
                        return
                await asyncio.sleep(ORDER_POLL)  # both locks let go: the earlier one first
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
