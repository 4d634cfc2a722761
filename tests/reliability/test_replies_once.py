"""Replies once: a crash after a turn's replies are saved neither runs the turn again nor
sends a reply Telegram already had; only a reply whose own send was under way can come
twice (and here, where that send never arrived, none does).

The bot runs in its own process on a slow disk (every fsync 0.3 s, as a busy or
large database makes it) and is killed (SIGKILL) while Telegram holds one of the
turn's sends open: before the first reply arrived (between storing the replies and
sending them) or after the first and during the second.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability.live import BotProcess, live_bot
from tests.support.fake_botapi import FakeBotApi, Fault

# a bot process killed on a slow disk, twice over: the slow suite (tests/reliability/
# test_process_kill.py keeps a kill in the fast one)
pytestmark = pytest.mark.slow

PATIENT = 8001


async def _reference(tmp_path, registry) -> list[str]:
    """What /start sends a new patient when nothing goes wrong."""
    async with live_bot(tmp_path / "ref" / "backcare.json", registry) as bot:
        bot.api.send_text(bot.api.user(PATIENT), "/start")
        await bot.settle()
        return [m.plain for m in bot.api.messages(PATIENT)]


@pytest.mark.parametrize("delivered_before_crash", [0, 1])
async def test_killed_between_storing_a_turns_replies_and_sending_them_each_arrives_once(
    tmp_path, data_file, registry, delivered_before_crash
):
    expected = await _reference(tmp_path, registry)
    assert len(expected) >= 2, "the turn has two replies"
    async with FakeBotApi() as api:
        bot = BotProcess(api, data_file, tmp_path / "bot.log", options=("--slow-fsync", "0.3"))
        await bot.start()
        try:
            # Telegram takes the first ``delivered_before_crash`` replies, then holds the next
            # send open (and never delivers it): the process is killed meanwhile
            api.faults.append(
                Fault("sendMessage", status=0, delay=30, after=delivered_before_crash)
            )
            api.send_text(api.user(PATIENT), "/start")
            await api.wait_for(
                lambda: len(api.calls_of("sendMessage")) == delivered_before_crash + 1,
                timeout=30,
            )
            await bot.kill()
            assert len(api.messages(PATIENT)) == delivered_before_crash
            await bot.start()
            await api.wait_for(lambda: len(api.messages(PATIENT)) >= len(expected), timeout=30)
            await asyncio.sleep(2.0)  # anything sent twice would arrive now
        finally:
            await bot.stop()
    assert [m.plain for m in api.messages(PATIENT)] == expected, "each reply once, in order"
