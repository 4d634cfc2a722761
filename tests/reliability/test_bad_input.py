"""Hostile and odd input through the real bot: text at its limits and beyond, answers out
of range, buttons the bot never sent, Telegram markup in what patients type.

Every case must end in a reply (the answer taken, or the question asked again with
advice), never the apology for a failed turn, and leave a state the next answer can
build on. Telegram refuses a message with broken HTML (the fake Bot API does too),
so unescaped user text would show up here as a reply that never arrived.
"""

from __future__ import annotations

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.state import DialogState
from backcare.interview.answers import AnswerError, validate_answer
from tests.reliability.live import live_bot, place, read_database, refused, state_at
from tests.support.patients import Patient, dialog_of
from tests.support.storage import backend

APOLOGY = "Sorry, something went wrong"
EXPIRED = "This button is no longer active."


@pytest.fixture
async def live(data_file, registry):
    async with live_bot(data_file, registry) as bot:
        yield bot


async def at(live, registry, answers, user_id: int, question: str) -> Patient:
    """A patient whose interview waits for ``question``, with its buttons on screen."""
    patient = Patient(live, user_id)
    place(live.storage, user_id, await state_at(registry, answers, question=question))
    await patient.say("/start")  # "welcome back", and the question again
    assert patient.dialog.asked() == question
    assert patient.messages[-1].buttons or registry.current.questions[question].type == "number"
    return patient


def outcome(before: DialogState, after: DialogState, qid: str) -> str:
    assert before.interview is not None and after.interview is not None
    if after.interview.current == qid and after.interview.answers == before.interview.answers:
        return "refused"
    return "accepted"


TEXTS = {
    "empty": "",
    "only blanks": "  \n  ",
    "10,000 characters": "x" * 10_000,
    "10,000 digits": "7" * 10_000,
    "control characters": "fine\x00\x07\x1b[31m",
    "right-to-left override": "\u202egnp.exe",
    "right-to-left mark in Hebrew": "\u200fכאב גב\u200f",
    "emoji with modifiers and joiners": "💪🏽 👨‍👩‍👧 🔥",
    "combining marks": "Z\u0351\u0358a\u0352\u035bl\u0346\u034dg\u0322o",
    "Arabic-Indic digits": "٤٢",
    "a number too large for a float": "1" + "0" * 400,
    "not a number": "nan",
}
# (question, case) -> what must happen; every other case only has to be answered sensibly
EXPECTED = {
    ("age", "empty"): "refused",
    ("age", "only blanks"): "refused",
    ("age", "10,000 digits"): "refused",
    ("age", "control characters"): "refused",
    ("age", "a number too large for a float"): "refused",
    ("age", "not a number"): "refused",
    ("age", "Arabic-Indic digits"): "accepted",
    ("notes", "empty"): "accepted",
    ("notes", "only blanks"): "accepted",  # optional: skipped
    ("notes", "10,000 characters"): "refused",
    ("notes", "control characters"): "refused",
    ("notes", "right-to-left override"): "refused",
    ("notes", "right-to-left mark in Hebrew"): "accepted",
    ("notes", "emoji with modifiers and joiners"): "accepted",
    ("notes", "combining marks"): "accepted",
}


@pytest.mark.parametrize("qid", ["age", "sex", "notes"])
@pytest.mark.parametrize("case", TEXTS)
async def test_text_at_and_beyond_its_limits_gets_an_answer_and_keeps_a_valid_state(
    live, registry, answers, qid, case
):
    text = TEXTS[case]
    patient = await at(live, registry, answers, 70001, qid)
    before = patient.dialog
    await patient.say(text)
    after = patient.dialog
    result = outcome(before, after, qid)
    assert EXPECTED.get((qid, case), result) == result
    replies = [m.plain for m in patient.messages]
    assert not any(r.startswith(APOLOGY) for r in replies)
    assert refused(live.api) == [] and live.storage.pending() == []
    question = registry.current.questions[qid]
    if result == "accepted":
        assert after.answers()[qid] == validate_answer(question, text)
    else:
        with pytest.raises(AnswerError):
            validate_answer(question, text)
        assert question.text["en"] in replies[-1], "the question is asked again"
        assert replies[-1].split("\n")[0] != replies[-1], "with advice above it"
    # and the patient carries on from there
    if result == "refused" and qid != "notes":
        await patient.answer(registry.current, answers[qid])
        assert patient.dialog.interview.current != qid


