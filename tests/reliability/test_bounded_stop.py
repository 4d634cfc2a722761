"""A bounded stop: SIGTERM with a backlog exits within the 10 s a service manager waits,
and the next start handles what was left, each reply once.

The bot runs in its own process; Telegram is slow and failing (every sendMessage
hangs 2.5 s, then the connection drops), so each patient's turns pile up behind
replies that cannot go out: the backlog a stop used to work through (65 s in the
report). It gets the grace period (BACKCARE_STOP_GRACE, default 8 s), leaves
the rest saved in the inbox and outbox, and exits.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.reliability.live import BotProcess, live_bot
from tests.support.fake_botapi import FakeBotApi, Fault

# waits out a real grace period in a bot process of its own: the slow suite
pytestmark = pytest.mark.slow

PATIENTS = range(9001, 9011)
SCRIPT = ("/start", "hello", "/help", "/status")


async def _reference(tmp_path, registry) -> list[str]:
    """What one patient gets for SCRIPT when nothing goes wrong."""
    async with live_bot(tmp_path / "ref" / "backcare.json", registry) as bot:
        user = bot.api.user(PATIENTS[0])
        for text in SCRIPT:
            bot.api.send_text(user, text)
            await bot.settle()
        return [m.plain for m in bot.api.messages(user.id)]


async def test_sigterm_with_a_backlog_exits_within_10_s_and_the_next_start_handles_the_rest(
    tmp_path, data_file, registry
):
    expected = await _reference(tmp_path, registry)
    async with FakeBotApi() as api:
        bot = BotProcess(api, data_file, tmp_path / "bot.log")
        await bot.start()
        try:
            hanging = Fault("sendMessage", status=0, delay=2.5, times=100_000)
            api.faults.append(hanging)
            users = [api.user(uid) for uid in PATIENTS]
            for text in SCRIPT:
                for user in users:
                    api.send_text(user, text)
            await api.wait_for(lambda: api.pending_updates == 0, timeout=30)
            await asyncio.sleep(1.0)  # every patient's first turn is waiting on Telegram
            assert not any(api.messages(uid) for uid in PATIENTS), "a backlog, nothing out yet"
            began = time.monotonic()
            bot.process.terminate()
            await asyncio.wait_for(bot.process.wait(), 30)
            took = time.monotonic() - began
            assert bot.process.returncode == 0, (tmp_path / "bot.log").read_text()[-2000:]
            hanging.times = 0  # Telegram works again
            await bot.start()
            await api.wait_for(
                lambda: all(len(api.messages(uid)) >= len(expected) for uid in PATIENTS),
                timeout=120,
            )
            await asyncio.sleep(1.5)  # anything sent twice would arrive now
        finally:
            await bot.stop()
    assert took < 10.0, f"the stop took {took:.1f} s"
    for uid in PATIENTS:
        assert [m.plain for m in api.messages(uid)] == expected, "every update handled, once"
