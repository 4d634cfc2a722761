"""The bot as `backcare bot` runs it: the composition root that wires the pipeline, the
storage, the dialogs and the Telegram application, then runs until told to stop.

It lives in the application layer because it is the one place that knows every part;
``bot/`` itself never imports the pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from backcare.application.pipeline import Pipeline
from backcare.bot import heartbeat, ops, replicas
from backcare.bot.app import DB_FILE, BotRunner, build_application, setup_logging
from backcare.bot.config import BotConfig
from backcare.bot.dialogs.engine import Dialogs, Policy
from backcare.bot.privacy import Chart
from backcare.bot.storage import StorageError, configured
from backcare.interview import InterviewRegistry
from backcare.kernel import metrics
from backcare.kernel.paths import INTERVIEW

log = logging.getLogger(__name__)


async def serve(config: BotConfig, stop: asyncio.Event, *, workers: int | None = None) -> None:
    """Run the real bot (pipeline, dialogs, storage) until ``stop`` is set."""
    # BACKCARE_DATABASE_URL: PostgreSQL (several replicas); else the embedded TinyDB files
    storage = configured(config.data_dir / DB_FILE)
    try:
        with Pipeline.create(
            workers=workers or config.workers, niceness=WORKER_NICENESS
        ) as pipeline:
            interviews = InterviewRegistry(INTERVIEW)
            dialogs = Dialogs(
                services=pipeline,
                interviews=interviews,
                policy=Policy(keep_photos=config.keep_photos),  # ask only what will be done
            )
            app = build_application(
                config, dialogs, storage, interviews=interviews, chart=_default_chart()
            )
            coordination = await replicas.attach(app, storage)  # PostgreSQL: replicas agree
            metrics.count_errors()
            depth = getattr(pipeline, "queue_depth", None)
            if depth is not None:
                metrics.track_queue_depth(depth)
            runner = BotRunner(app, analysis=pipeline, ops_address=ops.address_from_env())
            await runner.start()
            try:
                async with heartbeat.beating(config.data_dir / heartbeat.FILE):
                    await stop.wait()
            finally:
                await runner.stop()
                if coordination is not None:
                    await coordination.close()
    finally:
        storage.close()


# The vision workers' CPU priority. Pose estimation keeps a core busy; at equal priority
# the scheduler shares the cores between it and the event loop, and text answers wait
# behind photo analysis (bench/bot.py: p99 up to ~600 ms on 2 cores, ~150 ms with the
# workers niced; photo results just as fast). Each worker sets it itself as it starts
# (backcare.vision.pool), so a worker replaced after a crash or a time-out has it too.
WORKER_NICENESS = 10


def _default_chart() -> Chart:
    from backcare.bot.progress_chart import chart_for_export

    return chart_for_export


def run(config: BotConfig) -> None:
    """``backcare bot``: run until SIGINT or SIGTERM, then stop within the grace period."""
    setup_logging()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await serve(config, stop)

    try:
        asyncio.run(main())
    except StorageError as exc:  # e.g. a corrupt database: say which file and which backup
        log.critical("%s", exc)
        raise SystemExit(f"backcare: {exc}") from None
