"""One bot replica in a process of its own, for the scale-out tests (killed with SIGKILL).

    python -m tests.scaleout.replica DATABASE_URL BASE_URL FILE_URL TOKEN PORT WEBHOOK_URL SECRET

WEBHOOK_URL "polling": polling mode instead (PORT and SECRET unused).
BACKCARE_SCALEOUT_REAL=1: the whole bot as `backcare bot` serves it (backcare.application.serve_bot: the
real dialogs and interview, photos through the task queue when BACKCARE_BROKER_URL is
set), for the journeys of test_journeys.py; BACKCARE_DATA_DIR holds its heartbeat.

What `backcare bot` runs with BACKCARE_DATABASE_URL in webhook mode (PostgreSQL storage,
bot.replicas coordinating), with the scripted dialogs of tests/support/echo_dialogs.py
instead of the interview (the journeys here are about delivery, not content), each
turn taking ``TURN`` seconds (so that a kill finds turns in flight), and the replicas'
periodic work every second instead of every ten, so a dead replica's claims lapse
within the test's time. Prints "ready" once its webhook server listens.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from typing import Any

TURN = float(os.environ.get("BACKCARE_SCALEOUT_TURN", "0.4"))  # seconds the dialogs take


class SlowDialogs:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def handle(self, state: dict | None, event: Any) -> Any:
        if TURN:
            await asyncio.sleep(TURN)
        return await self.inner.handle(state, event)


async def serve(argv: list[str]) -> None:
    from backcare.bot import replicas
    from backcare.bot.app import BotRunner, build_application
    from backcare.bot.config import BotConfig
    from backcare.bot.storage import open_storage
    from tests.support.echo_dialogs import EchoDialogs

    url, base_url, file_url, token, port, webhook_url, secret = argv
    replicas.DUE_EVERY, replicas.CLAIM_HOLD = 0.5, 3.0
    replicas.ORPHANS_EVERY, replicas.ORPHAN_AGE = 1.0, 3.0
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if os.environ.get("BACKCARE_SCALEOUT_REAL") == "1":
        await serve_real(url, base_url, file_url, token, int(port), webhook_url, secret, stop)
        return
    storage = open_storage(url)
    try:
        polling = webhook_url == "polling"
        config = BotConfig(
            token=token,
            mode="polling" if polling else "webhook",
            webhook_url=None if polling else webhook_url,
            webhook_secret=None if polling else secret,
            webhook_port=int(port),
            api_base_url=base_url,
            api_file_url=file_url,
        )
        app = build_application(
            config,
            SlowDialogs(EchoDialogs()),
            storage,
            retry_delays=(0.05, 0.1, 0.2),
            poll_timeout=1,
        )
        coordination = await replicas.attach(app, storage)
        runner = BotRunner(app)
        await runner.start()
        print("ready", flush=True)
        await stop.wait()
        await runner.stop()
        if coordination is not None:
            await coordination.close()
    finally:
        storage.close()


async def serve_real(
    url: str,
    base_url: str,
    file_url: str,
    token: str,
    port: int,
    webhook_url: str,
    secret: str,
    stop: asyncio.Event,
) -> None:
    """backcare.application.serve_bot with a config built here: BotConfig.from_env wants an https webhook,
    and the test's load balancer speaks plain HTTP on 127.0.0.1."""
    from pathlib import Path

    from backcare.application.serve_bot import serve as serve_bot
    from backcare.bot.config import BotConfig

    os.environ["BACKCARE_DATABASE_URL"] = url
    config = BotConfig(
        token=token,
        mode="webhook",
        webhook_url=webhook_url,
        webhook_secret=secret,
        webhook_port=port,
        api_base_url=base_url,
        api_file_url=file_url,
        data_dir=Path(os.environ.get("BACKCARE_DATA_DIR", "data")),
    )
    ready = asyncio.create_task(_say_ready(port))
    try:
        await serve_bot(config, stop)
    finally:
        ready.cancel()


async def _say_ready(port: int) -> None:
    """ "ready" once the webhook server answers /healthz (serve() starts it, then waits)."""
    import httpx

    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (
                    await client.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                ).status_code == 200:
                    print("ready", flush=True)
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(sys.argv[1:]))
