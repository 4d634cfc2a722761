"""Check-ins: pain, days the exercises were done, warning signs asked again; backcare.followup.checkin
judges them (the project's one rule) and its advice is what the patient reads."""

from __future__ import annotations

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.events import Event
from backcare.bot.dialogs.state import CheckinRecord
from backcare.content.texts import default_texts as content_texts
from backcare.followup.checkin import CheckIn

ADVICE = content_texts()


def advice(key: str, language: str = "en", **values) -> str:
    return ADVICE.get(key, language, **values)


@pytest.fixture
async def active(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)  # pain_now 5
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)  # weekdays: 5 days a week
    await chat.press(buttons.time("08:00"))
    await chat.press(buttons.zone("UTC"))
    assert chat.step == "active"
    return chat


async def check_in(chat, pain, done=5, signs="no"):
    if chat.state.reminder_plan() is not None:
        await chat.timer("checkin")
    else:  # without reminders, the patient checks in from the menu
        await chat.press_stale(buttons.CHECK_IN)
    await chat.press(buttons.pain(pain))
    await chat.press(buttons.days_done(done))
    await chat.press(buttons.SIGNS_YES if signs == "yes" else buttons.SIGNS_NO)


async def test_a_worsening_by_the_smallest_change_that_matters_changes_the_advice(active, clock):
    chat = active
    # from 5, the smallest change that matters is 1.5 points (30%): one point is "the same"
    await check_in(chat, 6)
    assert advice("checkin.same", before=5, now=6) in chat.text
    clock.advance(days=7)
    await check_in(chat, 7)
    assert advice("checkin.worse", before=5, now=7) in chat.text and "easier version" in chat.text
    clock.advance(days=7)
    await check_in(chat, 7)
    assert (
        advice("checkin.worse_again") in chat.text
        and "see a doctor or physiotherapist" in chat.text
    )
    assert [c.outcome for c in chat.state.checkins] == ["same", "worse", "worse"]
    assert chat.step == "active"


async def test_better_by_the_smallest_change_that_matters(active):
    chat = active
    await check_in(chat, 3)
    assert advice("checkin.better", before=5, now=3) in chat.text
    assert chat.replies[-1].meta["outcome"] == "better"


async def test_the_advice_is_in_the_users_language(new_chat, interview, healthy):
    chat = new_chat(language="ja")
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_NO)
    await check_in(chat, 8)
    assert advice("checkin.worse", "ja", before=5, now=8) in chat.text


async def test_few_days_done_adds_advice_on_keeping_at_it(active):
    chat = active
    await check_in(chat, 5, done=1)
    assert advice("checkin.low_adherence", done=1, planned=5) in chat.text
    await check_in(chat, 5, done=4)
    assert "planned days" not in chat.text


async def test_a_typed_pain_score_is_validated(active):
    chat = active
    await chat.timer("checkin")
    await chat.type("eleven")
    assert chat.step == "checkin_pain" and "type a number" in chat.text
    await chat.type("11")
    assert chat.step == "checkin_pain" and "from 0 to 10" in chat.text
    await chat.type("2")
    assert chat.step == "checkin_done" and chat.state.checkin.pain == 2


async def test_days_done_are_a_whole_number_from_zero_to_the_days_planned(active):
    chat = active
    await chat.timer("checkin")
    await chat.press(buttons.pain(4))
    assert chat.choices()[:-1] == [buttons.days_done(n) for n in range(6)]
    assert chat.replies[-1].expects == "number"
    for typed, says in (
        ("some", "type a number"),
        ("6", "from 0 to 5"),
        ("-1", "from 0 to 5"),
        ("2.5", "whole number"),
        ("", "give an answer"),
    ):
        await chat.type(typed)
        assert chat.step == "checkin_done" and says in chat.text, typed
        assert chat.state.checkin.done_days is None
    await chat.send(
        Event("choice", data=buttons.days_done(9).data)
    )  # a stale button from a longer plan
    assert chat.step == "checkin_done" and "from 0 to 5" in chat.text
    await chat.press_stale(buttons.SIGNS_NO)  # a button of another step
    assert chat.step == "checkin_done" and "answer with the buttons" in chat.text
    await chat.type("3 days")
    assert chat.step == "checkin_signs" and chat.state.checkin.done_days == 3


