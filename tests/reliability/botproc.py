"""The bot in a process of its own, for tests and benchmarks that kill it (SIGKILL).

    python -m tests.reliability.botproc DATA_FILE BASE_URL FILE_URL TOKEN [--ready-fd FD] [--vision N]
        [--disk-full-flag PATH] [--slow-fsync SECONDS] [--stop-grace SECONDS]

Runs what `backcare bot` runs (bot.app: TinyDB storage in DATA_FILE, the real
dialogs and interview.yaml) against the Bot API at BASE_URL, writes "ready" (to FD,
or stdout) once it polls, and stops gracefully on SIGTERM. Without ``--vision`` photos are
not expected (tests.reliability.live.NoPhotos); with it, the vision pool runs
N MediaPipe workers (children of this process, so they can be killed too).
``--disk-full-flag``: every save fails (ENOSPC) while that file exists;
``--slow-fsync``: every fsync takes that long (tests.reliability.diskfull).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_file", type=Path)
    parser.add_argument("base_url")
    parser.add_argument("file_url")
    parser.add_argument("token")
    parser.add_argument(
        "--ready-fd", type=int, default=None, help="where to say ready (then closed)"
    )
    parser.add_argument("--vision", type=int, default=0, help="vision workers (0: no photos)")
    parser.add_argument("--vision-timeout", type=float, default=60.0)
    parser.add_argument(
        "--disk-full-flag", type=Path, default=None, help="saving fails while this file exists"
    )
    parser.add_argument(
        "--slow-fsync", type=float, default=0.0, help="seconds every fsync takes (a slow disk)"
    )
    parser.add_argument("--stop-grace", type=float, default=None, help="seconds; default 8")
    args = parser.parse_args(argv)
    if args.disk_full_flag is not None or args.slow_fsync:
        from tests.reliability.diskfull import DiskFull

        DiskFull(args.disk_full_flag, slow=args.slow_fsync).install()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(args))


async def serve(args: argparse.Namespace) -> None:
    from backcare.application.pipeline import Pipeline
    from backcare.bot.app import BotRunner, build_application
    from backcare.bot.config import BotConfig
    from backcare.bot.dialogs.engine import Dialogs
    from backcare.bot.storage import TinyDBStorage
    from backcare.interview import InterviewRegistry
    from tests.reliability.live import INTERVIEW, NoPhotos

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    pipeline = (
        Pipeline.create(workers=args.vision, timeout_s=args.vision_timeout) if args.vision else None
    )
    storage = TinyDBStorage(args.data_file)
    try:
        registry = InterviewRegistry(INTERVIEW)
        dialogs = Dialogs(services=pipeline or NoPhotos(), interviews=registry)
        config = BotConfig(
            token=args.token,
            api_base_url=args.base_url,
            api_file_url=args.file_url,
            data_dir=args.data_file.parent,
            **({"stop_grace": args.stop_grace} if args.stop_grace is not None else {}),
        )
        app = build_application(
            config,
            dialogs,
            storage,
            interviews=registry,
            poll_timeout=1,
            retry_delays=(0.05, 0.1, 0.2, 0.4),
        )
        runner = BotRunner(app)
        await runner.start()
        if args.ready_fd is None:
            print("ready", flush=True)
        else:
            os.write(args.ready_fd, b"ready\n")
            os.close(args.ready_fd)
        await stop.wait()
        await runner.stop()
    finally:
        storage.close()
        if pipeline is not None:
            pipeline.close()


if __name__ == "__main__":
    main()
