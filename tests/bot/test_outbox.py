"""Replies survive Telegram's bad moments: 429, 5xx, dropped connections, a restart."""

from __future__ import annotations

import time

import pytest

from tests.support.echo_dialogs import EchoDialogs
from tests.support.fake_botapi import Fault
from tests.support.harness import BotHarness

# PTB's own RetryAfter warns about its coming change to timedelta whenever a 429 is built
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_a_429_is_waited_out_and_the_reply_arrives(bot):
    alice = bot.api.user(1001)
    bot.api.faults.append(Fault("sendMessage", 429, retry_after=1))
    started = time.monotonic()
    bot.api.send_text(alice, "hello")
    await bot.settle()
    (reply,) = bot.api.messages(alice.id)
    assert reply.plain == "You said: hello"
    assert time.monotonic() - started >= 1.0, "retry_after was respected"
    statuses = [c.status for c in bot.api.calls_of("sendMessage")]
    assert statuses == [429, 200]


async def test_server_errors_and_dropped_connections_are_retried(bot):
    alice = bot.api.user(1001)
    bot.api.faults += [
        Fault("sendMessage", 502),
        Fault("sendMessage", 0),
        Fault("sendMessage", 500),
    ]
    bot.api.send_text(alice, "hello")
    await bot.settle()
    assert [m.plain for m in bot.api.messages(alice.id)] == ["You said: hello"]
    assert bot.storage.pending() == []


async def test_a_reply_that_keeps_failing_stays_saved_and_goes_out_later(bot):
    alice = bot.api.user(1001)
    bot.api.faults.append(Fault("sendMessage", 500, times=10))
    bot.api.send_text(alice, "first")
    await bot.settle()
    assert bot.api.messages(alice.id) == []
    (kept,) = bot.storage.pending(alice.id)
    assert kept.attempts == 1 and "first" in kept.payload["text"]
    bot.api.faults.clear()
    bot.api.send_text(alice, "second")  # the user's next turn sends the older reply first
    await bot.settle()
    assert [m.plain for m in bot.api.messages(alice.id)] == ["You said: first", "You said: second"]
    assert bot.storage.pending() == []


async def test_replies_still_unsent_at_stop_are_sent_by_the_next_run(dialogs, storage):
    async with BotHarness(dialogs, storage) as bot:
        alice = bot.api.user(1001)
        bot.api.faults.append(Fault("*", 500, times=1000))  # Telegram is down until after the stop
        bot.api.send_text(alice, "/results")
        await bot.settle()
        await bot.stop()
        assert [i.payload["kind"] for i in storage.pending(alice.id)] == ["album", "text"]
        bot.api.faults.clear()
        await bot.start()  # a new run: the pictures were only in the old one's memory
        await bot.settle()
        texts = [m.plain for m in bot.api.messages(alice.id) if m.kind == "text"]
        assert texts == [
            "(A picture could not be sent. Send /status to see your results.)",
            "Your results:",
        ]
        assert storage.pending() == []
        assert sum(e.text == "results" for _, e in dialogs.events) == 1, "the turn was not redone"


async def test_a_user_who_blocked_the_bot_does_not_block_the_queue(make_storage):
    async with BotHarness(EchoDialogs(), make_storage()) as bot:
        alice = bot.api.user(1001)
        bot.api.faults.append(Fault("sendMessage", 403))
        bot.api.send_text(alice, "one")
        await bot.settle()
        bot.api.send_text(alice, "two")
        await bot.settle()
        assert [m.plain for m in bot.api.messages(alice.id)] == ["You said: two"]
        assert bot.storage.pending() == []


async def test_results_come_as_a_media_group_with_link_buttons(bot):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/results")
    await bot.settle()
    side, back, text = bot.api.messages(alice.id)  # the buttons sit under the last message
    assert text.plain == "Your results:"
    assert text.buttons == [{"text": "Video", "url": "https://example.org/v"}]
    assert (side.kind, side.data, side.text) == ("photo", b"img1", "side")
    assert back.media_group_id == side.media_group_id is not None
    assert bot.storage.assessments(alice.id) == [{"summary": "results", "pain": None}]
    assert bot.runtime.outbox.blobs == {}, "pictures leave memory once sent"
