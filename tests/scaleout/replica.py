"""One bot replica in a process of its own, for the scale-out tests (killed with SIGKILL).

    python -m tests.scaleout.replica DATABASE_URL BASE_URL FILE_URL TOKEN PORT WEBHOOK_URL SECRET

WEBHOOK_URL "polling": polling mode instead (PORT and SECRET unused).

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
    from backcare.storage import open_storage
    from tests.support.echo_dialogs import EchoDialogs

    url, base_url, file_url, token, port, webhook_url, secret = argv
    replicas.DUE_EVERY, replicas.CLAIM_HOLD = 0.5, 3.0
    replicas.ORPHANS_EVERY, replicas.ORPHAN_AGE = 1.0, 3.0
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
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


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(sys.argv[1:]))
