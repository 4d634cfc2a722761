"""Webhook mode: an aiohttp server Telegram posts updates to.

Telegram sends the secret given to setWebhook in X-Telegram-Bot-Api-Secret-Token;
a request without the right secret is refused (compared in constant time, so
its timing tells nothing about the secret). The update is saved to the inbox
before the 200 answer; when saving fails Telegram gets a 500 and delivers again.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

from backcare.bot.intake import Intake
from backcare.bot.storage import StorageError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kB; photos come by getFile, never in the body


def secret_ok(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode(), expected.encode())


class WebhookServer:
    def __init__(
        self, intake: Intake, path: str, secret: str, listen: str, port: int, ops: Any = None
    ) -> None:
        """ops: a backcare.bot.ops.Ops whose /healthz, /readyz and /metrics this server
        serves too (None: a plain /healthz)."""
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self.intake = intake
        self.path = path or "/"
        self.secret = secret
        self.listen = listen
        self.port = port
        self.refused = 0
        self.ops = ops
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self.receive)
        if self.ops is not None:
            self.ops.add_routes(app)
        else:
            app.router.add_get("/healthz", self.health)
        return app

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]  # the port the system picked
        log.info("webhook listening on %s:%s%s", self.listen, self.port, self.path)

    async def stop(self) -> None:
        """Stop taking updates (Telegram keeps the rest until we are back)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def receive(self, request: web.Request) -> web.Response:
        if not secret_ok(request.headers.get(SECRET_HEADER), self.secret):
            self.refused += 1
            log.warning("webhook request without the right secret refused")
            return web.Response(status=403)
        try:
            raw = await request.json()
        except Exception:
            return web.Response(status=400)
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=400)
        try:
            await self.intake.accept([raw])
        except StorageError:
            # Telegram delivers it again, with its own back-off; bot.health logs the episode
            return web.Response(status=500)
        except Exception:
            log.exception("update could not be read; dropped")
            return web.Response(status=200)
        return web.Response(status=200)
