"""Updates in, durably: saved to the inbox before Telegram is told we have them.

Polling: an update is confirmed to Telegram (by the next getUpdates offset)
only after it is in the inbox; webhook: the 200 answer comes after the inbox
write, otherwise Telegram delivers again. The inbox entry goes in the same
transaction as the turn that handles it, so after a crash every update that
was not fully handled is handled again at start (``replay``), and a turn
already saved is recognised by its update id (bot.dedup).

When saving fails (a full disk), nothing is confirmed and nothing dropped:
polling waits with back-off (bot.health) before fetching again (a turn whose
own save fails tries again itself: bot.turns).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from backcare.bot.disk_pool import DiskPool
from backcare.bot.health import StorageHealth
from backcare.bot.ratelimit import retry_seconds
from backcare.bot.storage import StorageError


class Lease(Protocol):
    """The right to poll, when several replicas share one bot (bot/replicas.py's PollingLease)."""

    async def run(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work`` while holding the lease; stop it when the lease is lost."""
        ...


log = logging.getLogger(__name__)

# edits are taken so that an edited answer is answered (bot.handlers), never ignored silently
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
POLL_TIMEOUT = 30  # seconds of long polling
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _update_id(raw: dict) -> int | None:
    value = raw.get("update_id")
    return value if _is_int(value) else None


def user_of(raw: dict) -> int | None:
    for kind in ("message", "edited_message", "callback_query"):
        part = raw.get(kind)
        sender = (part.get("from") if isinstance(part, dict) else None) or {}
        if isinstance(sender, dict) and _is_int(sender.get("id")):
            return sender["id"]
    return None


def sanitized(value: Any) -> Any:
    """``value`` as a UTF-8 file can hold it: a lone surrogate (possible in JSON as
    "\\ud800") becomes U+FFFD, a non-finite number None. An update that could not be
    written would block the inbox, and with it every patient's updates, for good."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {sanitized(k): sanitized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitized(v) for v in value]
    return value


class Intake:
    def __init__(
        self,
        app: Application,
        disk: DiskPool,
        poll_timeout: int = POLL_TIMEOUT,
        health: StorageHealth | None = None,
    ) -> None:
        self.app = app
        self.disk = disk
        self.poll_timeout = poll_timeout
        self.health = health or StorageHealth()
        self.offset = 0
        self.received = 0
        # several replicas: only the holder of this lease polls (bot.replicas); None: always
        self.lease: Lease | None = None

    def _store(self, raws: Sequence[dict]) -> list[dict]:
        """Into the inbox in memory now; on disk by the time ``accept`` returns."""
        storage = self.disk.storage
        with storage.transaction(wait=False):
            return [
                raw
                for raw in raws
                if storage.inbox_add(int(raw["update_id"]), user_of(raw), raw, wait=False)
            ]

    def _parse(self, raws: Sequence[dict]) -> list[tuple[dict, Update]]:
        parsed = []
        for raw in raws:
            try:
                update = Update.de_json(raw, self.app.bot)
                for who in (update.effective_user, update.effective_chat):
                    if who is not None and not _is_int(who.id):
                        raise ValueError("a user or chat id that is not a number")
                parsed.append((raw, update))
            except Exception as exc:
                # its id and kind only: the content (and an error quoting it) is personal
                log.warning(
                    "unreadable update %s (%s) dropped: %s",
                    raw.get("update_id"),
                    ", ".join(sorted(str(k) for k in raw if k != "update_id")),
                    type(exc).__name__,
                )
        return parsed

    async def accept(self, raws: Sequence[dict]) -> int:
        """Save the updates; returns (how many were new) once they are on disk.

        Handling starts at once, while the inbox reaches the disk: a turn's own save
        waits for the same write (the store writes in order), so nothing is handled
        without its update being saved, and the caller confirms to Telegram only after.
        """
        parsed = self._parse([sanitized(raw) for raw in raws])
        fresh = self._store([raw for raw, _ in parsed])
        fresh_ids = {raw["update_id"] for raw in fresh}
        for raw, update in parsed:
            if raw["update_id"] in fresh_ids:
                await self.app.update_queue.put(update)
        try:
            await self.disk(self.disk.storage.sync)
        except StorageError as exc:
            self.health.failed(exc)
            raise
        self.health.saved()
        self.received += len(fresh)
        return len(fresh)

    async def replay(self) -> int:
        """Queue what a previous run saved but did not finish handling."""
        pending = await self.disk(self.disk.storage.inbox_pending)
        await self.requeue(pending)
        if pending:
            log.info("handling %d update(s) waiting in the inbox", len(pending))
        return len(pending)

    async def requeue(self, raws: Sequence[dict]) -> None:
        """Handle saved updates (again): one already handled is recognised (bot.dedup)."""
        for _, update in self._parse(raws):
            await self.app.update_queue.put(update)

    async def poll(self) -> None:
        """Long-poll getUpdates until cancelled (with a lease: only while holding it)."""
        if self.lease is None:
            await self._poll()
        else:
            await self.lease.run(self._poll)

    async def _poll(self) -> None:
        failures = 0
        while True:
            try:
                raws = await self._get_updates(self.offset, self.poll_timeout)
                failures = 0
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except InvalidToken:
                log.critical("Telegram refuses the bot token: stopping polling")
                raise
            except Conflict as exc:
                # another instance polls, or a webhook is set: wait rather than fight
                log.error("getUpdates conflict: %s", exc.message)
                await asyncio.sleep(BACKOFF[-1])
                continue
            except (NetworkError, TelegramError) as exc:
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            readable = [r for r in raws if isinstance(r, dict) and _update_id(r) is not None]
            if len(readable) < len(raws):
                log.warning("%d update(s) without an update id dropped", len(raws) - len(readable))
            if not readable:
                continue
            # Saved before the offset moves on: shielded so a stop cannot cut it in half.
            try:
                await asyncio.shield(self.accept(readable))
            except StorageError:
                # not saved: not confirmed either, so Telegram offers them again (a turn
                # already saved recognises its update by its id); logged once per episode
                await asyncio.sleep(self.health.next_delay())
                continue
            ids = [i for i in map(_update_id, readable) if i is not None]  # all, as read above
            self.offset = max(ids) + 1

    async def _get_updates(self, offset: int, timeout: int, limit: int = 100) -> list:
        """getUpdates as JSON, each update parsed on its own later (``accept``).

        PTB's get_updates parses the whole batch: one update it cannot read (a newer Bot
        API, a malformed one) fails every poll, so nobody is served again, and PTB logs
        the batch, patients' messages included."""
        bot = self.app.bot
        read_timeout = (bot._request[0].read_timeout or 0) + timeout
        result = await bot._post(
            "getUpdates",
            {
                "offset": offset,
                "timeout": timeout,
                "limit": limit,
                "allowed_updates": list(ALLOWED_UPDATES),
            },
            read_timeout=read_timeout,
        )
        return result if isinstance(result, list) else []

    async def confirm(self) -> None:
        """Tell Telegram what is saved (the offset), without waiting for more."""
        if not self.offset:
            return
        try:
            await self._get_updates(self.offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.warning(
                "could not confirm the last updates (they come again and are recognised): %s", exc
            )
