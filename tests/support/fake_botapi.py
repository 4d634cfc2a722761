"""A local Telegram Bot API server for tests and benchmarks (aiohttp on 127.0.0.1).

The real ``telegram.ext.Application`` talks to it through ``base_url`` and
``base_file_url``; tests play the users' side (send text, press buttons, send
photos, documents and albums) and read what the bot sent. It speaks the part of
the Bot API the bot uses, answers like Telegram does (``{"ok": true, "result": ...}``,
errors with ``error_code`` and ``parameters.retry_after``) and can be told to
misbehave: 429 with retry_after, 5xx, slow replies, dropped connections.

    async with FakeBotApi() as api:
        app = build_application(config_for(api), ...)
        alice = api.user(1001, "Alice")
        api.send_text(alice, "/start")
        reply = await api.wait_for_message(alice.id)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from backcare.bot.intake import user_of

TOKEN = "123456789:TEST-token_for_the_fake_bot_api"
BOT_ID = 123456789
BOT_USERNAME = "backcare_test_bot"
FILE_SIZE_LIMIT = 20 * 1024 * 1024  # what bots may download through getFile

# Parameters whose value is a string even when it looks like JSON ("42", "true").
_STRING_PARAMS = {
    "text",
    "caption",
    "callback_query_id",
    "file_id",
    "url",
    "secret_token",
    "parse_mode",
    "action",
    "description",
    "short_description",
    "filename",
}


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str = "Test"
    language_code: str = "en"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict
    files: dict[str, tuple[str, bytes]]
    time: float
    status: int = 200  # HTTP status answered; 0 when the connection was dropped
    answered: float | None = None  # when the answer left (time.monotonic()), if it did


@dataclass
class Sent:
    """A message the bot sent (or last edited) in a chat, as the user sees it."""

    message_id: int
    chat_id: int
    kind: str  # text | photo | document
    text: str = ""  # text or caption, with the HTML the bot sent
    parse_mode: str | None = None
    reply_markup: dict | None = None
    data: bytes | None = None  # photo or document bytes
    filename: str | None = None
    media_group_id: str | None = None
    time: float = 0.0
    sender: str | None = None  # which client sent it, when it used a client_urls() pair
    edits: int = 0
    edited_at: float = 0.0
    sent_markup: dict | None = None  # reply_markup as first sent (edits change reply_markup)

    @property
    def buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b for row in rows for b in row]

    @property
    def labels(self) -> list[str]:
        return [b["text"] for b in self.buttons]

    def button(self, label: str) -> dict:
        for b in self.buttons:
            if b["text"] == label:
                return b
        raise KeyError(f"no button {label!r} in {self.labels}")

    @property
    def plain(self) -> str:
        """The text as shown (HTML entities decoded, tags removed)."""
        import html
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.text))


@dataclass
class Fault:
    """Misbehave on the next ``times`` calls of ``method`` ("*" for any)."""

    method: str = "*"
    status: int = 500  # 429, 500, 502, ...; 0 = drop the connection
    retry_after: int = 1
    delay: float = 0.0  # seconds to wait before answering (or failing)
    times: int = 1
    after: int = 0  # let this many matching calls through first

    def matches(self, method: str) -> bool:
        return self.times > 0 and self.method in ("*", method)


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    size: int  # what Telegram reports (may be set larger than data to fake a huge file)
    path: str


class FakeBotApi:
    def __init__(self, token: str = TOKEN, host: str = "127.0.0.1", long_poll_cap: float = 1.0):
        self.token = token
        self.host = host
        self.port = 0
        self.long_poll_cap = long_poll_cap  # keeps test shutdowns quick
        self.calls: list[Call] = []
        self.sent: dict[int, list[Sent]] = {}  # chat id -> messages the bot sent
        self.faults: list[Fault] = []
        self.files: dict[str, StoredFile] = {}
        self.answered_callbacks: list[dict] = []
        self.commands: list[dict] = []
        self.webhook: dict | None = None
        self.webhook_deliveries: list[int] = []  # HTTP statuses the webhook answered
        self.delivered_at: dict[int, float] = {}  # update id -> when the bot first got it
        self._updates: list[dict] = []  # not yet confirmed by an offset
        self._confirmed = 0  # every update_id below this is confirmed
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._tick = asyncio.Event()  # replaced (after being set) on every change
        self._chat_ticks: dict[int, asyncio.Event] = {}  # the same, per chat (cheap waits)
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task | None = None
        self._wake_delivery = asyncio.Event()
        self._posting: set[int | None] = set()  # users with an update being POSTed
        self._client: ClientSession | None = None
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # the same, with the client named in the address (client_urls)
        app.router.add_route("*", "/as/{client}/bot{token}/{method}", self._api)
        app.router.add_get("/as/{client}/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port the system picked
        return self

    async def close(self) -> None:
        self._closing = True
        self._notify()  # long polls return at once
        if self._webhook_task:
            self._webhook_task.cancel()
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def client_urls(self, client: str) -> tuple[str, str]:
        """(base_url, file_url) for one of several bot processes: what it sends is
        recorded with ``Sent.sender == client``. Tells who sent a message where its time
        cannot: a request the server reads late (its event loop busy) may come from a
        process that has died since."""
        root = f"http://{self.host}:{self.port}/as/{client}"
        return f"{root}/bot", f"{root}/file/bot"

    # -- the users' side ---------------------------------------------------------------
    def user(self, user_id: int, first_name: str = "Test", language_code: str = "en") -> FakeUser:
        return FakeUser(user_id, first_name, language_code)

    def _message(self, user: FakeUser, **content: Any) -> dict:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.to_dict(),
            **content,
        }

    def push_update(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._notify()
        if self.webhook:
            self._start_webhook_delivery()
        return update

    def number_updates_from(self, first: int) -> None:
        """Number the next updates from ``first`` on, as Telegram does after a week without
        updates ("the identifier of the next update will be chosen randomly")."""
        self._update_ids = itertools.count(first)

    def redeliver(self, update: dict) -> None:
        """Offer an update again, as Telegram does when it is not sure it was received."""
        self._updates.append(dict(update))
        self._notify()
        if self.webhook:
            self._start_webhook_delivery()

    def send_text(self, user: FakeUser, text: str) -> dict:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": self._message(user, **content)})

    def edit_text(self, sent_update: dict, text: str) -> dict:
        """The user edits a message they sent (``sent_update`` as send_text returned it)."""
        message = {**sent_update["message"], "text": text, "edit_date": int(time.time())}
        message.pop("entities", None)
        return self.push_update({"edited_message": message})

    def add_file(self, data: bytes, size: int | None = None, suffix: str = "jpg") -> StoredFile:
        unique = secrets.token_hex(6)
        stored = StoredFile(
            file_id=f"file-{unique}",
            unique_id=unique,
            data=data,
            size=len(data) if size is None else size,
            path=f"photos/{unique}.{suffix}",
        )
        self.files[stored.file_id] = stored
        return stored

    def send_photo(
        self,
        user: FakeUser,
        data: bytes,
        caption: str | None = None,
        media_group_id: str | None = None,
        size: int | None = None,
    ) -> dict:
        """A compressed photo: Telegram offers a thumbnail and the full size."""
        full = self.add_file(data, size)
        thumb = self.add_file(data[: max(1, len(data) // 10)])
        sizes = [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.unique_id,
                "width": 90,
                "height": 60,
                "file_size": thumb.size,
            },
            {
                "file_id": full.file_id,
                "file_unique_id": full.unique_id,
                "width": 1280,
                "height": 853,
                "file_size": full.size,
            },
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self.push_update({"message": self._message(user, **content)})

    def send_album(self, user: FakeUser, photos: list[bytes]) -> list[dict]:
        group = secrets.token_hex(8)
        return [self.send_photo(user, data, media_group_id=group) for data in photos]

    def send_document(
        self,
        user: FakeUser,
        data: bytes,
        filename: str,
        mime_type: str = "image/jpeg",
        size: int | None = None,
    ) -> dict:
        stored = self.add_file(data, size, suffix=filename.rsplit(".", 1)[-1] or "bin")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": stored.size,
        }
        return self.push_update({"message": self._message(user, document=document)})

    def send_sticker(self, user: FakeUser) -> dict:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        return self.push_update({"message": self._message(user, sticker=sticker)})

    def press(
        self, user: FakeUser, message: Sent, label: str | None = None, data: str | None = None
    ) -> dict:
        """Press a button of ``message`` by its label, or send any callback data (forgery)."""
        if data is None:
            if label is None:
                raise ValueError("press a button by its label, or give the callback data")
            data = message.button(label)["callback_data"]
        bot_message = {
            "message_id": message.message_id,
            "date": int(message.time),
            "chat": {"id": message.chat_id, "type": "private"},
            "from": self.me(),
            "text": message.text,
        }
        if message.reply_markup:
            bot_message["reply_markup"] = message.reply_markup
        query = {
            "id": secrets.token_hex(8),
            "from": user.to_dict(),
            "message": bot_message,
            "chat_instance": str(user.id),
            "data": data,
        }
        return self.push_update({"callback_query": query})

    # -- what the bot sent ---------------------------------------------------------------
    def messages(self, chat_id: int) -> list[Sent]:
        return list(self.sent.get(chat_id, []))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (through a later getUpdates offset)."""
        return len(self._updates)

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``condition()`` is truthy (re-checked whenever the bot calls the server)."""

        async def waiter() -> Any:
            while not (result := condition()):
                await self._tick.wait()
            return result

        return await asyncio.wait_for(waiter(), timeout)

    async def wait_in_chat(
        self, chat_id: int, condition: Callable[[], Any], timeout: float = 10.0
    ) -> Any:
        """Like :meth:`wait_for`, re-checked only when something happens in ``chat_id``
        (many simulated patients can wait at once without waking each other)."""

        async def waiter() -> Any:
            while not (result := condition()):
                await self._chat_ticks.setdefault(chat_id, asyncio.Event()).wait()
            return result

        return await asyncio.wait_for(waiter(), timeout)

    async def wait_for_message(
        self,
        chat_id: int,
        after: int = 0,
        timeout: float = 10.0,
        where: Callable[[Sent], bool] = lambda m: True,
    ) -> Sent:
        """The first message in ``chat_id`` with id above ``after`` that satisfies ``where``."""

        def found() -> Sent | None:
            return next(
                (m for m in self.sent.get(chat_id, []) if m.message_id > after and where(m)), None
            )

        return await self.wait_in_chat(chat_id, found, timeout)

    def _notify(self, chat_id: int | None = None) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()
        if chat_id is not None and chat_id in self._chat_ticks:
            self._chat_ticks.pop(chat_id).set()

    def me(self) -> dict:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "BackCare",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    # -- the server ----------------------------------------------------------------------
    @staticmethod
    def _value(name: str, raw: str | bytes) -> Any:
        if name in _STRING_PARAMS:
            return raw
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.method == "POST":
            if request.content_type == "application/json":
                params = await request.json()
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = (value.filename, value.file.read())
                    else:
                        params[name] = self._value(name, value)
        params.update({k: self._value(k, v) for k, v in request.query.items()})
        call = Call(method, params, files, time.monotonic())
        # a message counts as delivered when its request arrives, even when the answer to the
        # bot is then slow (a fault's delay): a bot killed while waiting for it has sent it
        _ARRIVED.set(time.time())
        _SENDER.set(request.match_info.get("client"))
        self.calls.append(call)
        self._notify()  # waiters see the call arrive, not only its answer

        # "*" faults spare getUpdates: polling has its own tests
        fault = next(
            (
                f
                for f in self.faults
                if f.matches(method) and (method != "getUpdates" or f.method == "getUpdates")
            ),
            None,
        )
        if fault is not None and fault.after > 0:
            fault.after -= 1
            fault = None
        if fault is not None:
            fault.times -= 1
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status == 0:
                call.status = 0  # what the bot saw: no answer at all
                assert request.transport is not None
                request.transport.abort()
                self._notify()
                raise asyncio.CancelledError  # aiohttp drops the request quietly
            if fault.status >= 400:
                call.status = fault.status
                self._notify()
                return self._error(fault.status, fault.retry_after)

        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            call.status = 404
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        try:
            result = await handler(params, files)
        except _ApiError as exc:
            call.status = exc.code
            self._notify()
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description},
                status=exc.code,
            )
        call.answered = time.monotonic()
        self._notify()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, retry_after: int) -> web.Response:
        if status == 429:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        return web.json_response(
            {"ok": False, "error_code": status, "description": "Internal Server Error"},
            status=status,
        )

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.Response(status=404)

    # -- methods ---------------------------------------------------------------------------
    async def _m_getMe(self, p: dict, f: dict) -> dict:
        return self.me()

    async def _m_getUpdates(self, p: dict, f: dict) -> list[dict]:
        if self.webhook:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        if offset:
            self._confirmed = max(self._confirmed, offset)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(p.get("limit") or 100)
        timeout = min(float(p.get("timeout") or 0), self.long_poll_cap)
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
            if ready or time.monotonic() >= deadline or self._closing:
                now = time.time()
                for update in ready:
                    self.delivered_at.setdefault(update["update_id"], now)
                return ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), deadline - time.monotonic())

    async def _m_getFile(self, p: dict, f: dict) -> dict:
        stored = self.files.get(p.get("file_id", ""))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if stored.size > FILE_SIZE_LIMIT:
            raise _ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    def _record(self, chat_id: int, **fields: Any) -> Sent:
        sent = Sent(
            message_id=next(self._message_ids),
            chat_id=chat_id,
            time=_ARRIVED.get(None) or time.time(),
            sender=_SENDER.get(None),
            **fields,
        )
        sent.sent_markup = sent.reply_markup
        self.sent.setdefault(chat_id, []).append(sent)
        self._notify(chat_id)
        return sent

    def _as_message(self, sent: Sent) -> dict:
        out: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(sent.time),
            "chat": {"id": sent.chat_id, "type": "private"},
            "from": self.me(),
        }
        if sent.kind == "text":
            out["text"] = self._plain(sent.text)
        else:
            if sent.text:
                out["caption"] = self._plain(sent.text)
            if sent.kind == "photo":
                out["photo"] = [
                    {
                        "file_id": f"sent-{sent.message_id}",
                        "file_unique_id": f"u{sent.message_id}",
                        "width": 100,
                        "height": 100,
                    }
                ]
            else:
                out["document"] = {
                    "file_id": f"sent-{sent.message_id}",
                    "file_unique_id": f"u{sent.message_id}",
                    "file_name": sent.filename or "file",
                }
        if sent.media_group_id:
            out["media_group_id"] = sent.media_group_id
        if sent.reply_markup:
            out["reply_markup"] = sent.reply_markup
        return out

    @staticmethod
    def _plain(text: str) -> str:
        import html
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", text))

    @staticmethod
    def _check_html(text: str, parse_mode: str | None) -> None:
        """Refuse HTML that Telegram would refuse: unknown tags or a bare '<' / '&'."""
        if parse_mode != "HTML":
            return
        import re

        allowed = {
            "b",
            "strong",
            "i",
            "em",
            "u",
            "ins",
            "s",
            "strike",
            "del",
            "a",
            "code",
            "pre",
            "tg-spoiler",
            "span",
            "blockquote",
        }
        for tag in re.findall(r"<\s*/?\s*([A-Za-z-]*)", text):
            if tag.lower() not in allowed:
                raise _ApiError(
                    400, f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"'
                )
        if re.search(r"&(?![A-Za-z]+;|#\d+;|#x[0-9A-Fa-f]+;)", text):
            raise _ApiError(400, "Bad Request: can't parse entities: bare ampersand")

    def _chat(self, p: dict) -> int:
        try:
            return int(p["chat_id"])
        except (KeyError, ValueError, TypeError):
            raise _ApiError(400, "Bad Request: chat_id is empty") from None

    async def _m_sendMessage(self, p: dict, f: dict) -> dict:
        text = str(p.get("text", ""))
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(self._plain(text)) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        self._check_html(text, p.get("parse_mode"))
        sent = self._record(
            self._chat(p),
            kind="text",
            text=text,
            parse_mode=p.get("parse_mode"),
            reply_markup=p.get("reply_markup"),
        )
        return self._as_message(sent)

    def _upload(self, value: Any, files: dict, name: str) -> bytes:
        if isinstance(value, str) and value.startswith("attach://"):
            return files[value[len("attach://") :]][1]
        if name in files:
            return files[name][1]
        if isinstance(value, str):  # a file_id sent again
            return b""
        raise _ApiError(400, f"Bad Request: there is no {name} in the request")

    def _caption(self, caption: Any, parse_mode: Any) -> str:
        caption = str(caption or "")
        if len(self._plain(caption)) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        self._check_html(caption, parse_mode)
        return caption

    async def _m_sendPhoto(self, p: dict, f: dict) -> dict:
        data = self._upload(p.get("photo"), f, "photo")
        sent = self._record(
            self._chat(p),
            kind="photo",
            data=data,
            text=self._caption(p.get("caption"), p.get("parse_mode")),
            parse_mode=p.get("parse_mode"),
            reply_markup=p.get("reply_markup"),
        )
        return self._as_message(sent)

    async def _m_sendDocument(self, p: dict, f: dict) -> dict:
        data = self._upload(p.get("document"), f, "document")
        filename = f["document"][0] if "document" in f else None
        sent = self._record(
            self._chat(p),
            kind="document",
            data=data,
            filename=filename,
            text=self._caption(p.get("caption"), p.get("parse_mode")),
            parse_mode=p.get("parse_mode"),
            reply_markup=p.get("reply_markup"),
        )
        return self._as_message(sent)

    async def _m_sendMediaGroup(self, p: dict, f: dict) -> list[dict]:
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _ApiError(400, "Bad Request: wrong number of media in the group (2-10)")
        chat = self._chat(p)
        group = secrets.token_hex(6)
        out = []
        for item in media:
            data = self._upload(item.get("media"), f, "media")
            sent = self._record(
                chat,
                kind=item.get("type", "photo"),
                data=data,
                text=self._caption(item.get("caption"), item.get("parse_mode")),
                parse_mode=item.get("parse_mode"),
                media_group_id=group,
            )
            out.append(self._as_message(sent))
        return out

    def _find(self, p: dict) -> Sent:
        chat, mid = self._chat(p), int(p.get("message_id", 0))
        for sent in self.sent.get(chat, []):
            if sent.message_id == mid:
                return sent
        raise _ApiError(400, "Bad Request: message to edit not found")

    async def _m_editMessageText(self, p: dict, f: dict) -> dict:
        sent = self._find(p)
        text = str(p.get("text", ""))
        self._check_html(text, p.get("parse_mode"))
        markup = p.get("reply_markup")
        if text == sent.text and markup == sent.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        sent.text, sent.reply_markup, sent.edits = text, markup, sent.edits + 1
        sent.edited_at = time.time()
        self._notify(sent.chat_id)
        return self._as_message(sent)

    async def _m_editMessageReplyMarkup(self, p: dict, f: dict) -> dict:
        sent = self._find(p)
        markup = p.get("reply_markup")
        if markup == sent.reply_markup:
            raise _ApiError(400, "Bad Request: message is not modified")
        sent.reply_markup, sent.edits = markup, sent.edits + 1
        sent.edited_at = time.time()
        self._notify(sent.chat_id)
        return self._as_message(sent)

    async def _m_deleteMessage(self, p: dict, f: dict) -> bool:
        sent = self._find(p)
        self.sent[sent.chat_id].remove(sent)
        return True

    async def _m_answerCallbackQuery(self, p: dict, f: dict) -> bool:
        self.answered_callbacks.append(p)
        return True

    async def _m_sendChatAction(self, p: dict, f: dict) -> bool:
        self._chat(p)
        return True

    async def _m_setMyCommands(self, p: dict, f: dict) -> bool:
        self.commands.append(p)
        return True

    async def _m_deleteMyCommands(self, p: dict, f: dict) -> bool:
        return True

    async def _m_setWebhook(self, p: dict, f: dict) -> bool:
        url = p.get("url") or ""
        self.webhook = (
            {
                "url": url,
                "secret_token": p.get("secret_token"),
                "max_connections": int(p.get("max_connections") or 40),
            }
            if url
            else None
        )
        if self.webhook and self._updates:
            self._start_webhook_delivery()
        return True

    async def _m_deleteWebhook(self, p: dict, f: dict) -> bool:
        self.webhook = None
        self._wake_delivery.set()
        if p.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        return True

    async def _m_getWebhookInfo(self, p: dict, f: dict) -> dict:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # -- webhook delivery: POST each update until the bot answers 200 (as Telegram retries) --
    # Up to the webhook's max_connections POSTs at once (Telegram's default 40), one per user
    # at a time so that a user's updates arrive in order; a refused one is offered again.
    def _start_webhook_delivery(self) -> None:
        self._wake_delivery.set()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver())

    async def _deliver(self) -> None:
        if self._client is None:
            self._client = ClientSession(timeout=ClientTimeout(total=10))
        posts: set[asyncio.Task] = set()
        try:
            while self.webhook and (self._updates or posts):
                self._wake_delivery.clear()
                limit = int(self.webhook.get("max_connections") or 40)
                for update in list(self._updates):
                    if len(posts) >= limit:
                        break
                    who = user_of(update)
                    if who in self._posting:
                        continue
                    self._posting.add(who)
                    task = asyncio.get_running_loop().create_task(self._post(update, who))
                    posts.add(task)
                    task.add_done_callback(lambda done: self._posted(posts, done))
                await self._wake_delivery.wait()
        finally:
            for task in posts:
                task.cancel()

    def _posted(self, posts: set[asyncio.Task], done: asyncio.Task) -> None:
        # the slot frees only once the task has ended: woken any earlier (from _post), the
        # loop could count posts that have all ended as a full set and sleep for good (at
        # the limit of 40 it did, and the updates behind them were never delivered)
        posts.discard(done)
        self._wake_delivery.set()

    async def _post(self, update: dict, who: int | None) -> None:
        assert self._client is not None
        webhook = self.webhook or {}
        headers = {}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        try:
            async with self._client.post(webhook["url"], json=update, headers=headers) as response:
                self.webhook_deliveries.append(response.status)
                ok = response.status == 200
        except Exception:
            self.webhook_deliveries.append(0)
            ok = False
        if ok:
            self._updates = [u for u in self._updates if u is not update]
            self._confirmed = max(self._confirmed, update["update_id"] + 1)
        else:
            await asyncio.sleep(0.2)
        self._posting.discard(who)  # the loop is woken once the task has ended (_posted)
        self._notify()


_ARRIVED: contextvars.ContextVar[float | None] = contextvars.ContextVar("arrived", default=None)
_SENDER: contextvars.ContextVar[str | None] = contextvars.ContextVar("sender", default=None)


class _ApiError(Exception):
    def __init__(self, code: int, description: str):
        self.code, self.description = code, description
