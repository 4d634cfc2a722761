"""Telegram's flood limits, with the patient who is waiting served first.

Telegram allows a bot about 30 messages a second overall and answers 429 with
``retry_after`` beyond that. PTB's AIORateLimiter keeps to the rate but serves
requests first come first served, so when 50 patients send photos at once the
answer to someone's text waits behind a few seconds of progress messages and
results. This limiter keeps the same overall rate (a token bucket) and hands
each freed slot to the most urgent request:

    ANSWER    the first reply to what a user just did
    REPLY     the rest of a turn's replies (results, next prompt)
    PROGRESS  "analysing your photo…" and its edits
    TIDY      taking dead buttons away; chat actions (dropped rather than late)

Strict priority could starve photo results while many patients are typing, so
once a request below ANSWER has waited ``STARVING`` seconds, every ``SHARE``-th
slot goes to it: answers still get at least (SHARE-1)/SHARE of the rate. On 429 every request pauses for ``retry_after`` and the request is retried (up
to ``max_retries``); requests without a chat (getUpdates, answerCallbackQuery,
getFile) are not limited, as in AIORateLimiter.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

ANSWER, REPLY, PROGRESS, TIDY = 0, 1, 2, 3
OVERALL_PER_SECOND = 30.0
SHARE = 4
STARVING = 2.0


def args(
    priority: int, drop_after: float | None = None, cancel: asyncio.Event | None = None
) -> dict:
    """``rate_limit_args`` for a bot call: how urgent, when to give up waiting for a slot
    (seconds), or an event that withdraws it while it waits (never once it is sent)."""
    return {"priority": priority, "drop_after": drop_after, "cancel": cancel}


class Dropped(TelegramError):
    """A request withdrawn before it was sent: it waited longer than it is worth."""

    def __init__(self) -> None:
        super().__init__("request dropped before sending")


class PriorityRateLimiter(BaseRateLimiter[dict]):
    def __init__(
        self,
        per_second: float = OVERALL_PER_SECOND,
        burst: float | None = None,
        max_retries: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = float(per_second)
        self.burst = float(burst if burst is not None else per_second)
        self.max_retries = max_retries
        self.clock = clock
        self._tokens = self.burst
        self._stamp = clock()
        self._waiting: list[tuple[int, int, asyncio.Future, float]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._resume_at = 0.0  # after a 429, nothing goes before this moment
        self._answers_in_a_row = 0
        self.stats = {"limited": 0, "dropped": 0, "retried": 0}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for _, _, future, _ in self._waiting:
            if not future.done():
                future.cancel()
        self._waiting.clear()

    # -- the bucket ------------------------------------------------------------------------
    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.per_second)
        self._stamp = now

    def _pump(self) -> None:
        self._timer = None
        self._refill()
        if self.clock() < self._resume_at:
            self._later(self._resume_at - self.clock())
            return
        while self._waiting and self._tokens >= 1:
            future = self._next()
            if future is None:
                break
            self._tokens -= 1
            future.set_result(None)
        if self._waiting:
            self._later((1 - self._tokens) / self.per_second)

    def _next(self) -> asyncio.Future | None:
        """The waiter to serve: the most urgent, except that every SHARE-th slot goes to
        the most urgent non-answer when answers have had the last SHARE-1 in a row."""
        self._waiting = [w for w in self._waiting if not w[2].done()]  # given up: dropped
        heapq.heapify(self._waiting)
        if not self._waiting:
            return None
        pick = 0
        if self._waiting[0][0] == ANSWER and self._answers_in_a_row >= SHARE - 1:
            starving = self.clock() - STARVING
            others = [i for i, w in enumerate(self._waiting) if w[0] != ANSWER and w[3] <= starving]
            if others:
                pick = min(others, key=lambda i: self._waiting[i][:2])
        priority, _, future, _ = self._waiting[pick]
        self._waiting[pick] = self._waiting[-1]
        self._waiting.pop()
        heapq.heapify(self._waiting)
        self._answers_in_a_row = self._answers_in_a_row + 1 if priority == ANSWER else 0
        return future

    def _later(self, delay: float) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(max(delay, 0.001), self._pump)

    async def _acquire(
        self, priority: int, drop_after: float | None, cancel: asyncio.Event | None
    ) -> None:
        if cancel is not None and cancel.is_set():
            raise Dropped
        self._refill()
        if not self._waiting and self._tokens >= 1 and self.clock() >= self._resume_at:
            self._tokens -= 1
            return
        self.stats["limited"] += 1
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future, self.clock()))
        self._pump()
        waits = [asyncio.ensure_future(asyncio.shield(future))]
        if cancel is not None:
            waits.append(asyncio.ensure_future(cancel.wait()))
        try:
            done, _ = await asyncio.wait(
                waits, timeout=drop_after, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waits:
                waiter.cancel()
        if not future.done() or future.cancelled():
            future.cancel()
            self.stats["dropped"] += 1
            raise Dropped
        if waits[0] not in done and cancel is not None and cancel.is_set():
            # the slot came at the same moment as the withdrawal: give it back
            self._tokens += 1
            self.stats["dropped"] += 1
            raise Dropped

    # -- PTB's hook ------------------------------------------------------------------------
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> Any:
        options = rate_limit_args or {}
        priority = int(options.get("priority", REPLY))
        drop_after = options.get("drop_after")
        cancel = options.get("cancel")
        limited = data.get("chat_id") is not None
        for attempt in range(self.max_retries + 1):
            if limited:
                try:
                    await self._acquire(priority, drop_after, cancel)
                except Dropped:
                    log.debug("%s dropped before sending", endpoint)
                    if endpoint == "sendChatAction":
                        return True  # what Telegram answers to it
                    raise
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                wait = retry_seconds(exc) + 0.1
                self.stats["retried"] += 1
                log.info("Telegram asks to wait %.1fs (429)", wait)
                self._resume_at = max(self._resume_at, self.clock() + wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds (PTB is moving it from int to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
