"""A small scripted dialog engine with the real ``Dialogs.handle`` contract.

It lets the adapter's tests exercise every kind of event and reply (buttons,
multi-select, photos, pictures, files, links, reminders, timers, unknown
commands) without depending on the real interview, and records what it got.
"""

from __future__ import annotations

import asyncio

from backcare.bot.dialogs.events import Choice, Event, Image, Reply

PAIN = tuple(Choice(str(n), str(n)) for n in range(11))
PLAN = {"days": [0, 1, 2, 3, 4, 5, 6], "time": "08:00", "tz": "Europe/London", "active": True}


class EchoDialogs:
    def __init__(self, photo_delay: float = 0.0) -> None:
        self.events: list[tuple[dict | None, Event]] = []
        self.photo_delay = photo_delay

    async def handle(self, state: dict | None, event: Event) -> tuple[dict, list[Reply]]:
        self.events.append((state, event))
        state = dict(state or {"step": "new", "answers": {}})
        state["answers"] = dict(state.get("answers", {}))
        kind = event.kind
        if kind == "start":
            state.update(step="pain", language=event.language or "en")
            return state, [
                Reply("Welcome. How bad is your pain today?", choices=PAIN, expects="choice")
            ]
        if kind == "choice" and state.get("step") == "pain":
            state["answers"]["pain"] = event.data
            state["step"] = "sitting"
            return state, [
                Reply(
                    "Do you sit for long?",
                    choices=(Choice("Yes", "yes"), Choice("No", "no")),
                    expects="choice",
                )
            ]
        if kind == "choice" and state.get("step") == "sitting":
            state["answers"]["sitting"] = event.data
            state["step"] = "photo"
            return state, [Reply("Please send a photo of your forward bend.", expects="photo")]
        if kind == "choice" and state.get("step") == "multi":
            picked = set(state.get("picked", []))
            if event.data == "done":
                state["step"] = "photo"
                return state, [Reply(f"You picked {', '.join(sorted(picked)) or 'nothing'}.")]
            picked ^= {event.data}
            state["picked"] = sorted(picked)
            again = self._multi(picked)
            again.meta["update"] = True  # the driver may edit the pressed message
            return state, [again]
        if kind == "photo":
            if self.photo_delay:
                await asyncio.sleep(self.photo_delay)
            state["photos"] = state.get("photos", 0) + 1
            photo = event.photo or b""
            state["answers"][f"photo{state['photos']}"] = len(photo)
            return state, [
                Reply(
                    f"Photo {state['photos']} received ({len(photo)} bytes).",
                    images=(Image(photo, "annotated"),),
                )
            ]
        if kind == "command":
            if event.text == "status":
                return state, [Reply(f"Step: {state.get('step')}; answers: {state['answers']}")]
            if event.text == "remind":
                state["reminders"] = dict(PLAN)
                return state, [Reply("Reminders on at 08:00.")]
            if event.text == "stop":
                state["reminders"] = {**state.get("reminders", PLAN), "active": False}
                return state, [Reply("Reminders off.")]
            if event.text == "multi":
                state["step"] = "multi"
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
                                "pain": state["answers"].get("pain"),
                            }
                        },
                    )
                ]
            if event.text == "boom":
                raise RuntimeError("dialog bug")
            return state, [Reply(f"Unknown command /{event.text}. Send /help.")]
        if kind == "timer":
            state["timers"] = state.get("timers", 0) + 1
            return state, [Reply(f"Time for your exercises ({event.data}).")]
        state["answers"]["text"] = event.text
        return state, [Reply(f"You said: {event.text}")]

    @staticmethod
    def _multi(picked: set[str]) -> Reply:
        options = ("legs", "back", "neck")
        choices = tuple(Choice(("✓ " if o in picked else "") + o, o) for o in options)
        return Reply("Where does it hurt?", choices=choices + (Choice("Done", "done"),), multi=True)
