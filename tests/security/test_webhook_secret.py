"""The webhook takes updates only with Telegram's secret token, exactly as set.

Anything else (no token, a near miss, the token elsewhere in the request) is
refused before the body is read: nothing reaches the inbox or the dialogs, and
neither the token nor the guess is written to the logs.
"""

from __future__ import annotations

import logging
import socket

import aiohttp
import pytest

from backcare.bot.webhook import MAX_BODY, SECRET_HEADER, WebhookServer
from tests.reliability.live import live_bot, production_log_levels

SECRET = "s3cret-Token_for-the-webhook-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def hooked(data_file, registry):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    config = {
        "mode": "webhook",
        "webhook_url": url,
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }
    async with live_bot(data_file, registry, config=config) as bot:
        yield bot, url


def update(text: str = "/start", user: int = 5) -> dict:
    return {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": text,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "M"},
        },
    }


NEAR_MISSES = {
    "no header": {},
    "empty": {SECRET_HEADER: ""},
    "other case": {SECRET_HEADER: SECRET.upper()},
    "with a space": {SECRET_HEADER: SECRET + " "},
    "a prefix": {SECRET_HEADER: SECRET[:-1]},
    "longer": {SECRET_HEADER: SECRET + "0"},
    "one character off": {SECRET_HEADER: SECRET[:5] + "X" + SECRET[6:]},
    "under another header": {
        "X-Telegram-Bot-Api-Secret": SECRET,
        "Authorization": f"Bearer {SECRET}",
    },
    "very long": {SECRET_HEADER: "A" * 8000},
}


async def test_near_misses_are_refused_and_nothing_gets_in(hooked, caplog):
    bot, url = hooked
    caplog.set_level(logging.DEBUG)
    with production_log_levels():
        async with aiohttp.ClientSession() as client:
            for name, headers in NEAR_MISSES.items():
                async with client.post(url, json=update(), headers=headers) as response:
                    assert response.status == 403, name
            async with client.post(url + f"?secret_token={SECRET}", json=update()) as response:
                assert response.status == 403, "the token in the query string"
            async with client.get(url, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 405
        await bot.settle()
    assert bot.api.messages(5) == [] and bot.storage.inbox_pending() == []
    assert bot.runner.webhook.refused == len(NEAR_MISSES) + 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET not in logged and SECRET[:12] not in logged and "AAAAAAAA" not in logged


async def test_the_right_secret_gets_in_and_a_body_too_large_does_not(hooked):
    bot, url = hooked
    async with aiohttp.ClientSession() as client:
        big = {**update(), "padding": "x" * (MAX_BODY + 1)}
        async with client.post(url, json=big, headers={SECRET_HEADER: SECRET}) as response:
            assert response.status in (400, 413)
        async with client.post(url, json=update(), headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 200
    await bot.settle()
    assert bot.api.messages(5)[0].plain.startswith("Welcome to backcare")


def test_a_webhook_cannot_be_run_without_a_secret():
    with pytest.raises(ValueError):
        WebhookServer(intake=None, path="/hook", secret="", listen="127.0.0.1", port=0)