@pytest.mark.parametrize(
    "qid, typed, advice",
    [
        ("age", "150", "from 18 to 100"),
        ("age", "-5", "from 18 to 100"),
        ("age", "17.5", "whole number"),
        ("height", "1e10", "from 120 to 220"),
        ("pain_now", "11", "from 0 to 10"),
        ("pain_now", "-1", "from 0 to 10"),
        ("sitting_hours", "25", "from 0 to 24"),
        ("saddle", "maybe", "yes or no"),
        ("sex", "robot", "choose one of the buttons"),
    ],
)
async def test_answers_out_of_range_are_refused_with_the_range(
    live, registry, answers, qid, typed, advice
):
    patient = await at(live, registry, answers, 70002, qid)
    before = patient.dialog
    await patient.say(typed)
    assert outcome(before, patient.dialog, qid) == "refused"
    assert advice in patient.messages[-1].plain


async def test_buttons_the_bot_never_sent_change_nothing(live, registry, answers):
    """Callback data comes from the client: only tokens the bot gave THIS patient, for a
    question still open, do anything."""
    mallory = await at(live, registry, answers, 70003, "sex")
    stale = mallory.messages[-1].buttons[0]["callback_data"]
    await mallory.say("/start")  # the question again: the first buttons are dead
    alice = await at(live, registry, answers, 70004, "sex")
    question = mallory.messages[-1]
    token = question.buttons[0]["callback_data"][1:].split(".")[0]
    alices = alice.messages[-1].buttons[0]["callback_data"]
    forged = [
        alices,  # another patient's live button
        f"k{token}.99",
        f"k{token}.-1",
        f"k{token}.1000",
        f"k{token}.0x",
        f"k{token}.",
        stale,  # a button of a message no longer current
        # the dialogs' own button data, sent as if it were a Telegram button's
        buttons.answer("sex", "robot").data,
        buttons.CONSENT_YES.data,
        buttons.command("restart").data,
        "delete",
        "",
        "k" + "f" * 60 + ".0",
        "k💥.0",
        "k../../etc.0",
        f"K{token}.0",
        f" k{token}.0",
    ]
    before = mallory.dialog
    for data in forged:
        live.api.press(mallory.user, question, data=data)
    await mallory.settle()
    assert mallory.dialog == before, "nothing changed"
    assert alice.dialog.asked() == "sex", "the other patient was not answered for"
    answers_given = [c.get("text") for c in live.api.answered_callbacks[-len(forged) :]]
    assert answers_given == [EXPIRED] * len(forged), "each press is answered (no endless spinner)"
    await mallory.answer(registry.current, answers["sex"])  # the real button still works
    assert mallory.dialog.answers()["sex"] == answers["sex"]
    assert live.storage.inbox_pending() == []


MARKUP = [
    "<b>bold</b> & <i>it</i>",
    "<script>alert(1)</script>",
    "a < b > c & d;",
    "*bold* _it_ `code` [link](https://e.vil) ~strike~ ||spoiler||",
    "&lt;already escaped&gt; &amp;",
    "</b><a href='tg://user?id=1'>x</a>",
]


@pytest.mark.parametrize("typed", MARKUP)
async def test_telegram_markup_in_what_patients_type_stays_plain_text(
    live, registry, answers, typed
):
    patient = await at(live, registry, answers, 70005, "notes")
    for text in (f"/start {typed}", f"/status {typed}", f"/{typed}", typed):
        if text == typed:
            place(live.storage, patient.id, await state_at(registry, answers, question="notes"))
        await patient.say(text)
    assert patient.dialog.answers()["notes"] == typed.strip()
    assert refused(live.api) == [], "every reply was valid Telegram HTML"
    assert not any("<script" in m.text or "<i>" in m.text for m in patient.messages)


async def test_an_update_with_broken_unicode_is_answered_and_spoils_no_one_elses_data(
    live, registry, answers, data_file
):
    """JSON may carry a lone surrogate ("\ud800"), which no UTF-8 file can hold. Kept as it
    is, the first write of it fails, and with it every later write of every patient."""
    patient = await at(live, registry, answers, 70006, "notes")
    other = Patient(live, 70007)
    live.api.push_update({"message": live.api._message(patient.user, text="bad \ud800 half")})
    await other.start()
    await patient.settle()
    assert patient.step == "photos", "the note was taken"
    assert patient.dialog.answers()["notes"] == "bad \ufffd half"
    assert other.messages[0].plain.startswith("Welcome to backcare")
    assert live.storage.inbox_pending() == [] and live.storage.pending() == []
    if backend() == "embedded":
        saved = read_database(data_file)  # and all of it reached the disk
        assert dialog_of(saved["states"][str(patient.id)]).step == "photos"
        assert dialog_of(saved["states"][str(other.id)]).step == "consent"
