"""One update of a user at a time, many users at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class UserLocks:
    """A lock per user, created on demand and dropped when nobody waits on it."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: Counter[int] = Counter()

    @asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._holders[user_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._holders[user_id] -= 1
            if self._holders[user_id] == 0:
                del self._holders[user_id]
                self._locks.pop(user_id, None)

    def busy(self, user_id: int) -> bool:
        return user_id in self._locks and self._locks[user_id].locked()

    def __len__(self) -> int:
        return len(self._locks)
