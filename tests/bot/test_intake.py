"""Updates are saved before Telegram is told we have them, and a stop loses none."""

from __future__ import annotations

import asyncio

import pytest

from backcare.bot import dedup
from tests.support.echo_dialogs import EchoDialogs, echo_data
from tests.support.fake_botapi import FakeBotApi, Fault
from tests.support.harness import BotHarness

# PTB's own RetryAfter warns about its coming change to timedelta whenever a 429 is built
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


JPEG = b"\xff\xd8\xff\xe0" + b"z" * 1000


async def test_an_update_is_in_the_inbox_before_telegram_forgets_it(make_storage):
    storage = make_storage()
    async with BotHarness(EchoDialogs(photo_delay=0.5), storage) as bot:
        alice = bot.api.user(1001)
        update = bot.api.send_photo(alice, JPEG)
        await bot.api.wait_for(lambda: bot.api.pending_updates == 0, timeout=5)
        # confirmed to Telegram but not yet handled: it must be saved
        assert [u["update_id"] for u in storage.inbox_pending()] == [update["update_id"]]
        await bot.settle()
        assert storage.inbox_pending() == []


async def test_updates_saved_by_a_run_that_died_are_handled_at_start(make_storage):
    storage = make_storage()
    dialogs = EchoDialogs()
    async with FakeBotApi() as api:
        alice = api.user(1001)
        raw = {"update_id": 77, "message": api._message(alice, text="written before the crash")}
        storage.inbox_add(77, alice.id, raw)  # what the dead process had saved
        async with BotHarness(dialogs, storage, api=api) as bot:
            await bot.settle()
            assert [m.plain for m in api.messages(alice.id)] == [
                "You said: written before the crash"
            ]
            assert storage.inbox_pending() == []
            assert 77 in dedup.recent_ids(storage.get_session(alice.id))


async def test_a_graceful_stop_finishes_the_turns_in_progress(make_storage):
    storage = make_storage()
    async with BotHarness(EchoDialogs(photo_delay=0.8), storage) as bot:
        alice, bob = bot.api.user(1), bot.api.user(2)
        bot.api.send_photo(alice, JPEG)
        bot.api.send_text(bob, "hello")
        await bot.api.wait_for(lambda: bot.api.pending_updates == 0, timeout=5)
        await asyncio.sleep(0.1)
        await bot.stop()  # while alice's photo is being analysed
        assert any(m.plain.startswith("Photo 1 received") for m in bot.api.messages(alice.id))
        assert bot.api.messages(bob.id)[-1].plain == "You said: hello"
        assert storage.inbox_pending() == [] and storage.pending() == []
        assert echo_data(storage.get_state(alice.id))["photos"] == 1
        await bot.start()


async def test_polling_rides_out_server_errors_and_429(make_storage):
    async with BotHarness(EchoDialogs(), make_storage()) as bot:
        bot.api.faults += [Fault("getUpdates", 502), Fault("getUpdates", 429, retry_after=1)]
        alice = bot.api.user(1001)
        bot.api.send_text(alice, "still there?")
        await bot.settle(timeout=10)
        assert bot.api.messages(alice.id)[-1].plain == "You said: still there?"
