"""Webhook mode: updates posted by Telegram, the secret token checked, durable before 200."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from backcare.bot.webhook import SECRET_HEADER, secret_ok
from tests.support.echo_dialogs import EchoDialogs
from tests.support.harness import BotHarness

SECRET = "s3cret-token_for_tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def hooked(make_storage):
    port = free_port()
    config = {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}/telegram/hook",
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }
    async with BotHarness(EchoDialogs(), make_storage(), config=config) as bot:
        yield bot, f"http://127.0.0.1:{port}/telegram/hook"


def test_the_secret_is_compared_exactly():
    assert secret_ok(SECRET, SECRET)
    assert not secret_ok(None, SECRET) and not secret_ok("", SECRET)
    assert not secret_ok(SECRET[:-1], SECRET) and not secret_ok(SECRET + "x", SECRET)


async def test_updates_posted_by_telegram_are_handled(hooked):
    bot, url = hooked
    assert bot.api.webhook == {"url": url, "secret_token": SECRET, "max_connections": 40}
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/start")
    await bot.settle()
    question = bot.api.messages(alice.id)[-1]
    bot.api.press(alice, question, "5")
    await bot.settle()
    assert bot.api.messages(alice.id)[-1].plain == "Do you sit for long?"
    assert bot.api.webhook_deliveries == [200, 200]


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}])
async def test_a_request_without_the_right_secret_is_refused(hooked, headers):
    bot, url = hooked
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "M"},
        },
    }
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, json=update, headers=headers) as response,
    ):
        assert response.status == 403
    await bot.settle()
    assert bot.api.messages(5) == [] and bot.storage.inbox_pending() == []


async def test_malformed_bodies_are_rejected(hooked):
    _, url = hooked
    async with aiohttp.ClientSession() as client:
        for body in (b"not json", b"[1, 2]", b'{"update_id": "x"}'):
            async with client.post(url, data=body, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 400
        async with client.get(url.rsplit("/", 2)[0] + "/healthz") as response:
            assert response.status == 200
