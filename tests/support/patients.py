"""Scripted patients: they use the bot through the fake Telegram like a person would.

A patient only sends what a person can send (text, photos, files, albums, button
presses on messages they were sent). To decide WHICH button means "yes" they
may look up the value the bot registered for it (the scripted equivalent of
reading the label), and what the dialog currently asks (the question id), so a
script can follow interview.yaml whatever its wording.

    patient = Patient(harness, 1001)
    await patient.start()
    await patient.consent()
    await patient.interview(answers)
    await patient.photos(photo_for_step)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.buttons import Button
from backcare.bot.dialogs.state import DialogState
from backcare.bot.messages import parse_callback
from backcare.interview import Interview
from tests.support import renders
from tests.support.fake_botapi import FakeUser, Sent
from tests.support.renders import RENDERS

# A photo per capture step: the rendered person of tests/data/renders whose truth.json
# names that step (see tests/data/README.md).
STEPS = (
    "standing_side",
    "standing_back",
    "forward_bend",
    "backward_bend",
    "rotation_left",
    "rotation_right",
    "side_bend_left",
    "side_bend_right",
)
PHOTO_FOR_STEP = {step: renders.for_step(step) for step in STEPS}


def photo(step: str) -> bytes:
    return (RENDERS / PHOTO_FOR_STEP[step]).read_bytes()


def dialog_of(stored: object) -> DialogState:
    """A stored dialog document (``storage.get_state``, a database file's "states") read as
    the dialogs read it (bot/dialogs/state.py); fails when there is none or it is unusable."""
    state = DialogState.from_json(stored)
    assert state is not None, "no usable dialog state stored"
    return state


class Patient:
    def __init__(self, harness: Any, user_id: int, language: str = "en", name: str = "Patient"):
        self.h = harness
        self.user: FakeUser = harness.api.user(user_id, name, language)
        self.actions: list[tuple[int, str]] = []  # (last message id seen, what the patient did)

    # -- what the patient sees -------------------------------------------------------
    @property
    def id(self) -> int:
        return self.user.id

    @property
    def messages(self) -> list[Sent]:
        return self.h.api.messages(self.id)

    @property
    def state(self) -> dict:
        """The stored JSON document (for tests about storage; read the dialog through ``dialog``)."""
        return self.h.storage.get_state(self.id) or {}

    @property
    def dialog(self) -> DialogState:
        """The patient's dialog state as the dialogs read it (bot/dialogs/state.py)."""
        return dialog_of(self.h.storage.get_state(self.id))

    @property
    def step(self) -> str | None:
        state = DialogState.from_json(self.h.storage.get_state(self.id))
        return state.step if state is not None else None

    def _mark(self, what: str) -> None:
        last = max((m.message_id for m in self.messages), default=0)
        self.actions.append((last, what))

    # -- what the patient does -------------------------------------------------------
    async def settle(self) -> None:
        await self.h.settle(timeout=60)

    async def say(self, text: str) -> None:
        self._mark(text)
        self.h.api.send_text(self.user, text)
        await self.settle()

    async def send_photo(self, data: bytes, label: str = "photo") -> None:
        self._mark(f"[{label}]")
        self.h.api.send_photo(self.user, data)
        await self.settle()

    async def send_file(self, data: bytes, filename: str, mime: str = "image/jpeg") -> None:
        self._mark(f"[file {filename}]")
        self.h.api.send_document(self.user, data, filename, mime_type=mime)
        await self.settle()

    async def send_album(self, photos: list[bytes], label: str = "album") -> None:
        self._mark(f"[{label} of {len(photos)} photos]")
        self.h.api.send_album(self.user, photos)
        await self.settle()

    def button_for(self, pressed: Button) -> tuple[Sent, dict] | None:
        """The newest message's button that sends ``pressed`` to the dialogs."""
        value = pressed.data
        keyboards = self.h.storage.get_session(self.id).get("keyboards", {})
        for message in reversed(self.messages):
            for button in message.buttons:
                parsed = parse_callback(button.get("callback_data"))
                if parsed is None or parsed[0] not in keyboards:
                    continue
                values = keyboards[parsed[0]]["values"]
                if parsed[1] < len(values) and values[parsed[1]] == value:
                    return message, button
        return None

    def values(self) -> list[str]:
        keyboards = self.h.storage.get_session(self.id).get("keyboards", {})
        return [v for kb in keyboards.values() for v in kb["values"]]

    async def press(self, button: Button) -> None:
        """Press a dialog button (built with bot.dialogs.buttons)."""
        found = self.button_for(button)
        assert found is not None, f"no button for {button}; offered: {self.values()}"
        message, shown = found
        self._mark(f"[{shown['text']}]")
        self.h.api.press(self.user, message, data=shown["callback_data"])
        await self.settle()

    async def press_label(self, label: str) -> None:
        for message in reversed(self.messages):
            if label in message.labels:
                self._mark(f"[{label}]")
                self.h.api.press(self.user, message, label)
                await self.settle()
                return
        raise AssertionError(f"no button labelled {label!r}")

    # -- the journey ---------------------------------------------------------------------
    async def start(self) -> None:
        await self.say("/start")

    async def consent(self, keep_photos: bool = False) -> None:
        """Agree; then keep photos or not when the bot asks (only a service that keeps
        photos asks: Policy.keep_photos)."""
        await self.press(buttons.CONSENT_YES)
        if keep_photos or self.button_for(buttons.DELETE_PHOTOS) is not None:
            await self.press(buttons.KEEP_PHOTOS if keep_photos else buttons.DELETE_PHOTOS)

    async def answer(self, interview: Interview, value: Any) -> None:
        qid = self.dialog.asked()
        assert qid is not None, "no question is being asked"
        q = interview.questions[qid]
        if value is None:
            await self.press(buttons.skip(qid))
        elif q.type == "yes_no":
            await self.press(
                buttons.yes_no(qid, value)
                if isinstance(value, bool)
                else buttons.answer(qid, value)
            )
        elif q.type in ("single", "scale"):
            if self.button_for(buttons.answer(qid, value)) is not None:
                await self.press(buttons.answer(qid, value))
            else:
                await self.say(str(value))
        elif q.type in ("multiple", "body_map"):
            for option in value:
                await self.press(buttons.toggle(qid, option))
            await self.press(buttons.done(qid))
        else:
            await self.say(str(value))

    async def interview(
        self, interview: Interview, answers: dict, until: Callable[[str], bool] = lambda qid: False
    ) -> None:
        """Answer until the interview ends (or ``until(question id)`` holds)."""
        guard = 0
        while self.step == "interview" and not until(self.dialog.asked() or ""):
            qid = self.dialog.asked()
            assert qid is not None
            await self.answer(interview, answers[qid])
            guard += 1
            assert guard < 200, "the interview does not end"

    async def photos(self, pick: Callable[[str], bytes | None] = photo) -> list[str]:
        """Send a photo for each capture step; skip a step whose photo is refused or missing."""
        from backcare.kernel.vocabulary import vocabulary

        steps = list(vocabulary().movements)
        skipped = []
        while self.step == "photos":
            progress = self.dialog.photos
            assert progress is not None, "the capture has not started"
            step = steps[progress.index]
            data = pick(step)
            tries = progress.tries.get(step, 0)
            if data is None or tries >= 1:
                skipped.append(step)
                await self.press(buttons.PHOTO_SKIP)
                continue
            await self.send_photo(data, label=f"photo: {step.replace('_', ' ')}")
        return skipped

    # -- a readable record ---------------------------------------------------------------
    def transcript(self, width: int = 72) -> str:
        """The conversation as the patient saw it (what a screenshot would show)."""
        lines: list[str] = []
        actions = list(self.actions)
        for message in self.messages:
            while actions and actions[0][0] < message.message_id:
                lines.append(f"{'':>8}{actions.pop(0)[1]:>{width - 8}}")
            if message.kind == "text":
                body = message.plain
            elif message.kind == "photo":
                body = f"[picture] {message.plain}".rstrip()
            else:
                body = f"[file {message.filename}] {message.plain}".rstrip()
            lines.append("bot: " + body.replace("\n", "\n     "))
            if message.buttons:
                lines.append(
                    "     "
                    + "  ".join(
                        f"[{b['text']} ↗]" if "url" in b else f"[{b['text']}]"
                        for b in message.buttons
                    )
                )
        lines += [f"{'':>8}{a[1]:>{width - 8}}" for a in actions]
        return "\n".join(lines)
