"""A start rides out Telegram answering 5xx, or not at all, for a moment (a service manager
would otherwise restart the whole process, vision workers included, again and again)."""

from __future__ import annotations

from tests.support.echo_dialogs import EchoDialogs
from tests.support.fake_botapi import FakeBotApi, Fault
from tests.support.harness import BotHarness


async def test_the_bot_starts_although_telegram_fails_its_first_requests(make_storage):
    async with FakeBotApi() as api:
        api.faults += [Fault("getMe", 502), Fault("getMe", 0), Fault("deleteWebhook", 500)]
        async with BotHarness(EchoDialogs(), make_storage(), api=api) as bot:
            alice = api.user(1001)
            api.send_text(alice, "hello")
            await bot.settle()
            assert api.messages(alice.id)[-1].plain == "You said: hello"
        assert [c.status for c in api.calls_of("getMe")][:3] == [502, 0, 200]
