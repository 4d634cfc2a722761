"""Updates in: which kind of turn each update is, and the event it becomes.

Routing is python-telegram-bot's own handlers (``register``), behind the durable
intake (bot/intake.py puts saved updates on the application's queue): a gate first
(private chats with people, not while stopping), then one handler per kind of
update, the last taking whatever is left, so that every update ends as a turn
or is acknowledged in the inbox. Commands the adapter owns (those of the command
registry run by the adapter, bot/dialogs/commands.py, and admin commands for
admins) are handled here; everything else becomes a dialog ``Event``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from backcare.bot import ratelimit
from backcare.bot.admin import Admin
from backcare.bot.config import BotConfig
from backcare.bot.dialogs.commands import ADAPTER_COMMANDS
from backcare.bot.dialogs.events import Event
from backcare.bot.dialogs.state import DialogState
from backcare.bot.messages import escape, parse_callback, replaces_pressed
from backcare.bot.outbox import links_only
from backcare.bot.photos import DownloadRefused, PhotoRef, Refusal, download, pick_photo
from backcare.bot.privacy import Privacy
from backcare.bot.turns import Turn, Turns
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


class _HasText(filters.MessageFilter):
    """Any text, an empty one included (filters.TEXT wants a non-empty one; an empty text
    is answered as a text, with the question asked again)."""

    def filter(self, message: Message) -> bool:
        return message.text is not None


ACTION_EVERY = 4.5  # Telegram shows a chat action for about 5 s
ALBUM_MEMORY = 300.0  # seconds an album's progress message is remembered
PROGRESS_AFTER = 0.4  # seconds of analysis before a progress message is worth sending


TYPED = "typed"  # in the session: the patient's latest typed message and the question it answered


def _asked(state: DialogState | None) -> str | None:
    """The interview question waiting for an answer in ``state``, if any."""
    return state.asked() if state is not None else None


def _remember_typed(turn: Turn, message_id: int, question: str | None) -> None:
    turn.session = {k: v for k, v in turn.session.items() if k != TYPED}
    if question is not None:
        turn.session[TYPED] = {"message_id": message_id, "question": question}


def _sender(update: Update) -> tuple[User, Chat]:
    """The user and chat of an update that route() let through (it ignores the others)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    return user, chat


@dataclass
class _Progress:
    """The progress message's task and how to call it off while it still waits."""

    task: asyncio.Task[int | None]
    withdraw: Callable[[], None]


