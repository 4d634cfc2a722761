"""The real bot Application against the fake Bot API server, for tests and benchmarks.

async with BotHarness(dialogs, storage) as h:
    alice = h.api.user(1001)
    h.api.send_text(alice, "/start")
    await h.settle()
    print(h.api.messages(alice.id))
"""

from __future__ import annotations

import asyncio
from typing import Any, Self

from telegram.ext import Application

from backcare.bot.app import BotRunner, build_application
from backcare.bot.config import BotConfig
from backcare.bot.runtime import BotRuntime
from backcare.bot.storage import Storage
from tests.support.fake_botapi import FakeBotApi


def config_for(api: FakeBotApi, **overrides: Any) -> BotConfig:
    values: dict[str, Any] = {
        "token": api.token,
        "api_base_url": api.base_url,
        "api_file_url": api.file_url,
    }
    values.update(overrides)
    return BotConfig(**values)


class BotHarness:
    def __init__(
        self, dialogs: Any, storage: Storage, api: FakeBotApi | None = None, **build: Any
    ) -> None:
        self.dialogs = dialogs
        self.storage = storage
        self._api = api
        self._own_api = api is None
        self.config_overrides = build.pop("config", {})
        self.build = build
        self.runner: BotRunner | None = None

    @property
    def api(self) -> FakeBotApi:
        """The fake Bot API: the one given, or the harness's own once entered."""
        if self._api is None:
            raise RuntimeError("enter the harness (async with) before using its Bot API")
        return self._api

    async def __aenter__(self) -> Self:
        if self._api is None:
            self._api = await FakeBotApi().start()
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
        if self._own_api and self._api is not None:
            await self._api.close()

    @property
    def config(self) -> BotConfig:
        return config_for(self.api, **self.config_overrides)

    @property
    def app(self) -> Application:
        assert self.runner is not None, "the bot is not running"
        return self.runner.app

    @property
    def runtime(self) -> BotRuntime:
        assert self.runner is not None, "the bot is not running"
        return self.runner.rt

    async def start(self) -> None:
        build = {
            "poll_timeout": 1,
            "retry_delays": (0.05, 0.1, 0.2),
            "progress_after": 0.05,
            **self.build,
        }
        app = build_application(self.config, self.dialogs, self.storage, **build)
        self.runner = BotRunner(app)
        await self.runner.start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
            self.runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def _quiet(self) -> bool:
        queue = self.app.update_queue
        return (
            self.api.pending_updates == 0
            and getattr(queue, "_unfinished_tasks", 0) == 0
            and self.runtime.conversation.active == 0
            and not self.runtime.outbox._tidying
        )

    async def settle(self, timeout: float = 15.0) -> None:
        """Wait until every update sent so far is handled and its replies sent."""

        async def quiet_twice() -> None:
            while True:
                if self._quiet():
                    await asyncio.sleep(0.02)
                    if self._quiet():
                        return
                await asyncio.sleep(0.01)

        await asyncio.wait_for(quiet_twice(), timeout)
