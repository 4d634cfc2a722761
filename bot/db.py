"""Storage calls off the event loop: a small thread pool of its own.

Storage methods are synchronous (TinyDB, fsync); running them here keeps the
loop answering other patients while a write reaches the disk, and keeps them
from queueing behind report building in asyncio's default pool.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from backcare.storage import Storage

T = TypeVar("T")


class Db:
    def __init__(self, storage: Storage, threads: int = 4) -> None:
        self.storage = storage
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="storage")

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
