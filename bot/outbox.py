"""Sending what the dialogs said: saved first, sent in order, removed once Telegram has it.

A turn's replies are stored in the outbox in the same transaction as the new
dialog state, so a crash either loses both or keeps both; after a restart the
pending replies are sent before anything else for that user. An item's removal
is on disk before the next reply goes out, so only the reply whose own send
(request, Telegram's answer, its removal saved) was under way at a crash can
be sent twice. If that removal cannot be saved (a full disk), the item is
remembered as sent in memory and its removal retried, never sent again. Network errors and 5xx are retried with back-off;
429 waits retry_after; errors that retrying cannot fix (the user blocked the
bot, a message Telegram refuses) drop the item with a log line instead of
blocking the user's queue forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, InputMediaPhoto, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from backcare.bot import ratelimit
from backcare.bot.disk_pool import DiskPool
from backcare.bot.messages import escape
from backcare.bot.storage import OutboxItem, StorageError
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds between attempts after a network error or 5xx
MAX_RETRY_AFTER = 60.0  # longer 429 waits leave the item for the next flush
TIDY_WAIT = 30.0  # seconds an edit that only tidies up may wait for a slot


class Outbox:
    def __init__(
        self,
        bot: ExtBot[Any],  # the application's bot: rate_limit_args need its limiter
        disk: DiskPool,
        texts: Catalogue,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.disk = disk
        self.texts = texts
        self.retry_delays = retry_delays
        self.sleep = sleep
        self.blobs: dict[str, bytes] = {}  # picture and file bytes by key: memory only
        self.sent_count = 0
        # messages whose answer buttons are still on screen, per user (memory only: after a
        # restart old buttons stay visible, and pressing them says they are no longer active)
        self.live_buttons: dict[int, list[tuple[int, dict | None]]] = {}
        self._tidying: set[asyncio.Task] = set()
        self._unmarked: set[int] = set()  # sent, but their removal is not saved yet
        self.on_save_failed: Callable[[BaseException], None] = lambda exc: None

    # -- public ---------------------------------------------------------------------------
    async def flush(self, user_id: int, boost: int | None = None) -> bool:
        """Send the user's pending replies in order. False if one is still stuck (kept).

        boost: the priority the user's waiting gives to what is still queued before them.
        """
        items = self.disk.storage.pending(user_id)  # a memory read: no thread hop
        for item in items:
            if item.id in self._unmarked:  # Telegram has it: only its removal is missing
                if not await self._mark_sent(item.id):
                    return False
                continue
            if boost is not None and item.payload.get("prio", ratelimit.REPLY) > boost:
                item = OutboxItem(
                    item.id,
                    item.user_id,
                    item.chat_id,
                    {**item.payload, "prio": boost},
                    item.created,
                    item.attempts,
                )
            if not await self._deliver(item):
                return False
        return True

    def tidy(self, user_id: int, chat_id: int, payloads: list[dict]) -> None:
        """Best-effort edits (answered buttons away): sent beside the user's queue, never in
        front of or in the way of a reply, not saved (lost in a crash, nothing is missing)."""
        if not payloads:
            return
        task = asyncio.create_task(self.send_transient(user_id, chat_id, payloads))
        self._tidying.add(task)
        task.add_done_callback(self._tidying.discard)

    async def wait_tidy(self, timeout: float = 10.0) -> None:
        if self._tidying:
            await asyncio.wait(list(self._tidying), timeout=timeout)

    async def send_transient(self, user_id: int, chat_id: int, payloads: list[dict]) -> None:
        """Send without saving (after an erase nothing about the user may be written)."""
        for n, payload in enumerate(payloads):
            item = OutboxItem(
                id=-1 - n, user_id=user_id, chat_id=chat_id, payload=payload, created="", attempts=0
            )
            await self._deliver(item, durable=False)

    def forget_user(self, user_id: int) -> None:
        """Drop the in-memory pictures of a user whose data was erased."""
        prefix = f"{user_id}-"
        for key in [k for k in self.blobs if k.startswith(prefix)]:
            del self.blobs[key]

    # -- delivery -------------------------------------------------------------------------
    async def _deliver(self, item: OutboxItem, durable: bool = True) -> bool:
        delays = iter(self.retry_delays)
        while True:
            try:
                await self._send(item)
                break
            except ratelimit.Dropped:
                break
            except RetryAfter as exc:
                wait = ratelimit.retry_seconds(exc)
                if wait > MAX_RETRY_AFTER:
                    return await self._stuck(item, exc) if durable else False
                await self.sleep(wait + 0.1)
            except Forbidden as exc:  # blocked by the user, or the account is gone
                log.warning("dropping a reply to %s: %s", pseudonym(item.user_id), exc.message)
                break
            except BadRequest as exc:
                if "not modified" in exc.message:
                    break
                if item.payload["kind"] == "edit" and "not found" in exc.message:
                    item = OutboxItem(
                        item.id,
                        item.user_id,
                        item.chat_id,
                        {**item.payload, "kind": "text"},
                        item.created,
                        item.attempts,
                    )
                    continue
                log.error(
                    "Telegram refused a %s reply to %s: %s",
                    item.payload["kind"],
                    pseudonym(item.user_id),
                    exc.message,
                )
                break
            except NetworkError as exc:  # includes TimedOut and 5xx
                delay = next(delays, None)
                if delay is None:
                    return await self._stuck(item, exc) if durable else False
                log.info(
                    "network error sending to %s (%s); retrying in %.1fs",
                    pseudonym(item.user_id),
                    exc.message,
                    delay,
                )
                await self.sleep(delay)
            except TelegramError as exc:
                log.error("dropping a reply to %s: %r", pseudonym(item.user_id), exc)
                break
        self.sent_count += 1
        for key in _blob_keys(item.payload):
            self.blobs.pop(key, None)
        if durable:
            return await self._mark_sent(item.id)
        return True

    async def _mark_sent(self, item_id: int) -> bool:
        """The item's removal, on disk before the user's next reply goes out."""
        self._unmarked.add(item_id)
        try:
            await self.disk(self.disk.storage.mark_sent, item_id)
        except StorageError as exc:
            self.on_save_failed(exc)
            return False
        self._unmarked.discard(item_id)
        return True

    async def _stuck(self, item: OutboxItem, exc: Exception) -> bool:
        log.warning("reply to %s kept for later: %r", pseudonym(item.user_id), exc)
        try:
            self.disk.storage.note_attempt(item.id, wait=False)
        except StorageError:
            log.exception("could not count a send attempt")
        return False

    async def _send(self, item: OutboxItem) -> None:
        p, chat = item.payload, item.chat_id
        kind = p["kind"]
        prio = p.get("prio", ratelimit.REPLY)
        # tidying that could not go out within half a minute is not worth sending any more
        rl = ratelimit.args(prio, drop_after=TIDY_WAIT if prio == ratelimit.TIDY else None)
        markup = InlineKeyboardMarkup.de_json(p["markup"], self.bot) if p.get("markup") else None
        if kind == "text":
            sent = await self.bot.send_message(
                chat,
                p["text"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=rl,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            if p.get("markup") and _has_answer_buttons(p["markup"]):
                self.live_buttons.setdefault(item.user_id, []).append(
                    (sent.message_id, links_only(p["markup"]))
                )
        elif kind == "markup":
            await self.bot.edit_message_reply_markup(
                chat_id=chat, message_id=p["message_id"], reply_markup=markup, rate_limit_args=rl
            )
        elif kind == "edit":
            await self.bot.edit_message_text(
                p["text"],
                chat_id=chat,
                message_id=p["message_id"],
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=rl,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        elif kind == "photo":
            data = self.blobs.get(p["blob"])
            if data is None:
                await self._lost(item, p.get("caption", ""))
            else:
                await self.bot.send_photo(
                    chat,
                    data,
                    caption=p.get("caption") or None,
                    parse_mode=ParseMode.HTML,
                    rate_limit_args=rl,
                )
        elif kind == "album":
            present = [
                (self.blobs[i["blob"]], i["caption"]) for i in p["items"] if i["blob"] in self.blobs
            ]
            if len(present) < len(p["items"]):
                await self._lost(item, "")
            if len(present) == 1:
                await self.bot.send_photo(
                    chat,
                    present[0][0],
                    caption=present[0][1] or None,
                    parse_mode=ParseMode.HTML,
                    rate_limit_args=rl,
                )
            elif present:
                await self.bot.send_media_group(
                    chat,
                    [
                        InputMediaPhoto(data, caption=caption or None, parse_mode=ParseMode.HTML)
                        for data, caption in present
                    ],
                    rate_limit_args=rl,
                )
        elif kind == "document":
            data = self.blobs.get(p["blob"])
            if data is None:
                await self._lost(item, "")
            else:
                await self.bot.send_document(
                    chat,
                    InputFile(data, filename=p["filename"]),
                    caption=p.get("caption") or None,
                    parse_mode=ParseMode.HTML,
                    rate_limit_args=rl,
                )
        else:
            raise BadRequest(f"unknown outbox payload kind {kind!r}")

    async def _lost(self, item: OutboxItem, caption_html: str) -> None:
        """Pictures are not kept across a restart: say so instead of failing silently."""
        note = escape(self.texts.get("picture_lost", item.payload.get("lang")))
        text = f"{caption_html}\n{note}" if caption_html else note
        await self.bot.send_message(
            item.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            rate_limit_args=ratelimit.args(item.payload.get("prio", ratelimit.REPLY)),
        )


def _has_answer_buttons(markup: dict) -> bool:
    return any("callback_data" in b for row in markup.get("inline_keyboard", []) for b in row)


def links_only(markup: dict) -> dict | None:
    """The markup without its answer buttons (link buttons, e.g. videos, stay useful)."""
    rows = [[b for b in row if "url" in b] for row in markup.get("inline_keyboard", [])]
    rows = [row for row in rows if row]
    return {"inline_keyboard": rows} if rows else None


def _blob_keys(payload: dict) -> list[str]:
    if "blob" in payload:
        return [payload["blob"]]
    return [i["blob"] for i in payload.get("items", [])]
