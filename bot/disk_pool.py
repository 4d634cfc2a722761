"""Storage calls that wait for the disk run off the event loop, in a small pool of their own.

Storage methods are synchronous (TinyDB, fsync). A commit that must be on disk
before the bot goes on (a turn, the inbox) runs here, so the loop answers other
patients meanwhile, without queueing behind report building in asyncio's
default pool. Reads and changes that need not wait for the disk (``wait=False``)
only touch memory: the bot calls those directly, a thread hop would cost more.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from backcare.bot.storage import Storage

T = TypeVar("T")


class DiskPool:
    def __init__(self, storage: Storage, threads: int = 4) -> None:
        self.storage = storage
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="storage")

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