async def test_the_days_planned_come_from_the_reminders_or_else_the_program(
    chat, interview, healthy
):
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_NO)  # no reminders: the program's 5 days a week
    await chat.press(buttons.CHECK_IN)
    await chat.press(buttons.pain(5))
    assert "plan is 5 days a week" in chat.text
    await chat.press(buttons.command("back"))
    await chat.press(buttons.pain(5))
    await chat.press(buttons.days_done(5))
    await chat.press(buttons.SIGNS_NO)
    await chat.press(buttons.PROGRAM)
    await chat.press(buttons.REMINDERS_SET)
    for day in (1, 3):  # untick Tue and Thu: Mon, Wed, Fri
        await chat.press(buttons.day(day))
    await chat.press(buttons.DAYS_DONE)
    await chat.press(buttons.time("07:00"))
    await chat.press(buttons.zone("UTC"))
    await check_in(chat, 5, done=3)
    asked = [r for r in chat.log if any(c.value == buttons.days_done(0).data for c in r.choices)][
        -1
    ]
    assert [buttons.parse(c.value) for c in asked.choices][:-1] == [
        buttons.days_done(n) for n in range(4)
    ]
    assert [(c.done_days, c.planned_days) for c in chat.state.checkins] == [(5, 5), (3, 3)]


async def test_each_record_holds_what_the_rule_and_the_chart_need(active):
    chat = active
    await chat.timer("checkin")
    await chat.press(buttons.pain(6))
    await chat.press(buttons.command("back"))
    assert chat.step == "checkin_pain"
    await chat.press(buttons.pain(3))
    await chat.press(buttons.days_done(0))
    await chat.press(buttons.SIGNS_NO)
    record = chat.state.checkins[-1].to_json()
    assert record == {
        "at": "2025-06-02T08:00:00+00:00",
        "pain": 3,
        "done": "none",
        "outcome": "better",
        "n": 1,
        "done_days": 0,
        "planned_days": 5,
        "red_flags": [],
        "referral": None,
        "reassess": False,
        "program": chat.state.program_started,
    }
    assert CheckIn.from_dict(record).adherence == 0.0


async def test_a_new_red_flag_in_a_check_in_refers_with_its_urgency(active):
    chat = active
    await chat.timer("checkin")
    await chat.press(buttons.pain(4))
    await chat.press(buttons.days_done(2))
    await chat.press(buttons.SIGNS_YES)
    await chat.press(buttons.answer("night_pain", "none", checkin=True))
    await chat.press(buttons.answer("saddle", "yes", checkin=True))
    assert chat.step == "referred"
    referral = chat.state.referral
    assert (referral.urgency, referral.origin, referral.facts) == (
        "emergency",
        "checkin",
        ["red_flag_cauda_equina"],
    )
    assert "emergency department" in chat.text and chat.replies[-1].meta["urgency"] == "emergency"
    record = chat.state.checkins[-1]
    assert (record.outcome, record.referral, record.red_flags) == (
        "red_flag",
        "emergency",
        ["red_flag_cauda_equina"],
    )
    assert chat.state.reminders.active is False
    assert await chat.timer("checkin") == []


async def test_new_warning_signs_are_asked_again_and_a_red_flag_stops_self_care(active, interview):
    chat = active
    await chat.timer("checkin")
    await chat.press(buttons.pain(4))
    await chat.press(buttons.days_done(3))
    await chat.press(buttons.SIGNS_YES)
    asked = []
    while chat.step == "checkin_flags":
        qid = chat.replies[-1].meta["question"]
        asked.append(qid)
        answer = "none" if qid == "night_pain" else "yes" if qid == "fever" else "no"
        await chat.press(buttons.answer(qid, answer, checkin=True))
    rechecked = [q for q in interview.order if interview.questions[q].recheck]
    assert asked == [q for q in rechecked if q != "weakness_worse"][: asked.index("fever") + 1]
    assert chat.step == "referred" and chat.state.referral.urgency == "urgent"
    assert chat.state.referral.origin == "checkin" and chat.state.reminders.active is False
    assert "within the next 24 hours" in chat.text and "infection" in chat.text
    assert chat.state.checkins[-1].outcome == "red_flag"
    assert "I answered by mistake" not in chat.text
    await chat.command("back")
    assert chat.step == "referred"
    assert await chat.timer("reminder") == []


