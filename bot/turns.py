"""One turn per update: the user's lock, the dialogs, one atomic save, then sending.

A turn loads what it needs, lets the dialogs answer, and saves the new dialog
state, the adapter's session (last update handled, live buttons), the replies
(outbox), the reminder and the inbox acknowledgement in ONE storage
transaction. Only then are the replies sent. So a crash loses either the whole
turn (the update is still in the inbox and is handled again) or nothing (the
replies go out from the outbox after the restart), and an update delivered
twice is recognised by its id (bot.dedup: the ids the user's turns handled).

A turn that cannot be saved (a full disk) saves again with back-off, holding
the user's lock so their later updates wait behind it; the patient is told once
that their answer will be picked up (bot.health). On a stop, no new turn starts
(``closing``) and turns still running after the grace period are cancelled:
unsaved, so their updates stay in the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import ExtBot

from backcare.bot import dedup, ratelimit
from backcare.bot.dialogs.events import Event, Reply
from backcare.bot.dialogs.state import DialogState
from backcare.bot.disk_pool import DiskPool
from backcare.bot.health import StorageHealth
from backcare.bot.locks import UserLocks
from backcare.bot.messages import Rendered, escape, new_token, render, replaces_pressed
from backcare.bot.outbox import Outbox
from backcare.bot.storage import Reminder, StorageError, StorageWriteFailed, UserProfile, utc_now
from backcare.bot.storage.records import iso
from backcare.bot.texts import pick_language
from backcare.bot.timers import ReminderChange, Scheduler, change_for, next_due, timer_kind
from backcare.kernel import metrics
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class Turn:
    """What one update (or timer) does; collected, then saved in one transaction."""

    user_id: int
    chat_id: int
    update_id: int | None
    client_language: str | None
    session: dict
    state: DialogState | None = None  # the dialog state (bot/dialogs/state.py), once loaded
    state_loaded: bool = False
    state_changed: bool = False
    payloads: list[dict] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    keyboards: dict[str, dict] | None = None  # None: this turn did not ask the dialogs
    tail: list[dict] = field(default_factory=list)  # sent after the replies (tidying up)
    urgent: bool = True  # someone waits for the first reply (text, button), unlike photos, timers
    erase: bool = False
    assessments: list[dict] = field(default_factory=list)
    checkins: list[dict] = field(default_factory=list)
    # a timer's turn: the reminder with its next due time, saved with the turn's replies
    reminder_after: Reminder | None = None

    @property
    def language(self) -> str:
        return pick_language(
            self.state.language if self.state is not None else None,
            self.session.get("language"),
            self.client_language,
        )

    def add(self, rendered: Rendered) -> None:
        self.payloads += rendered.payloads
        self.blobs.update(rendered.blobs)

    def blob_prefix(self) -> str:
        # the user id first, so an erase can drop the user's pictures from memory
        return f"{self.user_id}-{uuid.uuid4().hex[:12]}"


def prioritised(turn: Turn) -> list[dict]:
    """The turn's replies: what a user just did is answered before photo results and timers."""
    prio = ratelimit.ANSWER if turn.urgent else ratelimit.REPLY
    return [{**p, "lang": turn.language, "prio": prio} for p in turn.payloads]


def tidying(turn: Turn) -> list[dict]:
    return [{**p, "lang": turn.language, "prio": ratelimit.TIDY} for p in turn.tail]


SLOW_TURN = 2.0  # seconds: a turn slower than this is logged with where its time went


