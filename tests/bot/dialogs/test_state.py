"""The typed, versioned dialog state: states stored by the version-1 dialogs load and go on.

data/state_v1/ holds states the version-1 engine saved at every step of a journey
(captured before the typed state replaced the dict), and one older shape written
before issue 8 (legacy_*: no session, check-in records without numbers, programs or
days, a check-in in progress with the old "done" word). Each is loaded by today's
engine and the journey continues from it to a finished check-in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.engine import restore
from backcare.bot.dialogs.events import Event
from backcare.bot.dialogs.flow import STEP
from backcare.bot.dialogs.state import (
    STATE_VERSION,
    CheckinProgress,
    CheckinRecord,
    Consent,
    DialogState,
    InterviewProgress,
    PhotoProgress,
    Reassessment,
    Referral,
    ReminderDraft,
    ReminderPlan,
)

from .conftest import Chat

V1 = Path(__file__).resolve().parent / "data" / "state_v1"
FIXTURES = sorted(p.stem for p in V1.glob("*.json"))
CAPTURED = [name for name in FIXTURES if not name.startswith("legacy_")]


def stored(name: str) -> dict:
    return json.loads((V1 / f"{name}.json").read_text(encoding="utf-8"))


def test_the_fixtures_cover_every_step():
    # the stored version 1 documents on purpose: what the fixtures hold
    steps = {stored(name)["step"] for name in FIXTURES}
    assert steps == set(STEP) - {"checkin_pain"}  # checkin_pain: a timer's turn, no saved pause
    assert all(stored(name)["v"] == 1 for name in FIXTURES)


@pytest.mark.parametrize("name", CAPTURED)
def test_a_version_1_state_loads_with_nothing_lost(name):
    raw = stored(name)  # the stored version 1 document on purpose: compared with its reading
    state = DialogState.from_json(raw)
    assert state is not None and state.step == raw["step"] and state.extra == {}
    # the document keeps its shape: only the version changes
    assert state.to_json() == {**raw, "v": STATE_VERSION}
    assert DialogState.from_json(state.to_json()) == state
    assert restore(raw) == state


def test_the_older_version_1_shape_is_filled_in():
    raw = stored("legacy_checkin_signs")
    state = DialogState.from_json(raw)
    assert state is not None and len(state.session) == 32  # a session of its own
    assert [r.n for r in state.checkins] == list(range(1, len(raw["checkins"]) + 1))
    # every record of this program (all after its start) belongs to it
    assert {r.program for r in state.checkins} == {raw["program_started"]}
    old = state.checkins[0]
    assert (old.done_days, old.planned_days, old.red_flags, old.reassess) == (None, None, [], False)
    assert "done_days" not in old.to_json()  # written back as it was
    # the check-in in progress: "some" (half) of the planned days (the reminders' six), in days
    assert raw["checkin"]["done"] == "some" and len(raw["reminders"]["days"]) == 6
    assert state.checkin == CheckinProgress(
        pain=3, planned=6, done_days=3, answers={}, current=None, pending=[]
    )


def test_records_before_the_program_started_are_not_counted_in_it():
    raw = stored("legacy_checkin_signs")
    raw["checkins"][0]["at"] = "2025-05-01T08:00:00+00:00"  # before this program
    state = DialogState.from_json(raw)
    assert state is not None
    assert state.checkins[0].program is None and state.checkins[1].program is not None


async def finish_journey(chat: Chat, interview, healthy) -> None:
    """From wherever the stored state left the patient, on to a finished check-in."""
    checkins = len(chat.state.checkins)
    for _ in range(200):
        state = chat.state
        step = state.step
        if step == "active" and len(state.checkins) > checkins:
            return
        if step == "consent":
            await chat.press_stale(buttons.CONSENT_YES)
        elif step == "declined":
            await chat.press_stale(buttons.CONSENT_AGAIN)
        elif step == "photo_consent":
            await chat.press_stale(buttons.DELETE_PHOTOS)
        elif step == "interview":
            assert state.interview is not None
            qid = state.interview.current
            assert qid is not None
            for option in state.interview.pending:  # untick what was ticked before
                await chat.press_stale(buttons.toggle(qid, option))
            await chat.answer(interview, healthy[qid])
        elif step == "referred":
            await chat.command("restart")
        elif step == "photos":
            await chat.photo()
        elif step == "analysis":
            await chat.press_stale(buttons.ANALYSIS_RETRY)
        elif step == "results":
            await chat.press_stale(buttons.REMINDERS_SET)
        elif step == "reminder_days":
            await chat.press_stale(buttons.DAYS_DONE)
        elif step == "reminder_time":
            await chat.press_stale(buttons.time("08:00"))
        elif step == "reminder_zone":
            await chat.press_stale(buttons.zone("UTC"))
        elif step == "active":
            await chat.press_stale(buttons.CHECK_IN)
        elif step == "checkin_pain":
            await chat.press_stale(buttons.pain(4))
        elif step == "checkin_done":
            await chat.press_stale(buttons.days_done(1))
        elif step == "checkin_signs":
            await chat.press_stale(buttons.SIGNS_NO)
        elif step == "checkin_flags":
            await chat.command("back")
        else:  # pragma: no cover - a step this journey does not know
            raise AssertionError(f"no way on from {step}")
    raise AssertionError(f"the journey did not finish: {chat.step}")  # pragma: no cover


@pytest.mark.parametrize("name", FIXTURES)
async def test_a_stored_version_1_state_continues_the_journey(
    name, dialogs, clock, interview, healthy
):
    raw = stored(name)  # the stored version 1 document on purpose: compared with its reading
    chat = Chat(dialogs)
    chat.saved = raw
    clock.advance(days=60)  # after the captured journey, whatever its dates
    await chat.command("status")  # what a returning patient may do first
    state = chat.state
    assert chat.saved["v"] == STATE_VERSION and state.step == raw["step"]
    assert state.session == raw.get("session", state.session) and state.language == "en"
    if raw.get("interview"):
        assert state.interview is not None
        assert state.interview.answers == raw["interview"]["answers"]
    if raw.get("reminders"):
        assert state.reminders == ReminderPlan.from_json(raw["reminders"])
    before = state.checkins
    await finish_journey(chat, interview, healthy)
    after = chat.state
    assert after.step == "active" and after.checkins[: len(before)] == before
    assert after.checkins[-1].n == (before[-1].n or len(before)) + 1 if before else 1


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {},
        [],
        "a string",
        {"v": 99, "step": "consent", "language": "en"},
        {"step": "consent", "language": "en"},  # no version: not ours
        {"v": 2, "language": "en", "session": "s"},  # no step
        {"v": 2, "step": "consent", "session": "s"},  # no language
        {"v": 2, "step": "photos", "language": "en", "session": "s", "photos": "three"},
        {"v": 2, "step": "interview", "language": "en", "session": "s", "interview": []},
        {"v": 1, "step": "active", "language": "en", "reminders": {"days": "Mondays"}},
    ],
)
def test_an_unusable_document_gives_no_state(raw):
    assert DialogState.from_json(raw) is None


def test_every_part_goes_through_json_and_back():
    state = DialogState(
        step="active",
        language="ja",
        session="s1",
        created="2025-06-02T08:00:00+00:00",
        updated="2025-06-03T08:00:00+00:00",
        consent=Consent(data=True, keep_photos=True, at="2025-06-02T08:00:00+00:00"),
        interview=InterviewProgress(
            digest="d",
            version="3",
            answers={"age": 40, "worse": ["sitting"]},
            history=["age", "worse"],
            current=None,
            started="2025-06-02T08:00:00+00:00",
            finished="2025-06-02T08:05:00+00:00",
        ),
        result={"facts": ["sitting_long"]},
        referral=Referral(origin="checkin", urgency="urgent", rules=["r"], facts=["f"]),
        photos=PhotoProgress(index=2, results={"standing": {"accepted": True}}, tries={"x": 1}),
        report={"created": "2025-06-02T08:06:00+00:00", "program": None},
        previous_report={"created": "2025-05-02T08:06:00+00:00"},
        program_started="2025-06-02T08:06:00+00:00",
        reminders=ReminderPlan(days=[0, 2], time="08:00", tz="Asia/Tokyo", active=False),
        reminder_draft=ReminderDraft(days=[1]),
        checkin=CheckinProgress(pain=3, planned=2, done_days=1),
        checkins=[CheckinRecord(at="2025-06-09T08:00:00+00:00", pain=3, n=1, done_days=1)],
        reassessment=Reassessment(invited="2025-06-30T08:00:00+00:00"),
        done_log=["2025-06-04"],
        extra={"a_later_key": {"kept": True}},
    )
    doc = json.loads(json.dumps(state.to_json()))
    assert doc["v"] == STATE_VERSION and doc["a_later_key"] == {"kept": True}
    assert DialogState.from_json(doc) == state


def test_what_the_adapter_reads():
    state = DialogState.from_json(stored("interview"))
    assert state is not None
    assert state.asked() == state.interview.current and state.asked() is not None
    assert state.last_answered() == state.interview.history[-1]
    assert state.reminder_plan() is None and state.keeps_photos() is True
    assert state.consents() == {"data": True, "keep_photos": True}
    active = DialogState.from_json(stored("active_invited"))
    assert active is not None and active.asked() is None
    plan = active.reminder_plan()
    assert plan is not None and plan.to_json() == stored("active_invited")["reminders"]
    assert active.zone() == "UTC" and active.report_created() == active.report["created"]
    assert active.checkin_times() == [r["at"] for r in stored("active_invited")["checkins"]]
    active.reminders.active = False
    assert active.reminder_plan() is None


# -- buttons ---------------------------------------------------------------------------------
EVERY_BUTTON = [
    buttons.command("help"),
    buttons.language("ja"),
    buttons.CONSENT_YES,
    buttons.CONSENT_NO,
    buttons.CONSENT_AGAIN,
    buttons.KEEP_PHOTOS,
    buttons.DELETE_PHOTOS,
    buttons.answer("age", 40),
    buttons.yes_no("fever", True),
    buttons.toggle("worse", "sitting"),
    buttons.done("worse"),
    buttons.skip("notes"),
    buttons.answer("saddle", "yes", checkin=True),
    buttons.toggle("where", "legs", checkin=True),
    buttons.done("where", checkin=True),
    buttons.pain(7),
    buttons.days_done(3),
    buttons.SIGNS_YES,
    buttons.SIGNS_NO,
    buttons.PHOTO_SKIP,
    buttons.PHOTO_USE,
    buttons.PHOTO_RETAKE,
    buttons.ANALYSIS_RETRY,
    buttons.REMINDERS_SET,
    buttons.REMINDERS_NO,
    buttons.day(6),
    buttons.ALL_DAYS,
    buttons.WEEKDAYS,
    buttons.DAYS_DONE,
    buttons.time("07:30"),
    buttons.zone("America/Argentina/Buenos_Aires"),
    buttons.PROGRAM,
    buttons.PROGRESS,
    buttons.CHECK_IN,
    buttons.REASSESS_YES,
    buttons.REASSESS_NO,
    buttons.EXERCISED,
]


@pytest.mark.parametrize("button", EVERY_BUTTON, ids=str)
def test_every_button_parses_back_to_itself(button):
    assert buttons.parse(button.data) == button and len(button.data.encode()) <= 64


def test_button_data_keeps_the_version_1_format():
    # keyboards saved before the upgrade (sessions, the outbox) send these
    assert [b.data for b in EVERY_BUTTON[:12]] == [
        "cmd:help",
        "lang:ja",
        "consent:yes",
        "consent:no",
        "consent:again",
        "keep:yes",
        "keep:no",
        "a:age:40",
        "a:fever:yes",
        "t:worse:sitting",
        "d:worse",
        "s:notes",
    ]
    assert buttons.answer("saddle", "yes", checkin=True).data == "ca:saddle:yes"
    assert buttons.pain(7).data == "ck:pain:7" and buttons.time("07:30").data == "time:07:30"
    assert buttons.zone("UTC").data == "tz:UTC" and buttons.EXERCISED.data == "rem:done"


def test_what_is_not_a_button():
    # raw button data on purpose: what buttons.parse() takes apart or refuses
    for data in (None, "", "cmd", "nonsense:1", "ck:pain", "k1a2b.0"):
        assert buttons.parse(data) is None
    question = buttons.question_button(buttons.parse("ca:saddle:yes"))
    assert question == buttons.QuestionButton("a", "saddle", "yes", checkin=True)
    assert buttons.question_button(buttons.parse("d:worse")) == buttons.QuestionButton(
        "d", "worse", None, checkin=False
    )
    assert buttons.question_button(buttons.CONSENT_YES) is None
    assert buttons.weekday(buttons.day(3)) == 3 and buttons.weekday(buttons.ALL_DAYS) is None
    assert buttons.pressed(Event("text", text="cmd:help")) is None
