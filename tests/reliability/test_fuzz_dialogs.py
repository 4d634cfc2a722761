"""Fuzzing the dialogs: random events, in any order, at any step, never break a conversation.

A patient presses old buttons, types anything anywhere, sends photos at the wrong
time, commands mid-question, comes back days later; timers fire when they fire.
Every event gets a reply (a timer may pass in silence), the state stays one the
engine can continue from, and what it says can be sent to Telegram.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcare.application.pipeline import Pipeline
from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.buttons import Button
from backcare.bot.dialogs.commands import COMMANDS
from backcare.bot.dialogs.engine import STATE_VERSION, Dialogs, restore
from backcare.bot.dialogs.events import Event, Reply
from backcare.bot.dialogs.flow import STEP
from backcare.bot.messages import render, tg_len
from backcare.kernel.vocabulary import vocabulary
from backcare.report.types import PhotoResult
from backcare.vision.errors import Reason
from backcare.vision.types import Measurement
from tests.reliability.fuzzing import fuzz_settings
from tests.reliability.images import tiny
from tests.reliability.live import STANDING_SIDE, answer_events
from tests.support.patients import dialog_of

REASONS = [r.value for r in Reason]


class FuzzServices:
    """Photos: b"ok..." accepted, b"crash..." raise, anything else refused for a reason
    picked by its first byte. Reports: the real pipeline (reasoning, program)."""

    def __init__(self) -> None:
        self.pipeline = Pipeline(pose=None)
        self.picture = tiny(STANDING_SIDE.read_bytes())
        self.fail_reports = False

    async def analyse_photo(
        self, data: bytes, step: str, filename: str | None = None
    ) -> PhotoResult:
        movement = vocabulary().movements[step]
        if data.startswith(b"crash"):
            raise RuntimeError("the worker died")
        if data.startswith(b"ok"):
            value = 40.0 + data[2] % 60 if len(data) > 2 else 60.0
            return PhotoResult(
                step=step,
                source=filename or step,
                accepted=True,
                measurements={
                    "trunk_inclination": Measurement(
                        "trunk_inclination", value, "deg", 0.9, "3d-world"
                    )
                },
                view=movement.view,
                movement_seen=movement.expects,
                confidence=0.9,
                annotated_jpeg=self.picture,
            )
        reason = REASONS[data[0] % len(REASONS)] if data else "not_image"
        return PhotoResult(
            step=step,
            source=filename or step,
            accepted=False,
            reason=reason,
            detail="feet,knees" if reason == "cropped" else "rotation",
        )

    async def build_report(self, result, photos, language):
        if self.fail_reports:
            raise RuntimeError("the solver timed out")
        return await self.pipeline.build_report(result, photos, language)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 3, 30, 8, 0, tzinfo=UTC)  # a DST weekend

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def world(registry, answers):
    loop = asyncio.new_event_loop()
    services, clock = FuzzServices(), Clock()
    dialogs = Dialogs(services=services, interviews=registry, clock=clock)
    yield (
        loop,
        dialogs,
        services,
        clock,
        loop.run_until_complete(milestones(dialogs, answers, clock)),
    )
    loop.close()


async def milestones(
    dialogs: Dialogs, answers: dict, clock: Clock
) -> list[tuple[dict, list[Reply]]]:
    """States along the journey (with the replies that led there), for walks to start from:
    random walks from the start rarely get through forty questions."""
    out = []

    async def play(state, *events):
        replies = []
        for event in events:
            state, replies = await dialogs.handle(state, event)
        out.append((state, replies))
        return state

    def press(button: Button) -> Event:
        return Event("choice", data=button.data)

    def step(state: dict) -> str:
        return dialog_of(state).step

    state = await play(None, Event("start", language="en"))
    state = await play(state, press(buttons.CONSENT_YES))
    state = await play(state, press(buttons.DELETE_PHOTOS))
    interview = dialogs.interviews.current
    while (qid := dialog_of(state).asked()) is not None:
        state = await play(state, *answer_events(interview, qid, answers.get(qid)))
    assert step(state) == "photos"
    while step(state) == "photos":
        state = await play(state, Event("photo", photo=b"ok" + bytes([len(out)])))
    assert step(state) == "results", step(state)
    for button in (
        buttons.REMINDERS_SET,
        buttons.ALL_DAYS,
        buttons.DAYS_DONE,
        buttons.time("08:00"),
        buttons.zone("Europe/London"),
    ):
        state = await play(state, press(button))
    assert step(state) == "active", step(state)
    clock.now += timedelta(days=8)
    state = await play(state, Event("timer", data="checkin"))
    assert step(state).startswith("checkin"), step(state)
    for _ in range(6):  # through the check-in, "yes" to new warning signs on the way
        if not step(state).startswith("checkin"):
            break
        shown = [b for v in offered(out[-1][1]) if (b := buttons.parse(v)) is not None]
        pick = next((b for b in shown if b.args[-1:] == ("yes",)), shown[0] if shown else None)
        state = await play(state, press(pick) if pick else Event("text", text="3"))
    await play(None, Event("start"), press(buttons.CONSENT_NO))
    red = await play(None, Event("start", language="ja"))
    red = await play(red, press(buttons.CONSENT_YES), press(buttons.DELETE_PHOTOS))
    while (qid := dialog_of(red).asked()) is not None:
        answer = True if qid == "saddle" else answers.get(qid)
        red = await play(red, *answer_events(interview, qid, answer))
    assert step(red) == "referred", step(red)
    return out


def offered(replies: list[Reply]) -> list[str]:
    return [c.value for r in replies for c in r.choices]


@dataclass(frozen=True)
class Later:
    """Days pass before the patient's next move (not an event of the dialogs)."""

    days: int