async def test_no_new_warning_sign_after_the_questions(active, interview):
    chat = active
    await chat.timer("checkin")
    await chat.press(buttons.pain(5))
    await chat.press(buttons.days_done(5))
    await chat.press(buttons.SIGNS_YES)
    await chat.press(buttons.answer("night_pain", "on_moving", checkin=True))
    await chat.press(buttons.answer("saddle", "no", checkin=True))
    await chat.command("back")
    assert chat.replies[-1].meta["question"] == "saddle"
    while chat.step == "checkin_flags":
        qid = chat.replies[-1].meta["question"]
        await chat.press(buttons.answer(qid, "no", checkin=True))
    assert chat.step == "active" and "needs urgent attention" in chat.text
    assert chat.state.checkins[-1].outcome == "same"
    assert chat.state.interview.answers["saddle"] is False  # the assessment's answers are untouched


async def test_weakness_getting_worse_is_asked_only_after_weakness(active):
    chat = active
    await chat.timer("checkin")
    await chat.press(buttons.pain(5))
    await chat.press(buttons.days_done(5))
    await chat.press(buttons.SIGNS_YES)
    for qid, answer in (
        ("night_pain", "none"),
        ("saddle", "no"),
        ("bladder_bowel", "no"),
        ("both_legs", "no"),
        ("weakness", "yes"),
    ):
        assert chat.replies[-1].meta["question"] == qid
        await chat.press(buttons.answer(qid, answer, checkin=True))
    assert chat.replies[-1].meta["question"] == "weakness_worse"
    await chat.press(buttons.answer("weakness_worse", "yes", checkin=True))
    assert chat.step == "referred" and chat.state.referral.facts == [
        "red_flag_progressive_weakness"
    ]


async def test_the_records_stay_bounded_and_a_reader_comparing_lengths_sees_every_new_one(
    active, clock
):
    chat = active
    old = [
        {"at": f"2025-06-02T0{n % 8}:00:00+00:00", "pain": 5, "done": "all", "outcome": "same"}
        for n in range(100)
    ]
    # records as the dialogs wrote them before issue 8 (state version 1): no numbers
    chat.saved = {**chat.saved, "v": 1, "checkins": [dict(r) for r in old]}
    seen: list[CheckinRecord] = []

    async def turn(send):
        before = list(chat.state.checkins)
        await send
        after = chat.state.checkins
        # the adapter's rule (bot/turns.py): new records are those past the old length
        if len(after) > len(before) and after[: len(before)] == before:
            seen.extend(after[len(before) :])
        else:
            assert len(after) <= len(before)  # a turn that trims adds nothing

    for pain in (4, 3):
        clock.advance(days=7)
        await turn(chat.timer("checkin"))
        await turn(chat.press(buttons.pain(pain)))
        await turn(chat.press(buttons.days_done(5)))
        await turn(chat.press(buttons.SIGNS_NO))
    assert [r.pain for r in seen] == [4, 3] and [r.n for r in seen] == [101, 102]
    assert len(chat.state.checkins) == 100 and chat.state.checkins[-1].n == 102


async def test_a_new_assessment_starts_a_new_program_and_its_own_check_ins(
    active, clock, interview, healthy
):
    chat = active
    await check_in(chat, 8)
    first = chat.state.program_started
    clock.advance(days=3)
    await chat.command("restart")
    assert (
        chat.state.program_started is None and len(chat.state.checkins) == 1
    )  # kept for the record
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    await chat.press(buttons.REMINDERS_NO)
    assert chat.state.program_started > first
    await check_in(chat, 5)
    # compared with the new start (5), not flagged as worse again after the old program's 8
    assert advice("checkin.same", before=5, now=5) in chat.text
    assert chat.state.checkins[-1].program == chat.state.program_started


async def test_records_from_before_days_were_counted_still_count(active, clock):
    chat = active
    # a state saved by the earlier dialogs (version 1): no program_started, records without
    # days or numbers
    saved = {**chat.saved, "v": 1}
    del saved["program_started"]
    saved["report"]["created"] = "2025-06-01T10:00:00+00:00"
    saved["checkins"] = [
        {"at": "2025-06-08T08:00:00+00:00", "pain": 7, "done": "some", "outcome": "worse"}
    ]
    chat.saved = saved
    clock.advance(days=14)
    await check_in(chat, 7, done=5)
    assert advice("checkin.worse_again") in chat.text  # the old record was the first time worse
    await chat.press(buttons.PROGRESS)
    chart = next(r for r in chat.replies if r.images).meta["chart"]
    assert chart["pain"] == (7, 7) and chart["done_days"] == (
        2,
        5,
    )  # "some" of 5 days: 2 (rounded half)
    assert chat.state.checkins[-1].n == 2
