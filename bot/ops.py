"""The bot's operations endpoints: ``/healthz``, ``/readyz`` and ``/metrics``.

- ``/healthz``  200 while the process is alive and its event loop turns (a ticker
                that stopped for 10 s means the loop is blocked: 503)
- ``/readyz``   200 when storage is reachable (saving works), Telegram intake runs
                (polling, or the webhook server is up) and photo analysis is available
                (the pool is open; with a task queue, its broker and Redis answer);
                503 naming what is not
- ``/metrics``  Prometheus text (backcare.kernel.metrics)

In webhook mode they are routes of the webhook server; in polling mode a small server
of their own on BACKCARE_HTTP_LISTEN:BACKCARE_HTTP_PORT (default 127.0.0.1:9100; ``off``
for none). Their answers carry no personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)

HTTP_PORT = 9100
TICK = 1.0  # seconds between the ticker's beats
STALLED = 10.0  # seconds without a beat: the event loop is blocked
CHECK_TIMEOUT = 5.0  # seconds a readiness check may take


def address_from_env(env: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """(listen, port) for polling mode's server, or None when BACKCARE_HTTP_PORT is off."""
    env = os.environ if env is None else env
    text = (env.get("BACKCARE_HTTP_PORT") or str(HTTP_PORT)).strip().lower()
    if text in ("off", "none", "no"):
        return None
    try:
        port = int(text)
    except ValueError:
        raise ValueError(f"BACKCARE_HTTP_PORT must be a port number or off, not {text!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"BACKCARE_HTTP_PORT must be between 0 and 65535, not {port}")
    return (env.get("BACKCARE_HTTP_LISTEN") or "127.0.0.1").strip(), port


class Ops:
    """The probes of one bot process; ``analysis``: the pipeline (or None: reports only)."""

    def __init__(
        self, storage_ok: Callable[[], bool], intake_running: Callable[[], bool], analysis: Any
    ) -> None:
        self.storage_ok = storage_ok
        self.intake_running = intake_running
        self.analysis = analysis
        self.last_tick = 0.0
        self.port: int | None = None
        self._ticker: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.last_tick = loop.time()

        async def tick() -> None:
            while True:
                self.last_tick = loop.time()
                await asyncio.sleep(TICK)

        self._ticker = asyncio.create_task(tick(), name="backcare-ops-ticker")

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)

    async def serve(self, listen: str, port: int) -> None:
        """A server of its own (polling mode)."""
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, listen, port).start()
        self.port = self._runner.addresses[0][1]
        log.info(
            "health and metrics on http://%s:%s (/healthz /readyz /metrics)", listen, self.port
        )

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, request: web.Request) -> web.Response:
        stalled = asyncio.get_running_loop().time() - self.last_tick
        if self._ticker is None or self._ticker.done() or stalled > STALLED:
            return web.Response(status=503, text=f"event loop stalled for {stalled:.0f} s\n")
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        checks = {
            "storage": await self._check(self.storage_ok),
            "telegram intake": self.intake_running(),
            "photo analysis": self.analysis is not None
            and await self._check(self.analysis.analysis_available),
        }
        failing = [name for name, ok in checks.items() if not ok]
        if failing:
            return web.Response(status=503, text="not ready: " + ", ".join(failing) + "\n")
        return web.Response(text="ready\n")

    @staticmethod
    async def _check(check: Callable[[], bool]) -> bool:
        """On a thread (it may wait on a network), bounded; an exception is a no."""
        try:
            return bool(await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT))
        except Exception:
            return False

    async def metrics(self, request: web.Request) -> web.Response:
        # on a thread: the queue depth may be read from the broker
        body = await asyncio.to_thread(generate_latest, REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
