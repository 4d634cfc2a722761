"""The fake Bot API records who sent each message, so that the scale-out tests judge a
duplicate by its sender and not by when the test's event loop read the request."""

from __future__ import annotations

from aiohttp import ClientSession

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
