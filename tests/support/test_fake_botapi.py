"""The fake Bot API records who sent each message, so that the scale-out tests judge a
duplicate by its sender and not by when the test's event loop read the request."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession, web

from tests.support.fake_botapi import FakeBotApi


async def send(base_url: str, token: str, chat_id: int, text: str) -> dict:
    async with (
        ClientSession() as http,
        http.post(f"{base_url}{token}/sendMessage", json={"chat_id": chat_id, "text": text}) as r,
    ):
        return await r.json()


async def test_a_message_sent_through_a_clients_address_is_recorded_as_that_clients():
    async with FakeBotApi() as api:
        r1, _ = api.client_urls("r1")
        r2, _ = api.client_urls("r2")
        for base, text in ((r1, "one"), (r2, "two"), (api.base_url, "three")):
            answer = await send(base, api.token, 42, text)
            assert answer["ok"] is True
        assert [(m.plain, m.sender) for m in api.messages(42)] == [
            ("one", "r1"),
            ("two", "r2"),
            ("three", None),
        ]


async def test_a_clients_address_still_needs_the_bots_token():
    async with FakeBotApi() as api:
        r1, _ = api.client_urls("r1")
        answer = await send(r1, "1:wrong", 42, "one")
        assert answer["error_code"] == 401
        assert api.messages(42) == []


async def test_webhook_delivery_goes_on_when_all_its_connections_end_at_once():
    """More updates than the webhook's connections: when the posts in flight all end in
    one go, the updates behind them are delivered too (they once waited forever)."""
    arrived: list[int] = []
    release = asyncio.Event()

    async def webhook(request: web.Request) -> web.Response:
        arrived.append((await request.json())["update_id"])
        if len(arrived) % 2 == 0:
            release.set()  # both connections answer together
        await release.wait()
        if len(arrived) % 2 == 0:
            release.clear()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with FakeBotApi() as api, ClientSession() as http:
            async with http.post(
                f"{api.base_url}{api.token}/setWebhook",
                json={"url": f"http://127.0.0.1:{port}/hook", "max_connections": 2},
            ) as r:
                assert (await r.json())["ok"] is True
            updates = [api.send_text(api.user(100 + n), f"m{n}")["update_id"] for n in range(6)]
            await api.wait_for(lambda: sorted(arrived) == updates, timeout=5)
    finally:
        await runner.cleanup()