class Handlers:
    def __init__(
        self,
        conversation: Turns,
        config: BotConfig,
        texts: Catalogue,
        admin: Admin,
        privacy: Privacy,
    ) -> None:
        self.conv = conversation
        self.config = config
        self.texts = texts
        self.admin = admin
        self.privacy = privacy
        self._albums: dict[tuple[int, str], dict] = {}
        self._side_tasks: set[asyncio.Future[None]] = set()
        # the registry's commands run here, not by the dialogs (bot/dialogs/commands.py)
        self._own: dict[str, Callable[[Turn], Awaitable[None]]] = {
            "delete": self._turn(self.privacy.ask_delete),
            "export": self._export,
        }
        if set(self._own) != set(ADAPTER_COMMANDS):
            raise RuntimeError(
                f"the adapter runs {sorted(self._own)}, the registry gives it "
                f"{sorted(ADAPTER_COMMANDS)}"
            )
        self.progress_after = PROGRESS_AFTER

    def register(self, app: Application) -> None:
        message = filters.UpdateType.MESSAGE
        app.add_handler(TypeHandler(Update, self._gate), group=-1)
        for handler in (
            CallbackQueryHandler(self._on_callback),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE, self._on_edited),
            MessageHandler(message & filters.Regex(r"^/"), self._on_command),
            MessageHandler(message & _HasText(), self._on_text),
            MessageHandler(message & (filters.PHOTO | filters.Document.ALL), self._on_photo),
            MessageHandler(message, self._on_unsupported),
            TypeHandler(Update, self._on_other),  # reactions, member updates: nothing to answer
        ):
            app.add_handler(handler)

    # -- routing ------------------------------------------------------------------------------
    async def _gate(self, update: Update, context: Context) -> None:
        if self.conv.closing:
            # a stop began: the update stays in the inbox for the next start
            raise ApplicationHandlerStop
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or user.is_bot or chat.type != ChatType.PRIVATE:
            await self._ignore(update)
            raise ApplicationHandlerStop

    async def _on_callback(self, update: Update, context: Context) -> None:
        assert update.callback_query is not None
        await self._callback(update, update.callback_query)

    async def _on_edited(self, update: Update, context: Context) -> None:
        assert update.edited_message is not None
        await self._edited(update, update.edited_message)

    async def _on_command(self, update: Update, context: Context) -> None:
        assert update.message is not None and update.message.text is not None
        await self._command(update, update.message.text)

    async def _on_text(self, update: Update, context: Context) -> None:
        assert update.message is not None and update.message.text is not None
        await self._text(update, update.message.message_id, update.message.text)

    async def _on_photo(self, update: Update, context: Context) -> None:
        assert update.message is not None
        await self._photo(update, update.message)

    async def _on_unsupported(self, update: Update, context: Context) -> None:
        await self._run(update, self._turn(lambda turn: self._say(turn, "unsupported")))

    async def _on_other(self, update: Update, context: Context) -> None:
        await self._ignore(update)

    async def _ignore(self, update: Update) -> None:
        self.conv.storage.inbox_done(update.update_id, wait=False)

    async def _run(self, update: Update, work: Callable[[Turn], Awaitable[None]]) -> None:
        user, chat = _sender(update)
        await self.conv.run(user.id, chat.id, update.update_id, user.language_code, work)

    async def _dialog_turn(self, update: Update, event: Event) -> None:
        async def work(turn: Turn) -> None:
            await self.conv.dialog(turn, event)

        await self._run(update, work)

    def _say(self, turn: Turn, key: str, **values: object) -> None:
        self.conv.say(turn, self.texts.get(key, turn.language, **values))

    # -- typed answers and their edits --------------------------------------------------------
    async def _text(self, update: Update, message_id: int, text: str) -> None:
        user, _chat = _sender(update)
        event = Event(kind="text", text=text, language=user.language_code)

        async def work(turn: Turn) -> None:
            asked = _asked(self._state(turn))
            await self.conv.dialog(turn, event)
            _remember_typed(turn, message_id, asked)

        await self._run(update, work)

    def _state(self, turn: Turn) -> DialogState | None:
        if not turn.state_loaded:
            turn.state = self.conv.stored_state(turn.user_id)
            turn.state_loaded = True
        return turn.state

    async def _edited(self, update: Update, message: Message) -> None:
        """An edited message: the edit of the patient's latest typed answer replaces that
        answer (the question is asked now, or it is the last one answered: one step back,
        then the edit as the answer); any other edit is answered with how to change an
        answer (Back), never ignored without a word."""
        user, _chat = _sender(update)
        text = message.text if message.text and not message.text.startswith("/") else None

        async def work(turn: Turn) -> None:
            state = self._state(turn)
            typed = turn.session.get(TYPED) or {}
            asked = typed.get("question") if typed.get("message_id") == message.message_id else None
            in_interview = state is not None and state.step == "interview"
            if text is None or not asked or state is None or not in_interview:
                self._say(turn, "edit_old")
                return
            event = Event(kind="text", text=text, language=user.language_code)
            if state.asked() != asked:
                if state.last_answered() != asked:
                    self._say(turn, "edit_old")
                    return
                # the latest answer: one question back (its replies are not shown), then the
                # edited text answers it again
                saved, _ = await self.conv.dialogs.handle(
                    state, Event(kind="command", text="back", language=user.language_code)
                )
                back = DialogState.from_json(saved)
                if _asked(back) != asked:
                    self._say(turn, "edit_old")
                    return
                turn.state = back
            log.info("edited answer of %s applied", pseudonym(turn.user_id))
            self._say(turn, "edit_applied")
            await self.conv.dialog(turn, event)
            _remember_typed(turn, message.message_id, asked)

        await self._run(update, work)

    # -- commands -----------------------------------------------------------------------------
    async def _command(self, update: Update, text: str) -> None:
        head, _, rest = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        args = rest.strip() or None
        user, _chat = _sender(update)
        if name == "start":
            await self._dialog_turn(
                update, Event(kind="start", text=args, language=user.language_code)
            )
        elif name in self._own:
            await self._run(update, self._own[name])
        elif self.admin.allowed(user.id, name):
            await self._run(update, lambda turn: self.admin.handle(turn, name))
        else:
            # /admin_* from anyone else lands here too: the dialogs' answer to any unknown command
            await self._dialog_turn(
                update, Event(kind="command", text=name, data=args, language=user.language_code)
            )

    async def _export(self, turn: Turn) -> None:
        async with self.acting(turn.chat_id, ChatAction.UPLOAD_DOCUMENT):
            await self.privacy.export(turn)

    @staticmethod
    def _turn(fn: Callable[[Turn], object]) -> Callable[[Turn], Awaitable[None]]:
        async def work(turn: Turn) -> None:
            fn(turn)

        return work

    # -- buttons ------------------------------------------------------------------------------
    async def _callback(self, update: Update, query: CallbackQuery) -> None:
        parsed = parse_callback(query.data)
        user, _chat = _sender(update)
        user_id = user.id
        # Answer at once (the button's spinner), judged on the session as it is now;
        # the turn below decides again under the user's lock. Answered beside the turn, not
        # awaited before it: a slow answer would let the user's next press overtake this one
        # on its way to their lock (a tick lost behind a quick "Done").
        session = self.conv.storage.get_session(user_id)
        live = parsed is not None and self._button(session, *parsed) is not None
        self._beside(
            self._answer(
                query,
                None
                if live
                else self.texts.get(
                    "button_expired", session.get("language") or user.language_code
                ),
            )
        )
        if parsed is None or not live:
            log.info("stale or unknown button from %s", pseudonym(user_id))
            await self._ignore(update)
            return
        token, index = parsed
        message_id = query.message.message_id if query.message else None
        question = getattr(query.message, "text", None) or ""

        async def work(turn: Turn) -> None:
            button = self._button(turn.session, token, index)
            if button is None:
                return
            owner, value, multi, label = button
            if owner == "delete":
                self.privacy.answer_delete(turn, index, message_id)
                return
            event = Event(kind="choice", data=value, language=user.language_code)
            replies = await self.conv.dialog(
                turn, event, edit_message_id=message_id, pressed_token=token
            )
            if message_id is None or not question or (replies and replaces_pressed(replies[0])):
                return
            markup = getattr(query.message, "reply_markup", None)  # a message with text
            keep = links_only(markup.to_dict()) if markup is not None else None
            if not multi:
                # show the answer under the question and take its answer buttons away
                text = f"{escape(question)}\n\n✓ {escape(label)}"
            else:
                # the multi-select is over: its buttons go, the ticked answers stay in view
                # (as the keyboard last stood: the pressed message may predate its last tick)
                labels = turn.session.get("keyboards", {}).get(token, {}).get("labels") or []
                ticked = [label[1:].strip() for label in labels if label.startswith("✓")]
                text = (
                    f"{escape(question)}\n\n✓ {escape(', '.join(ticked))}"
                    if ticked
                    else escape(question)
                )
            turn.tail.append(
                {"kind": "edit", "message_id": message_id, "markup": keep, "text": text}
            )

        await self._run(update, work)

    @staticmethod
    def _button(session: dict, token: str, index: int) -> tuple[str, str, bool, str] | None:
        """(owner, value, multi, label) of a live button, or None for stale or forged data."""
        if token == session.get("confirm_delete") and index in (0, 1):
            return ("delete", "", False, "")
        entry = session.get("keyboards", {}).get(token)
        if entry is None or not 0 <= index < len(entry["values"]):
            return None
        labels = entry.get("labels") or []
        label = labels[index] if index < len(labels) else ""
        return ("dialog", entry["values"][index], bool(entry.get("multi")), label)

    def _beside(self, work: Awaitable[None]) -> None:
        """Run ``work`` (best effort: it logs its own failures) beside the turns."""
        task = asyncio.ensure_future(work)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _answer(self, query: CallbackQuery, text: str | None) -> None:
        try:
            await query.answer(text=text)
        except TelegramError as exc:  # too late or network: the button just spins a while
            log.info("callback answer failed: %s", exc)
        except Exception as exc:  # e.g. the bot stopping meanwhile (it runs beside the turn)
            log.info("callback answer not sent: %r", exc)

    # -- photos -------------------------------------------------------------------------------
    async def _photo(self, update: Update, message: Message) -> None:
        user, _chat = _sender(update)
        picked = pick_photo(message, self.config.max_photo_bytes)

        async def work(turn: Turn) -> None:
            turn.urgent = False  # the chat action says we are on it; text answers go first
            if isinstance(picked, Refusal):
                self._say(turn, picked.key, **picked.values)
                return
            progress = self._progress_start(turn, picked)
            ok = False
            try:
                async with self.acting(turn.chat_id, ChatAction.UPLOAD_PHOTO):
                    try:
                        data = await download(self.conv.bot, picked, self.config.max_photo_bytes)
                    except DownloadRefused as exc:
                        self._say(turn, exc.refusal.key, **exc.refusal.values)
                        return
                    replies = await self.conv.dialog(
                        turn,
                        Event(
                            kind="photo",
                            photo=data,
                            filename=picked.filename,
                            language=user.language_code,
                        ),
                    )
                    await self._keep_photo(turn, picked, data)
                    ok = not any(r.meta.get("analysis_failed") for r in replies)
            finally:
                await self._progress_end(turn, picked, progress, ok)

        await self._run(update, work)

    async def _keep_photo(self, turn: Turn, picked: PhotoRef, data: bytes) -> None:
        """Only with the service configured to offer it AND the patient's consent."""
        if self.config.keep_photos and turn.state is not None and turn.state.keeps_photos():
            name = f"{int(time.time())}-{picked.filename}"
            await self.conv.disk(self.conv.storage.save_photo, turn.user_id, name, data)

    def _progress_start(self, turn: Turn, picked: PhotoRef) -> _Progress:
        """A progress message if the analysis takes a while (one per album, edited as its
        photos go through). Runs beside the analysis; never delays it."""
        self._forget_old_albums()
        key = (turn.user_id, picked.media_group_id) if picked.media_group_id else None
        album = self._albums.get(key) if key else None
        if key and album is None:
            album = self._albums[key] = {
                "message_id": None,
                "n": 0,
                "t": time.monotonic(),
                "done": 0,
            }
        if album is not None:
            album["n"] += 1
        lang, bot = turn.language, self.conv.bot
        withdrawn = asyncio.Event()

        async def show() -> int | None:
            try:
                await asyncio.wait_for(withdrawn.wait(), self.progress_after)
                return None  # the analysis was quicker: no message needed
            except TimeoutError:
                pass
            rl = ratelimit.args(ratelimit.PROGRESS, cancel=withdrawn)
            if album is not None:
                text = escape(self.texts.get("analysing_album", lang, n=album["n"]))
                if album["message_id"] is not None:
                    await bot.edit_message_text(
                        text,
                        chat_id=turn.chat_id,
                        message_id=album["message_id"],
                        parse_mode=ParseMode.HTML,
                        rate_limit_args=rl,
                    )
                    return album["message_id"]
            else:
                text = escape(self.texts.get("analysing", lang))
            sent = await bot.send_message(
                turn.chat_id, text, parse_mode=ParseMode.HTML, rate_limit_args=rl
            )
            if album is not None:
                album["message_id"] = sent.message_id
            return sent.message_id

        return _Progress(asyncio.create_task(show()), withdrawn.set)

    async def _progress_end(
        self, turn: Turn, picked: PhotoRef, progress: _Progress, ok: bool
    ) -> None:
        album = (
            self._albums.get((turn.user_id, picked.media_group_id))
            if picked.media_group_id
            else None
        )
        if album is not None and ok:
            album["done"] += 1
        # Withdraw the progress message if it is still waiting (for its moment or for a slot);
        # one already on its way is awaited, so it is always edited, never left behind.
        progress.withdraw()
        message_id = None
        try:
            message_id = await progress.task
        except TelegramError as exc:
            if not isinstance(exc, ratelimit.Dropped):
                log.info("progress message failed: %s", exc)
        if album is not None:
            message_id = album["message_id"]
        if message_id is None:
            return
        lang = turn.language
        if album is not None and album["done"] > 1:
            text = self.texts.get("analysed_album", lang, n=album["done"])
        elif ok or (album is not None and album["done"]):
            text = self.texts.get("analysed", lang)
        else:  # the analysis failed, or the turn did: the message after this one says why
            text = self.texts.get("not_analysed", lang)
        try:
            await self.conv.bot.edit_message_text(
                escape(text),
                chat_id=turn.chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                rate_limit_args=ratelimit.args(ratelimit.PROGRESS),
            )
        except TelegramError as exc:
            log.info("progress edit failed: %s", exc)

    def _forget_old_albums(self) -> None:
        now = time.monotonic()
        for key in [k for k, v in self._albums.items() if now - v["t"] > ALBUM_MEMORY]:
            del self._albums[key]

    @contextlib.asynccontextmanager
    async def acting(self, chat_id: int, action: str) -> AsyncIterator[None]:
        """Keep "uploading photo…" (or another action) showing while the work runs."""
        done = asyncio.Event()

        async def keep() -> None:
            while True:
                with contextlib.suppress(TelegramError):  # only a courtesy: never fails the work
                    await self.conv.bot.send_chat_action(
                        chat_id,
                        action,
                        rate_limit_args=ratelimit.args(ratelimit.TIDY, drop_after=1.0),
                    )
                try:
                    await asyncio.wait_for(done.wait(), ACTION_EVERY)
                    return
                except TimeoutError:
                    continue

        # the first action goes out alongside the work, never in front of it
        task = asyncio.create_task(keep())
        try:
            yield
        finally:
            done.set()
            await task
