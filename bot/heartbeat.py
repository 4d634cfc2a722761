"""The bot's sign of life for a container's health check: a file its event loop touches.

A process can be running yet stuck (a blocked event loop, a dead poll task); a beat
written by the loop itself every few seconds says it still turns. ``backcare health``
reads the file's age.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

FILE = "heartbeat"
EVERY = 5.0  # seconds between beats
STALE = 60.0  # older than this: unhealthy (a dozen missed beats, not one slow turn)


def beat(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.touch()  # touch(exist_ok) alone keeps the old mtime on some file systems


def age(path: Path, now: float | None = None) -> float | None:
    """Seconds since the last beat, or None if the bot never beat here."""
    try:
        return (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return None


def healthy(path: Path, stale: float = STALE) -> tuple[bool, str]:
    seconds = age(path)
    if seconds is None:
        return False, f"no heartbeat at {path}: the bot has not started"
    if seconds > stale:
        return False, f"last heartbeat {seconds:.0f} s ago (limit {stale:.0f} s)"
    return True, f"last heartbeat {seconds:.0f} s ago"


@contextlib.asynccontextmanager
async def beating(path: Path, every: float = EVERY) -> AsyncIterator[None]:
    """Beat from this event loop while the block runs; remove the file after a clean stop."""

    async def loop() -> None:
        while True:
            with contextlib.suppress(OSError):  # a full disk must not stop the bot
                beat(path)
            await asyncio.sleep(every)

    task = asyncio.create_task(loop(), name="heartbeat")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        with contextlib.suppress(OSError):
            path.unlink()