class Stopwatch:
    """Where a turn's time goes (waiting for the user's lock, work, save, send)."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()
        self.laps: dict[str, float] = {}
        self.kind = "turn"

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.last
        self.last = now

    def report(self, user_id: int) -> None:
        total = time.monotonic() - self.start
        metrics.turn_done(self.kind, total)
        if total >= SLOW_TURN:
            log.warning(
                "slow %s for %s: %.0f ms (%s)",
                self.kind,
                pseudonym(user_id),
                total * 1000,
                ", ".join(f"{k} {v * 1000:.0f}" for k, v in self.laps.items()),
            )


class Turns:
    def __init__(
        self,
        dialogs: Any,
        disk: DiskPool,
        outbox: Outbox,
        texts: Catalogue,
        scheduler: Scheduler,
        *,
        clock: Clock = utc_now,
        health: StorageHealth | None = None,
    ) -> None:
        self.dialogs = dialogs
        self.disk = disk
        self.storage = disk.storage
        self.outbox = outbox
        self.texts = texts
        self.scheduler = scheduler
        self.clock = clock
        self.locks = UserLocks()
        self._active = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.turns = 0
        self.health = health or StorageHealth()
        self.closing = False  # a stop began: no new turn starts
        self._running: set[asyncio.Task] = set()

    @property
    def bot(self) -> ExtBot[Any]:
        return self.outbox.bot

    # -- the turn ---------------------------------------------------------------------------
    async def run(
        self,
        user_id: int,
        chat_id: int,
        update_id: int | None,
        client_language: str | None,
        work: Callable[[Turn], Awaitable[None]],
    ) -> None:
        """Run ``work`` as the user's next turn, then save and send what it produced.

        After a stop began it does nothing: the update stays in the inbox for the next start.
        """
        if self.closing:
            return
        self._enter()
        clock = Stopwatch()
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            async with self.locks.hold(user_id, update_id):  # in order across replicas
                clock.lap("wait")
                if self.closing:
                    return
                await self._run_locked(user_id, chat_id, update_id, client_language, work, clock)
        finally:
            if task is not None:
                self._running.discard(task)
            self._leave()
            clock.report(user_id)

    async def _run_locked(
        self,
        user_id: int,
        chat_id: int,
        update_id: int | None,
        client_language: str | None,
        work: Callable[[Turn], Awaitable[None]],
        clock: Stopwatch,
    ) -> None:
        # whatever an earlier turn or run left unsent goes first, as urgent as the user now is
        await self.outbox.flush(user_id, boost=ratelimit.ANSWER)
        clock.lap("earlier")
        session = self.storage.get_session(user_id)  # memory reads: no thread hop needed
        if update_id is not None and dedup.seen(session, update_id):
            log.info("update %s for %s handled before: skipped", update_id, pseudonym(user_id))
            self.storage.inbox_done(update_id, wait=False)
            return
        if update_id is not None and dedup.far_off(session, update_id):
            # Telegram numbers anew after a week without updates (or the id is forged):
            # handled like any other, only noted
            log.warning(
                "update %s for %s is far from their recent update ids: handled",
                update_id,
                pseudonym(user_id),
            )
        turn = Turn(user_id, chat_id, update_id, client_language, session)
        try:
            await work(turn)
        except Exception:
            log.exception("turn of %s failed", pseudonym(user_id))
            # nothing of the failed turn is kept; its state only picks the apology's language
            turn = Turn(user_id, chat_id, update_id, client_language, session, state=turn.state)
            self.say(turn, self.texts.get("error", turn.language))
        clock.lap("work")
        clock.kind = "answer" if turn.urgent else "photo or timer"
        await self.finish(turn, clock)

    async def finish(self, turn: Turn, clock: Stopwatch | None = None) -> None:
        clock = clock or Stopwatch()
        # read before the erase removes it: the dialogs keep pictures in memory by conversation
        erased_session = (
            stored.session
            if turn.erase and (stored := self.stored_state(turn.user_id)) is not None
            else None
        )
        change = await self._save_until_saved(turn)
        if change is None:
            return
        clock.lap("save")
        self.turns += 1
        if turn.erase:
            self.scheduler.unschedule(turn.user_id)
            self.outbox.forget_user(turn.user_id)
            self._forget_pictures(erased_session)
            self.outbox.blobs.update(turn.blobs)
            await self.outbox.send_transient(turn.user_id, turn.chat_id, prioritised(turn))
            self.outbox.live_buttons.pop(turn.user_id, None)
            return
        self.scheduler.apply(turn.user_id, change)
        self.outbox.blobs.update(turn.blobs)
        await self.outbox.flush(turn.user_id)
        clock.lap("send")
        self.outbox.tidy(turn.user_id, turn.chat_id, tidying(turn))

    async def _save_until_saved(self, turn: Turn) -> ReminderChange | None:
        """Save the turn; while saving fails (a full disk), try again with back-off, holding the
        user's lock so that their later updates wait behind this one (answers stay in order).
        The patient hears once per episode that their message will be picked up. None if a
        stop came first: nothing of the turn is kept and its update waits (inbox, Telegram)."""
        delay = self.health.first
        while True:
            try:
                change = await self.disk(self._save, turn, self.clock())
            except StorageWriteFailed as exc:
                self.health.failed(exc)
                log.info(
                    "turn of %s not saved; saving again in %.0f s", pseudonym(turn.user_id), delay
                )
                if turn.update_id is not None and self.health.tell(turn.user_id):
                    await self.say_now(turn.chat_id, self.texts.get("not_saved", turn.language))
                if self.closing:
                    return None
                await asyncio.sleep(delay)
                delay = min(self.health.cap, delay * 2)
                if self.closing:
                    return None
                continue
            except StorageError:
                # the data, not the disk: saving it again would fail again (nothing is kept)
                log.exception("turn of %s could not be saved", pseudonym(turn.user_id))
                await self.say_now(turn.chat_id, self.texts.get("error", turn.language))
                return None
            self.health.saved()
            return change

    def _forget_pictures(self, session: str | None) -> None:
        """The annotated pictures the dialogs hold for an erased conversation (kept in memory
        to be shown again when the patient agreed to keep photos)."""
        pictures = getattr(self.dialogs, "pictures", None)
        if session and pictures is not None:
            pictures.drop(session)

    def _save(self, turn: Turn, now: datetime) -> ReminderChange:
        """Everything the turn changed, in one transaction (runs in a storage thread)."""
        s = self.storage
        payloads = prioritised(turn)
        if turn.erase:
            # the confirmation is sent without being saved: nothing of the user stays behind
            s.delete_user(turn.user_id)
            if turn.update_id is not None:
                s.inbox_done(turn.update_id)
            return ReminderChange(remove=True)
        with s.transaction():
            change = ReminderChange()
            if turn.state_changed:
                s.put_state(turn.user_id, turn.state.to_json() if turn.state is not None else {})
                change = self._reminder_change(turn, s.get_reminder(turn.user_id), now)
                if change.put is not None:
                    s.put_reminder(change.put)
                elif change.remove:
                    s.remove_reminder(turn.user_id)
                self._sync_profile(turn, now)
            if turn.reminder_after is not None and change.nothing:
                # fired and moved on together: a crash before this commit fires it again
                # (on any replica), after it never again
                s.put_reminder(turn.reminder_after)
            session = dict(turn.session)
            if turn.update_id is not None:
                session = dedup.remember(session, [turn.update_id], time.time())
            if turn.keyboards is not None:
                session["keyboards"] = turn.keyboards
            session["language"] = turn.language
            session["seen"] = iso(now)
            s.put_session(turn.user_id, session)
            for summary in turn.assessments:
                s.add_assessment(turn.user_id, summary)
            for entry in turn.checkins:
                s.add_checkin(turn.user_id, entry)
            s.enqueue(turn.user_id, turn.chat_id, payloads)
            if turn.update_id is not None:
                s.inbox_done(turn.update_id)
        return change

    def _reminder_change(
        self, turn: Turn, stored: Reminder | None, now: datetime
    ) -> ReminderChange:
        try:
            return change_for(turn.user_id, turn.chat_id, turn.state, stored, now)
        except Exception:
            log.exception("reminder plan of %s unusable; reminder removed", pseudonym(turn.user_id))
            return ReminderChange(remove=stored is not None)

    def _sync_profile(self, turn: Turn, now: datetime) -> None:
        state = turn.state
        stored = self.storage.get_user(turn.user_id)
        zone = state.zone() if state is not None else None
        profile = UserProfile(
            user_id=turn.user_id,
            language=turn.language,
            tz=zone or (stored.tz if stored else None),
            consents=state.consents() if state is not None else {},
            created=stored.created if stored else iso(now),
        )
        if profile != stored:
            self.storage.put_user(profile)

    # -- what turns call --------------------------------------------------------------------
    def stored_state(self, user_id: int) -> DialogState | None:
        """The user's saved dialog state (an older version's migrated), or None."""
        return DialogState.from_json(self.storage.get_state(user_id))

    async def dialog(
        self,
        turn: Turn,
        event: Event,
        edit_message_id: int | None = None,
        pressed_token: str | None = None,
    ) -> list[Reply]:
        """Hand ``event`` to the dialogs with the user's state; queue their replies.

        pressed_token: the keyboard of the button pressed; a reply that replaces the pressed
        message (a multi-select's ticks) keeps it, so a second press made before the edited
        message arrived (a quick "Done") still counts."""
        if not turn.state_loaded:
            turn.state = self.stored_state(turn.user_id)
            turn.state_loaded = True
        saved, replies = await self.dialogs.handle(turn.state, event)
        new_state = DialogState.from_json(saved)
        self._collect(turn, turn.state, new_state, replies)
        turn.state, turn.state_changed = new_state, True
        first = replies[0] if replies else None
        kept = (
            [pressed_token]
            if pressed_token and first and first.choices and replaces_pressed(first)
            else []
        )
        rendered = render(
            replies,
            blob_prefix=turn.blob_prefix(),
            edit_message_id=edit_message_id,
            token=lambda: kept.pop() if kept else new_token(),
        )
        turn.add(rendered)
        if turn.keyboards is None:
            # the earlier answer buttons stop working now: take them off the screen too,
            # after this turn's replies (they are what the patient waits for)
            for message_id, keep in self.outbox.live_buttons.pop(turn.user_id, []):
                if message_id != edit_message_id:
                    turn.tail.append({"kind": "markup", "message_id": message_id, "markup": keep})
        turn.keyboards = {**(turn.keyboards or {}), **rendered.keyboards}
        return replies

    @staticmethod
    def _collect(
        turn: Turn, before: DialogState | None, after: DialogState | None, replies: list[Reply]
    ) -> None:
        """New report summaries and check-ins, kept apart from the dialog state (which a
        /restart clears) so progress over several assessments is not lost."""
        report = after.report if after is not None else None
        if report and report != (before.report if before is not None else None):
            turn.assessments.append(report)
        old = before.checkins if before is not None else []
        new = after.checkins if after is not None else []
        if len(new) > len(old) and new[: len(old)] == old:
            turn.checkins += [c.to_json() for c in new[len(old) :]]
        for reply in replies:
            if isinstance(reply.meta.get("assessment"), dict):
                turn.assessments.append(reply.meta["assessment"])
            if isinstance(reply.meta.get("checkin"), dict):
                turn.checkins.append(reply.meta["checkin"])

    def say(
        self,
        turn: Turn,
        text: str,
        choices: Sequence[tuple[str, str]] = (),
        files: tuple[tuple[str, bytes], ...] = (),
    ) -> str | None:
        """Queue the adapter's own message; returns the keyboard token when it has buttons."""
        from backcare.bot.dialogs.events import Choice

        token = new_token()
        rendered = render(
            [
                Reply(
                    text=text, choices=tuple(Choice(label, v) for label, v in choices), files=files
                )
            ],
            blob_prefix=turn.blob_prefix(),
            token=lambda: token,
        )
        turn.add(rendered)
        return token if choices else None

    async def say_now(self, chat_id: int, text: str) -> None:
        """Best effort, outside the outbox (for when saving itself failed)."""
        try:
            await self.bot.send_message(
                chat_id,
                escape(text),
                parse_mode=ParseMode.HTML,
                rate_limit_args=ratelimit.args(ratelimit.ANSWER),
            )
        except Exception:
            log.warning("could not tell a user that their message was not saved")

    # -- timers -------------------------------------------------------------------------------
    async def fire_reminder(self, user_id: int) -> None:
        """A reminder's time came: the dialogs speak, and their replies are saved together
        with the reminder's next due time (one transaction), so it fires once even when a
        replica dies mid-way or two replicas reach it (the second finds it not due)."""
        if self.closing:
            return  # the next start restores the reminders and fires what is due
        self._enter()
        try:
            async with self.locks.hold(user_id):
                reminder = self.storage.get_reminder(user_id)
                if reminder is None:
                    return
                now = self.clock()
                if (reminder.next_due - now).total_seconds() > 1:
                    self.scheduler.schedule(user_id, reminder.next_due)  # early wake-up
                    return
                upcoming = next_due(reminder.plan, now)
                after = Reminder(user_id, reminder.chat_id, reminder.plan, upcoming)
                self.scheduler.schedule(user_id, upcoming)
                await self.outbox.flush(user_id)
                session = self.storage.get_session(user_id)
                turn = Turn(user_id, reminder.chat_id, None, None, session, urgent=False)
                turn.state = self.stored_state(user_id)
                turn.state_loaded = True
                turn.reminder_after = after
                kind = timer_kind(turn.state, reminder.next_due)
                try:
                    await self.dialog(turn, Event(kind="timer", data=kind))
                except Exception:
                    log.exception("reminder of %s failed", pseudonym(user_id))
                    # moved on all the same: a reminder that fails must not fire again and again
                    await self.disk(self.storage.put_reminder, after)
                    return
                log.info("%s sent to %s", kind, pseudonym(user_id))
                await self.finish(turn)
        finally:
            self._leave()

    async def flush_all(self) -> int:
        """Send what is pending for every user not busy right now; returns users still pending."""
        pending = self.storage.pending()
        left = 0
        for user_id in sorted({item.user_id for item in pending}):
            if self.locks.busy(user_id):
                continue
            async with self.locks.hold(user_id):
                if not await self.outbox.flush(user_id):
                    left += 1
        return left

    # -- idleness (graceful stop, tests) --------------------------------------------------------
    def _enter(self) -> None:
        self._active += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._active -= 1
        if self._active == 0:
            self._idle.set()

    @property
    def active(self) -> int:
        return self._active

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def cancel_running(self, wait: float = 1.0) -> int:
        """Cancel the turns still running (a stop's grace period is over); returns how many.

        A cancelled turn saved nothing unless its save had begun (a storage thread finishes
        a save it started, and its replies then go out at the next start)."""
        tasks = [t for t in self._running if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wait_idle(), wait)
        return len(tasks)
