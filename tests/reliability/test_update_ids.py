"""Update ids as Telegram really hands them out: nobody silenced, nothing handled twice.

Telegram numbers updates in sequence, except that after a week without updates the
next id is chosen at random, so it can be far lower than any seen before. The bot
recognises an update it handled by its exact id (kept per user, also across a
restart), never by "at or below the last one", so a lower id, an id of 10**30 and
any id after it are answered, and an update offered again is answered once.
"""

from __future__ import annotations

import logging
import socket

import pytest

from tests.reliability.live import live_bot
from tests.support.fake_botapi import FakeBotApi

SECRET = "s3cret-token_for_tests"
MODES = ["webhook", "polling"]


def _webhook_config() -> dict:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}/hook",
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }


def _config(mode: str) -> dict:
    return _webhook_config() if mode == "webhook" else {}


async def _answered(bot, user, text: str) -> int:
    """Send ``text``; how many messages the bot sent back for it."""
    before = len(bot.api.messages(user.id))
    bot.api.send_text(user, text)
    await bot.settle()
    return len(bot.api.messages(user.id)) - before


@pytest.mark.parametrize("mode", MODES)
async def test_a_user_whose_update_ids_restart_lower_is_answered(mode, data_file, registry, caplog):
    caplog.set_level(logging.INFO, logger="backcare")
    async with (
        FakeBotApi() as api,
        live_bot(data_file, registry, api=api, config=_config(mode)) as bot,
    ):
        alice = api.user(5001)
        api.number_updates_from(5_000_000)
        assert await _answered(bot, alice, "/start") >= 1
        if mode == "polling":
            await bot.restart()  # the id restart comes a week later: the bot restarted
        api.number_updates_from(1234)  # Telegram's random restart of the numbering
        assert await _answered(bot, alice, "hello") >= 1, "update 1234 answered"
        assert await _answered(bot, alice, "/help") >= 1, "update 1235 answered"
    far = [r for r in caplog.records if "far from their recent update ids" in r.getMessage()]
    assert [r.levelno for r in far] == [logging.WARNING], "the jump is logged once, as WARNING"
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]


@pytest.mark.parametrize("mode", MODES)
async def test_an_update_numbered_10_to_the_30_is_handled_and_silences_nobody(
    mode, data_file, registry
):
    async with (
        FakeBotApi() as api,
        live_bot(data_file, registry, api=api, config=_config(mode)) as bot,
    ):
        alice, bob = api.user(5001), api.user(5002)
        assert await _answered(bot, alice, "/start") >= 1
        assert await _answered(bot, bob, "/start") >= 1
        api.number_updates_from(10**30)  # e.g. forged by someone holding the secret
        assert await _answered(bot, alice, "hello") >= 1
        if mode == "polling":
            await bot.restart()  # the offset a poller keeps in memory is gone
        api.number_updates_from(2000)
        assert await _answered(bot, alice, "/help") >= 1, "alice is not silenced"
        assert await _answered(bot, bob, "/help") >= 1, "nor is anyone else"


@pytest.mark.parametrize("mode", MODES)
async def test_an_update_offered_again_is_handled_once_also_after_a_restart(
    mode, data_file, registry
):
    async with (
        FakeBotApi() as api,
        live_bot(data_file, registry, api=api, config=_config(mode)) as bot,
    ):
        alice = api.user(5001)
        first = api.send_text(alice, "/start")
        await bot.settle()
        sent = len(api.messages(alice.id))
        assert sent >= 1
        if mode == "webhook":  # a poller's offset already covers it: it comes after a restart
            api.redeliver(first)
            await bot.settle()
            assert len(api.messages(alice.id)) == sent, "no second answer"
        await bot.restart()
        api.redeliver(first)
        await bot.settle()
        assert len(api.messages(alice.id)) == sent, "no second answer after a restart"
        assert await _answered(bot, alice, "/help") >= 1, "the next update is answered"