@st.composite
def next_event(draw, replies: list[Reply], seen: list[str], question) -> Event | Later:
    """What a patient might do next, knowing what the bot last offered."""
    live = offered(replies)
    language = draw(st.sampled_from([None, "en", "ja", "de", "pt-br", ""]))
    kinds = (
        ["live"] * 6 * bool(live)
        + ["typed"] * 3
        + ["answer"] * 3 * bool(question)
        + ["stale", "text", "photo", "photo", "command", "start", "timer", "later"]
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "live":
        return Event("choice", data=draw(st.sampled_from(live)), language=language)
    if kind == "stale":
        return Event("choice", data=draw(st.sampled_from(seen or ["x"]) | st.text(max_size=30)))
    if kind == "answer":  # a plausible typed answer to the question asked
        if question.type in ("number", "scale"):
            low, high = question.min or 0, question.max or 10
            return Event("text", text=str(draw(st.integers(int(low) - 5, int(high) + 5))))
        labels = [t for o in question.options for t in o.text.values()] or ["yes", "no", "はい"]
        return Event("text", text=draw(st.sampled_from(labels)))
    if kind in ("typed", "text"):
        return Event(
            "text",
            text=draw(
                st.sampled_from(
                    [
                        "yes",
                        "no",
                        "42",
                        "08:00",
                        "7:30",
                        "Europe/London",
                        "Asia/Tokyo",
                        "5",
                        "back",
                        "",
                        " ",
                        "x" * 5000,
                        "\u202e",
                        "💪",
                    ]
                )
                | st.text(max_size=40)
            ),
            language=language,
        )
    if kind == "photo":
        data = draw(st.sampled_from([b"ok", b"crash", b"", b"\x00junk"]) | st.binary(max_size=8))
        return Event(
            "photo",
            photo=data + draw(st.binary(max_size=4)),
            filename=draw(st.sampled_from([None, "IMG_1.jpg", "../../x"])),
        )
    if kind == "command":
        return Event(
            "command",
            text=draw(st.sampled_from(COMMANDS) | st.text(max_size=12)),
            data=draw(st.none() | st.text(max_size=12)),
        )
    if kind == "start":
        return Event("start", text=draw(st.none() | st.text(max_size=20)), language=language)
    if kind == "timer":
        return Event(
            "timer", data=draw(st.sampled_from(["reminder", "checkin"]) | st.text(max_size=8))
        )
    return Later(draw(st.integers(1, 40)))


def check_replies(event: Event, replies: list[Reply]) -> None:
    assert isinstance(replies, list) and all(isinstance(r, Reply) for r in replies)
    if event.kind != "timer":
        assert replies, f"no reply to {event}"
    for reply in replies:
        assert reply.text.strip() or reply.images or reply.files, reply
        for choice in reply.choices:
            assert choice.label.strip() and isinstance(choice.value, str) and choice.value
    rendered = render(replies, blob_prefix="fuzz")  # what the bot sends: within Telegram's limits
    for payload in rendered.payloads:
        if payload["kind"] == "text":
            assert 0 < tg_len(payload["text"]) <= 4096
        for row in (payload.get("markup") or {}).get("inline_keyboard", []):
            for button in row:
                assert button["text"] and len(button.get("callback_data", "").encode()) <= 64


@fuzz_settings(60)
@given(st.data())
def test_random_events_always_get_a_reply_and_leave_a_state_to_go_on_from(world, data):
    loop, dialogs, services, clock, starts = world
    clock.now = datetime(2030, 3, 30, 8, 0, tzinfo=UTC) + timedelta(
        days=data.draw(st.integers(0, 60))
    )
    services.fail_reports = data.draw(st.booleans())
    steps = sorted({dialog_of(s).step for s, _ in starts})
    step = data.draw(st.sampled_from(steps))  # each step alike
    state, replies = data.draw(
        st.sampled_from([(s, r) for s, r in starts if dialog_of(s).step == step])
    )
    seen: list[str] = []
    for _ in range(data.draw(st.integers(5, 80))):
        asked = dialog_of(state).asked()
        question = dialogs.interviews.current.questions.get(asked) if asked else None
        event = data.draw(next_event(replies, seen, question))
        if isinstance(event, Later):
            clock.now += timedelta(days=event.days, hours=data.draw(st.integers(0, 23)))
            continue
        if data.draw(st.integers(0, 9)) == 0:
            services.fail_reports = not services.fail_reports
        seen += offered(replies)
        state, replies = loop.run_until_complete(dialogs.handle(state, event))
        # the stored form on purpose: plain JSON, written in this version
        assert json.loads(json.dumps(state)) == state, "the state is plain JSON"
        assert state["v"] == STATE_VERSION
        restored = restore(state)
        assert restored is not None, "the next event continues this state"
        assert restored.step in STEP
        check_replies(event, replies)


def test_the_walks_start_from_every_step_of_the_flow(world):
    starts = world[-1]
    steps = {dialog_of(state).step for state, _ in starts}
    assert steps == set(STEP) - {"analysis"}  # analysis passes
