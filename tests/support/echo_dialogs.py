"""A small scripted dialog engine with the real ``Dialogs.handle`` contract.

It lets the adapter's tests exercise every kind of event and reply (buttons,
multi-select, photos, pictures, files, links, reminders, timers, unknown
commands) without depending on the real interview, and records what it got.
Its state is a real DialogState (bot/dialogs/state.py) with steps of its own
("new", "pain", "sitting", "photo", "multi"); what it keeps besides (answers,
ticks, counts) is under ``extra["echo"]``: read it with :func:`echo_data`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from backcare.bot.dialogs.events import Choice, Event, Image, Reply
from backcare.bot.dialogs.state import DialogState, ReminderPlan

PAIN = tuple(Choice(str(n), str(n)) for n in range(11))
PLAN = ReminderPlan(days=[0, 1, 2, 3, 4, 5, 6], time="08:00", tz="Europe/London", active=True)


def daily_time_far_from(now: datetime) -> str:
    """08:00 or 20:00, whichever is at least 3 hours away from ``now`` (London is within an
    hour of UTC): a run of a few minutes that fires a reminder and checks it is next due
    hours later must not start just before the plan's own time (at 07:40 the next 08:00
    is 20 minutes away)."""
    return "20:00" if 4 <= now.astimezone(UTC).hour < 16 else "08:00"


def plan_far_from(now: datetime) -> ReminderPlan:
    """PLAN at daily_time_far_from(now)."""
    return ReminderPlan(**{**PLAN.to_json(), "time": daily_time_far_from(now)})


NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


def echo_state(step: str = "new", language: str = "en", **parts: Any) -> DialogState:
    """A state as EchoDialogs keeps it (``parts``: DialogState fields, e.g. reminders=PLAN)."""
    state = DialogState.new(language, NOW)
    state.step = step
    state.extra["echo"] = {"answers": {}}
    for name, value in parts.items():
        setattr(state, name, value)
    return state


def echo_data(saved: Mapping[str, Any] | DialogState | None) -> dict[str, Any]:
    """What EchoDialogs kept in a saved state (its answers, ticks and counts)."""
    state = saved if isinstance(saved, DialogState) else DialogState.from_json(saved)
    return dict(state.extra.get("echo", {})) if state is not None else {}


class EchoDialogs:
    def __init__(self, photo_delay: float = 0.0) -> None:
        self.events: list[tuple[DialogState | None, Event]] = []
        self.photo_delay = photo_delay

    async def handle(
        self, saved: DialogState | Mapping[str, Any] | None, event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        loaded = saved if isinstance(saved, DialogState) else DialogState.from_json(saved)
        self.events.append((loaded, event))
        state = loaded.copy() if loaded is not None else echo_state(language=event.language or "en")
        data = state.extra.setdefault("echo", {})
        data["answers"] = dict(data.get("answers", {}))
        state, replies = await self._answer(state, data, event)
        return state.to_json(), replies

    async def _answer(
        self, state: DialogState, data: dict[str, Any], event: Event
    ) -> tuple[DialogState, list[Reply]]:
        kind = event.kind
        if kind == "start":
            state.step, state.language = "pain", event.language or "en"
            return state, [
                Reply("Welcome. How bad is your pain today?", choices=PAIN, expects="choice")
            ]
        if kind == "choice" and state.step == "pain":
            data["answers"]["pain"] = event.data
            state.step = "sitting"
            return state, [
                Reply(
                    "Do you sit for long?",
                    choices=(Choice("Yes", "yes"), Choice("No", "no")),
                    expects="choice",
                )
            ]
        if kind == "choice" and state.step == "sitting":
            data["answers"]["sitting"] = event.data
            state.step = "photo"
            return state, [Reply("Please send a photo of your forward bend.", expects="photo")]
        if kind == "choice" and state.step == "multi":
            picked = set(data.get("picked", []))
            if event.data == "done":
                state.step = "photo"
                return state, [Reply(f"You picked {', '.join(sorted(picked)) or 'nothing'}.")]
            picked ^= {event.data}
            data["picked"] = sorted(picked)
            again = self._multi(picked)
            again.meta["update"] = True  # the driver may edit the pressed message
            return state, [again]
        if kind == "photo":
            if self.photo_delay:
                await asyncio.sleep(self.photo_delay)
            data["photos"] = data.get("photos", 0) + 1
            photo = event.photo or b""
            data["answers"][f"photo{data['photos']}"] = len(photo)
            return state, [
                Reply(
                    f"Photo {data['photos']} received ({len(photo)} bytes).",
                    images=(Image(photo, "annotated"),),
                )
            ]
        if kind == "command":
            if event.text == "status":
                return state, [Reply(f"Step: {state.step}; answers: {data['answers']}")]
            if event.text == "remind":
                state.reminders = ReminderPlan(**PLAN.to_json())
                return state, [Reply("Reminders on at 08:00.")]
            if event.text == "stop":
                plan = state.reminders or PLAN
                state.reminders = ReminderPlan(**{**plan.to_json(), "active": False})
                return state, [Reply("Reminders off.")]
            if event.text == "multi":
                state.step = "multi"
                return state, [self._multi(set())]
            if event.text == "results":
                return state, [
                    Reply(
                        "Your results:",
                        images=(Image(b"img1", "side"), Image(b"img2", "back")),
                        links=(("Video", "https://example.org/v"),),
                        meta={
                            "assessment": {
                                "summary": "results",
                                "pain": data["answers"].get("pain"),
                            }
                        },
                    )
                ]
            if event.text == "boom":
                raise RuntimeError("dialog bug")
            return state, [Reply(f"Unknown command /{event.text}. Send /help.")]
        if kind == "timer":
            data["timers"] = data.get("timers", 0) + 1
            return state, [Reply(f"Time for your exercises ({event.data}).")]
        data["answers"]["text"] = event.text
        return state, [Reply(f"You said: {event.text}")]

    @staticmethod
    def _multi(picked: set[str]) -> Reply:
        options = ("legs", "back", "neck")
        choices = tuple(Choice(("✓ " if o in picked else "") + o, o) for o in options)
        return Reply("Where does it hurt?", choices=choices + (Choice("Done", "done"),), multi=True)
