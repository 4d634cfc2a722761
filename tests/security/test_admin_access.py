"""Admin commands answer allow-listed Telegram ids only, however the command is dressed up;
everyone else gets the answer any unknown command gets, and nothing is audited."""

from __future__ import annotations

import pytest

from tests.reliability.live import live_bot
from tests.support.fake_botapi import BOT_USERNAME

ADMIN, MALLORY = 4242, 666
ADMIN_WORDS = ("Users:", "backcare 0.", "interview version", "reloaded", "NOT reloaded")


@pytest.fixture
async def bot(data_file, registry):
    async with live_bot(data_file, registry, admins=frozenset({ADMIN})) as live:
        yield live


def message(api, sender: int, chat: int, text: str, chat_type: str = "private") -> dict:
    return {
        "message_id": 1,
        "date": 0,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        "chat": {"id": chat, "type": chat_type, "title": "group"},
        "from": {"id": sender, "is_bot": False, "first_name": "M", "language_code": "en"},
    }


DRESSED_UP = [
    "/admin_stats",
    "/admin_version",
    "/admin_reload",
    f"/admin_stats@{BOT_USERNAME}",
    "/ADMIN_STATS",
    "/Admin_Version",
    "/admin_reload now please",
    "/admin_stats@other_bot",
]


async def test_nobody_else_can_tell_the_admin_commands_exist(bot):
    mallory = bot.api.user(MALLORY)

    async def answer_to(command: str) -> list[str]:
        before = len(bot.api.messages(MALLORY))
        bot.api.send_text(mallory, command)
        await bot.settle()
        return [m.plain for m in bot.api.messages(MALLORY)[before:]]

    await answer_to("/start")
    unknown = await answer_to("/no_such_command")
    assert unknown[0].startswith("I don't know that command")
    for command in DRESSED_UP:
        assert await answer_to(command) == unknown, command
    assert not any(word in m.plain for m in bot.api.messages(MALLORY) for word in ADMIN_WORDS)
    assert bot.storage.audit_log() == []


async def test_the_sender_counts_not_the_chat(bot):
    """An update whose chat is the admin's but whose sender is not (never from Telegram, but
    a webhook is an open door to whoever has its secret) gets no admin answer."""
    bot.api.push_update({"message": message(bot.api, MALLORY, ADMIN, "/admin_stats")})
    await bot.settle()
    assert not any(word in m.plain for m in bot.api.messages(ADMIN) for word in ADMIN_WORDS)
    assert bot.storage.audit_log() == []


async def test_even_the_admin_is_not_answered_outside_a_private_chat(bot):
    bot.api.push_update({"message": message(bot.api, ADMIN, -100123, "/admin_stats", "group")})
    bot.api.push_update({"edited_message": message(bot.api, ADMIN, ADMIN, "/admin_stats")})
    await bot.settle()
    assert bot.api.messages(-100123) == []
    # the edit is answered (edits are never ignored without a word), never run as a command
    assert not any(word in m.plain for m in bot.api.messages(ADMIN) for word in ADMIN_WORDS)
    assert bot.storage.audit_log() == []


async def test_the_admin_is_answered_and_every_action_audited(bot):
    admin = bot.api.user(ADMIN)
    for command in ("/admin_stats", f"/admin_version@{BOT_USERNAME}", "/ADMIN_STATS"):
        bot.api.send_text(admin, command)
        await bot.settle()
    replies = [m.plain for m in bot.api.messages(ADMIN)]
    assert replies[0].startswith("Users:") or "Users:" in replies[0]
    assert "interview version" in replies[1]
    assert [e.action for e in bot.storage.audit_log()] == [
        "admin_stats",
        "admin_version",
        "admin_stats",
    ]
    assert all(e.admin_id == ADMIN for e in bot.storage.audit_log())
