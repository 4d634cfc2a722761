"""The bot's /healthz, /readyz and /metrics: in polling mode on a port of their own, in
webhook mode on the webhook server; each answers what it says it checks."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from backcare.bot.ops import address_from_env
from tests.support.echo_dialogs import EchoDialogs
from tests.support.harness import BotHarness

SECRET = "s3cret-token_for_tests"


class Analysis:
    """Stands for the pipeline: only whether photos can be analysed now."""

    def __init__(self, available: bool = True) -> None:
        self.available = available

    def analysis_available(self) -> bool:
        return self.available


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def sample(text: str, name: str, **labels: str) -> float:
    """A sample's value from Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
async def polling(make_storage):
    async with BotHarness(EchoDialogs(), make_storage()) as bot:
        assert bot.runner is not None
        bot.runner.ops.analysis = Analysis()
        await bot.runner.ops.serve("127.0.0.1", 0)
        yield bot, f"http://127.0.0.1:{bot.runner.ops.port}"


async def test_healthz_says_ok_while_the_event_loop_turns(polling):
    bot, url = polling
    assert await fetch(url + "/healthz") == (200, "ok\n")
    bot.runner.ops.last_tick -= 30  # as if the loop had been blocked for 30 s
    status, text = await fetch(url + "/healthz")
    assert status == 503 and "stalled" in text


async def test_readyz_names_what_is_not_ready(polling):
    bot, url = polling
    assert await fetch(url + "/readyz") == (200, "ready\n")
    bot.runner.ops.analysis.available = False
    assert await fetch(url + "/readyz") == (503, "not ready: photo analysis\n")
    bot.runtime.health.failed(OSError(28, "No space left on device"))
    assert await fetch(url + "/readyz") == (503, "not ready: storage, photo analysis\n")
    bot.runtime.health.saved()
    bot.runner.ops.analysis.available = True
    bot.runner._poller.cancel()  # polling ended
    await asyncio.sleep(0)
    assert await fetch(url + "/readyz") == (503, "not ready: telegram intake\n")


async def test_metrics_count_the_updates_handled_and_their_latency(polling):
    bot, url = polling
    status, before = await fetch(url + "/metrics")
    assert status == 200
    alice = bot.api.user(4242)
    bot.api.send_text(alice, "/start")
    await bot.settle()
    question = bot.api.messages(alice.id)[-1]
    bot.api.press(alice, question, "5")
    await bot.settle()
    after = (await fetch(url + "/metrics"))[1]
    handled = sum(
        sample(after, "backcare_updates_handled_total", kind=k)
        - sample(before, "backcare_updates_handled_total", kind=k)
        for k in ("answer", "photo_or_timer", "turn")
    )
    timed = sum(
        sample(after, "backcare_reply_seconds_count", kind=k)
        - sample(before, "backcare_reply_seconds_count", kind=k)
        for k in ("answer", "photo_or_timer", "turn")
    )
    assert handled == timed == 2


async def test_webhook_mode_serves_them_on_the_webhook_server(make_storage, free_port):
    config = {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{free_port}/telegram/hook",
        "webhook_secret": SECRET,
        "webhook_listen": "127.0.0.1",
        "webhook_port": free_port,
    }
    async with BotHarness(EchoDialogs(), make_storage(), config=config) as bot:
        url = f"http://127.0.0.1:{free_port}"
        assert await fetch(url + "/healthz") == (200, "ok\n")
        # made without a pipeline: nothing can analyse photos
        assert await fetch(url + "/readyz") == (503, "not ready: photo analysis\n")
        bot.runner.ops.analysis = Analysis()
        assert await fetch(url + "/readyz") == (200, "ready\n")
        status, text = await fetch(url + "/metrics")
        assert status == 200 and "# TYPE backcare_reply_seconds histogram" in text


@pytest.fixture
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_port_comes_from_the_environment():
    assert address_from_env({}) == ("127.0.0.1", 9100)
    assert address_from_env({"BACKCARE_HTTP_PORT": "9200", "BACKCARE_HTTP_LISTEN": "0.0.0.0"}) == (
        "0.0.0.0",
        9200,
    )
    assert address_from_env({"BACKCARE_HTTP_PORT": "off"}) is None
    with pytest.raises(ValueError, match="BACKCARE_HTTP_PORT"):
        address_from_env({"BACKCARE_HTTP_PORT": "ninety"})
