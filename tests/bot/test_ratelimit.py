"""The rate limiter keeps Telegram's pace and serves the waiting patient first."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import RetryAfter

from backcare.bot.ratelimit import (
    ANSWER,
    PROGRESS,
    REPLY,
    SHARE,
    TIDY,
    Dropped,
    PriorityRateLimiter,
    args,
)

# PTB's own RetryAfter warns about its coming change to timedelta whenever a 429 is built
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def request(
    limiter,
    log,
    name,
    priority,
    chat=True,
    drop_after=None,
    fail=None,
    endpoint="sendMessage",
    cancel=None,
):
    async def call():
        if fail and fail[0] > 0:
            fail[0] -= 1
            raise RetryAfter(1)
        log.append((name, time.monotonic()))
        return name

    return limiter.process_request(
        call, (), {}, endpoint, {"chat_id": 1} if chat else {}, args(priority, drop_after, cancel)
    )


async def test_the_overall_rate_is_kept():
    limiter = PriorityRateLimiter(per_second=50, burst=5)
    log: list = []
    started = time.monotonic()
    await asyncio.gather(*(request(limiter, log, i, REPLY) for i in range(30)))
    elapsed = time.monotonic() - started
    assert len(log) == 30
    assert elapsed >= (30 - 5) / 50 * 0.9, "25 requests beyond the burst at 50 per second"


async def test_the_most_urgent_waiting_request_goes_first():
    limiter = PriorityRateLimiter(per_second=20, burst=1)
    log: list = []
    first = asyncio.create_task(request(limiter, log, "first", REPLY))  # takes the only token
    await asyncio.sleep(0)
    waiting = [
        asyncio.create_task(request(limiter, log, f"{name}", prio))
        for name, prio in (
            ("tidy", TIDY),
            ("progress", PROGRESS),
            ("reply", REPLY),
            ("answer", ANSWER),
        )
    ]
    await asyncio.gather(first, *waiting)
    assert [name for name, _ in log] == ["first", "answer", "reply", "progress", "tidy"]


async def test_optional_requests_are_dropped_rather_than_late():
    limiter = PriorityRateLimiter(per_second=10, burst=1)
    log: list = []
    await request(limiter, log, "first", ANSWER)
    busy = [asyncio.create_task(request(limiter, log, f"r{i}", ANSWER)) for i in range(3)]
    await asyncio.sleep(0)
    assert (
        await request(limiter, log, "typing", TIDY, drop_after=0.05, endpoint="sendChatAction")
        is True
    )
    await asyncio.gather(*busy)
    assert "typing" not in [name for name, _ in log]
    assert limiter.stats["dropped"] == 1


async def test_a_waiting_request_can_be_withdrawn_but_never_once_sent():
    limiter = PriorityRateLimiter(per_second=10, burst=1)
    log: list = []
    await request(limiter, log, "first", ANSWER)
    withdraw = asyncio.Event()
    waiting = asyncio.create_task(request(limiter, log, "progress", PROGRESS, cancel=withdraw))
    await asyncio.sleep(0.01)
    withdraw.set()
    with pytest.raises(Dropped):
        await waiting
    assert [name for name, _ in log] == ["first"]
    await asyncio.sleep(0.1)
    assert await request(limiter, log, "next", ANSWER) == "next", "the slot was not lost"


async def test_requests_without_a_chat_are_not_limited():
    limiter = PriorityRateLimiter(per_second=1, burst=1)
    log: list = []
    started = time.monotonic()
    await asyncio.gather(*(request(limiter, log, i, REPLY, chat=False) for i in range(20)))
    assert time.monotonic() - started < 0.5


async def test_a_429_pauses_everyone_then_retries():
    limiter = PriorityRateLimiter(per_second=100)
    log: list = []
    started = time.monotonic()
    results = await asyncio.gather(
        request(limiter, log, "hit", ANSWER, fail=[1]), request(limiter, log, "other", REPLY)
    )
    assert results == ["hit", "other"]
    times = dict(log)
    assert times["hit"] - started >= 1.0
    assert limiter.stats["retried"] == 1


async def test_too_many_429s_give_up():
    limiter = PriorityRateLimiter(max_retries=0)
    with pytest.raises(RetryAfter):
        await request(limiter, [], "x", ANSWER, fail=[5])


async def test_answers_cannot_starve_the_rest(monkeypatch):
    import backcare.bot.ratelimit as rl

    monkeypatch.setattr(rl, "STARVING", 0.05)
    limiter = PriorityRateLimiter(per_second=40, burst=1)
    log: list = []
    await request(limiter, log, "first", ANSWER)
    waiting = [asyncio.create_task(request(limiter, log, "reply", REPLY))]
    waiting += [asyncio.create_task(request(limiter, log, f"a{i}", ANSWER)) for i in range(8)]
    await asyncio.gather(*waiting)
    order = [name for name, _ in log][1:]
    # answers first, until the reply has waited long enough: then it gets a turn
    assert 0 < order.index("reply") <= SHARE + 1, order
    assert order.index("reply") < len(order) - 1, order
