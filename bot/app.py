"""The bot application: wiring, start, graceful stop.

``build_application(config, dialogs, storage, ...)`` returns a
``telegram.ext.Application`` (no PTB Updater: updates come through our durable
``Intake``) with a :class:`BotRuntime` in ``app.bot_data["backcare"]``.
``BotRunner`` starts and stops it in polling or webhook mode. What ``backcare bot``
runs (backcare/application/serve_bot.py) builds the pipeline, the dialogs and the
storage, runs until SIGINT/SIGTERM and stops within a bound: no new updates are
taken, the turns in flight get ``config.stop_grace`` seconds (BACKCARE_STOP_GRACE,
default 8), what is left stays in the inbox and outbox for the next start, and the
vision workers end with the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder

from backcare.bot import retention
from backcare.bot.admin import Admin
from backcare.bot.config import BotConfig
from backcare.bot.dialogs.commands import MENU
from backcare.bot.dialogs.texts import default_texts as default_dialog_texts
from backcare.bot.disk_pool import DiskPool
from backcare.bot.handlers import Handlers
from backcare.bot.health import StorageHealth
from backcare.bot.intake import ALLOWED_UPDATES, POLL_TIMEOUT, Intake
from backcare.bot.ops import Ops
from backcare.bot.outbox import RETRY_DELAYS, Outbox
from backcare.bot.privacy import Chart, Privacy
from backcare.bot.ratelimit import PriorityRateLimiter
from backcare.bot.runtime import BotRuntime
from backcare.bot.storage import Storage, utc_now
from backcare.bot.texts import load_texts
from backcare.bot.timers import Scheduler
from backcare.bot.turns import Clock, Turns
from backcare.bot.webhook import WebhookServer
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)

RETRY_PENDING_EVERY = 30.0  # seconds between attempts to send replies that got stuck
DB_FILE = "backcare.json"


def build_application(
    config: BotConfig,
    dialogs: Any,
    storage: Storage,
    *,
    interviews: Any | None = None,
    clock: Clock = utc_now,
    chart: Chart | None = None,
    texts: Catalogue | None = None,
    rate_limiter: Any | None = None,
    poll_timeout: int | None = None,
    retry_delays: tuple[float, ...] | None = None,
    progress_after: float | None = None,
) -> Application:
    """The Application with every handler; nothing runs until a BotRunner starts it."""
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .updater(None)
        .concurrent_updates(True)
        .rate_limiter(rate_limiter or PriorityRateLimiter())
    )
    if config.api_base_url:
        builder = builder.base_url(config.api_base_url)
    if config.api_file_url:
        builder = builder.base_file_url(config.api_file_url)
    app = builder.build()

    texts = texts or load_texts()
    disk = DiskPool(storage)
    health = StorageHealth()
    outbox = Outbox(app.bot, disk, texts, retry_delays or RETRY_DELAYS)
    outbox.on_save_failed = health.failed
    conversation_ref: list[Turns] = []

    async def fire(user_id: int) -> None:
        await conversation_ref[0].fire_reminder(user_id)

    scheduler = Scheduler(app.job_queue, fire)
    conversation = Turns(dialogs, disk, outbox, texts, scheduler, clock=clock, health=health)
    conversation_ref.append(conversation)
    admin = Admin(conversation, texts, config.admin_ids, interviews)
    privacy = Privacy(conversation, texts, chart)
    handlers = Handlers(conversation, config, texts, admin, privacy)
    if progress_after is not None:
        handlers.progress_after = progress_after
    handlers.register(app)
    intake = Intake(app, disk, poll_timeout=poll_timeout or POLL_TIMEOUT, health=health)
    app.add_error_handler(_log_error)
    app.bot_data["backcare"] = BotRuntime(
        config, storage, disk, texts, outbox, health, scheduler, conversation, handlers, intake
    )
    return app


# seconds between attempts at start (about a minute in all, then a service manager's turn)
START_RETRIES = (0.5, 1.0, 2.0, 4.0) + (5.0,) * 10


async def _patiently(call: Callable[[], Awaitable[Any]], what: str) -> None:
    """``call()``, again after a network error or a 5xx (with back-off, then give up)."""
    for delay in (*START_RETRIES, None):
        try:
            await call()
            return
        except (InvalidToken, Forbidden, BadRequest):  # retrying cannot help
            raise
        except (NetworkError, RetryAfter) as exc:
            if delay is None:
                raise
            log.warning("%s failed (%s); trying again in %.0f s", what, exc, delay)
            await asyncio.sleep(delay)


async def _log_error(update: object, context: Any) -> None:
    user = getattr(getattr(update, "effective_user", None), "id", None)
    log.error("unhandled error for %s", pseudonym(user) if user else "-", exc_info=context.error)


class BotRunner:
    """Start and stop an Application built by :func:`build_application`."""

    def __init__(
        self,
        app: Application,
        *,
        analysis: Any | None = None,
        ops_address: tuple[str, int] | None = None,
    ) -> None:
        """analysis: the pipeline, for /readyz; ops_address: where polling mode serves
        /healthz, /readyz and /metrics (None: nowhere; webhook mode serves them always)."""
        self.app = app
        self.rt: BotRuntime = app.bot_data["backcare"]
        self.webhook: WebhookServer | None = None
        self._poller: asyncio.Task | None = None
        self._stopping = False
        self.ops = Ops(self.storage_ok, self.intake_running, analysis)
        self.ops_address = ops_address

    def storage_ok(self) -> bool:
        """Saving works (no failure episode), and the storage answers if it can be asked."""
        ping = getattr(self.rt.storage, "ping", None)
        return not self.rt.health.failing and (ping is None or bool(ping()))

    def intake_running(self) -> bool:
        """Updates can come in: the webhook server is up, or polling goes on."""
        if self.webhook is not None:
            return self.webhook.running
        return self._poller is not None and not self._poller.done()

    async def start(self) -> None:
        app, rt = self.app, self.rt
        # Telegram answering 5xx, or not at all, for a moment is no reason not to start
        await _patiently(self._connect, "connecting to Telegram")
        await app.start()
        await self._set_commands()
        # what the last run left: reminders into the JobQueue, replies, unhandled updates
        moved = rt.scheduler.restore(await rt.disk(rt.storage.reminders), rt.conversation.clock())
        for reminder in moved:
            await rt.disk(rt.storage.put_reminder, reminder)
        jobs = app.job_queue
        if jobs is None:  # only without python-telegram-bot's job-queue extra, a dependency
            raise RuntimeError("python-telegram-bot[job-queue] is not installed")
        jobs.run_repeating(
            self._retry_pending,
            interval=RETRY_PENDING_EVERY,
            first=RETRY_PENDING_EVERY,
            name="outbox-retry",
        )
        jobs.run_repeating(self._purge, interval=retention.EVERY, first=60.0, name="retention")
        await rt.conversation.flush_all()
        await rt.intake.replay()
        await self.ops.start()
        if rt.config.mode == "webhook":
            assert rt.config.webhook_secret is not None  # BotConfig requires it for a webhook
            self.webhook = WebhookServer(
                rt.intake,
                rt.config.webhook_path,
                rt.config.webhook_secret,
                rt.config.webhook_listen,
                rt.config.webhook_port,
                ops=self.ops,
            )
            await self.webhook.start()
            webhook_url = rt.config.webhook_url
            await _patiently(
                lambda: app.bot.set_webhook(
                    webhook_url,
                    secret_token=rt.config.webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    max_connections=40,
                ),
                "setting the webhook",
            )
        else:
            await _patiently(
                lambda: app.bot.delete_webhook(drop_pending_updates=False), "removing a webhook"
            )
            self._poller = asyncio.create_task(rt.intake.poll(), name="backcare-polling")
            if self.ops_address is not None:
                try:
                    await self.ops.serve(*self.ops_address)
                except OSError as exc:  # the port is taken: patients still get answers
                    log.error("health and metrics not served on %s:%s: %s", *self.ops_address, exc)
        log.info("bot running (%s)", rt.config.mode)

    async def _connect(self) -> None:
        try:
            await self.app.initialize()  # asks Telegram who the bot is (getMe)
        except Exception:
            # PTB counts its bot as initialised before that first request: undo, so the
            # next attempt asks again
            with contextlib.suppress(Exception):
                await self.app.bot.shutdown()
            raise

    async def _retry_pending(self, context: Any) -> None:
        if not self._stopping:
            await self.rt.conversation.flush_all()

    async def _purge(self, context: Any) -> None:
        rules = retention.Retention.of(self.rt.conversation.dialogs)
        users, photos = await retention.purge(
            self.rt.conversation, rules, self.rt.conversation.clock()
        )
        if users or photos:
            log.info("retention: %d user(s) erased, %d photo(s) deleted", users, photos)

    async def _set_commands(self) -> None:
        """Telegram's command menu, from the command registry, in every language (the
        first one is the default for every other language), in the words of the help text:
        the catalogue the dialogs speak from."""
        texts = getattr(self.rt.conversation.dialogs, "texts", None) or default_dialog_texts()
        try:
            for language in LANGUAGES:
                commands = [BotCommand(c, texts.get(f"commands.{c}", language)) for c in MENU]
                await self.app.bot.set_my_commands(
                    commands, language_code=None if language == LANGUAGES[0] else language
                )
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)

    async def stop(self) -> None:
        """Bounded: take no more updates, give the turns in flight ``stop_grace`` seconds,
        leave the rest in the inbox and outbox (saved) for the next start."""
        rt = self.rt
        grace = rt.config.stop_grace
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace

        def left(cap: float = float("inf")) -> float:
            return max(0.0, min(cap, deadline - loop.time()))

        self._stopping = True
        rt.conversation.closing = True  # queued updates start no turn: they stay in the inbox
        if self.webhook is not None:
            await self.webhook.stop()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            # what is saved is confirmed; if this fails, Telegram offers it again (recognised)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rt.intake.confirm(), left(2.0))
        try:
            await asyncio.wait_for(rt.conversation.wait_idle(), left())
        except TimeoutError:
            cancelled = await rt.conversation.cancel_running()
            log.warning(
                "stop: %d turn(s) still running after %.0f s were cancelled; their updates "
                "stay in the inbox and are handled at the next start",
                cancelled,
                grace,
            )
        await self.app.stop()  # queued updates return at once (closing); waits for jobs
        await rt.outbox.wait_tidy(timeout=left(2.0))
        if left() > 0:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(rt.conversation.flush_all(), timeout=left())
        await self.app.shutdown()
        await self.ops.stop()
        rt.disk.close()
        log.info("bot stopped")


# PTB prints every update it handles in full (messages, names, ids) at DEBUG
WHOLE_UPDATES = ("telegram.ext.Application", "telegram.ext.Updater")


def setup_logging(level: str | None = None) -> None:
    """backcare.kernel.logs.setup (the bot logs at INFO unless told otherwise; other libraries at
    WARNING unless the level is DEBUG), with PTB's loggers that print whole updates held at
    INFO even at DEBUG: patients' words never go into the logs. Without ``level``, the one
    the command line set (``backcare --log-level``), else BACKCARE_LOG_LEVEL, else INFO."""
    from backcare.kernel import logs

    logs.setup(level or logs.LEVEL)
    for name in WHOLE_UPDATES:
        logger = logging.getLogger(name)
        logger.setLevel(logging.NOTSET)  # from its parents as just set, not a level set before
        logger.setLevel(max(logging.INFO, logger.getEffectiveLevel()))


__all__ = ["DB_FILE", "BotRunner", "BotRuntime", "build_application", "setup_logging"]
