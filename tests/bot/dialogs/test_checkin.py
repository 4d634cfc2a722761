"""Check-ins: pain, exercises done, warning signs asked again; worse or red flag changes the advice."""

from __future__ import annotations

import pytest

from bot.dialogs.checkin_rule import evaluate_checkin


@pytest.mark.parametrize("pain, baseline, history, done, kind", [
    (3, 5.0, [], "all", "better"),                              # 2 points down: the smallest real change
    (4, 5.0, [], "all", "same"),
    (4, 5.0, [], "none", "not_done"),
    (7, 5.0, [], "all", "worse"),                               # 2 points up
    (8, 7.0, [], "some", "worse"),                              # severe whatever the baseline
    (9, 8.0, [], "some", "see_clinician"),                      # very severe
    (7, 5.0, [{"pain": 7, "outcome": "worse"}], "all", "see_clinician"),  # worse twice in a row
    (6, None, [{"pain": 3, "outcome": "same"}], "all", "worse"),  # no baseline: the first check-in is the reference
    (5, None, [], "all", "same"),
])
def test_the_check_in_rule(pain, baseline, history, done, kind):
    assert evaluate_checkin(pain, baseline, history, done).kind == kind


def test_a_red_flag_outranks_everything():
    outcome = evaluate_checkin(1, 5.0, [], "all", red_flag="emergency")
    assert (outcome.kind, outcome.urgency) == ("red_flag", "emergency")


@pytest.fixture
async def active(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)   # pain_now 5
    await chat.all_photos()
    await chat.press("rm:set")
    await chat.press("day:done")
    await chat.press("time:08:00")
    await chat.press("tz:UTC")
    assert chat.step == "active"
    return chat


async def check_in(chat, pain, done="all", signs="no"):
    await chat.timer("checkin")
    await chat.press(f"ck:pain:{pain}") if isinstance(pain, int) else await chat.type(pain)
    await chat.press(f"ck:done:{done}")
    await chat.press(f"ck:signs:{signs}")


async def test_worse_pain_eases_the_program_then_asks_for_a_clinician(active):
    chat = active
    await check_in(chat, 7)
    assert "higher than when you started" in chat.text and "easier version" in chat.text
    await check_in(chat, 7)
    assert "book an appointment with a doctor or physiotherapist" in chat.text
    assert [c["outcome"] for c in chat.state["checkins"]] == ["worse", "see_clinician"]
    assert chat.step == "active"


async def test_a_typed_pain_score_is_validated(active):
    chat = active
    await chat.timer("checkin")
    await chat.type("eleven")
    assert chat.step == "checkin_pain" and "type a number" in chat.text
    await chat.type("11")
    assert chat.step == "checkin_pain" and "from 0 to 10" in chat.text
    await chat.type("2")
    assert chat.step == "checkin_done" and chat.state["checkin"]["pain"] == 2


async def test_new_warning_signs_are_asked_again_and_a_red_flag_stops_self_care(active, interview):
    chat = active
    await chat.timer("checkin")
    await chat.press("ck:pain:4")
    await chat.press("ck:done:some")
    await chat.press("ck:signs:yes")
    asked = []
    while chat.step == "checkin_flags":
        qid = chat.replies[-1].meta["question"]
        asked.append(qid)
        await chat.press(f"ca:{qid}:{'yes' if qid == 'fever' else 'no'}" if qid != "night_pain" else f"ca:{qid}:none")
    rechecked = [q for q in interview.order if interview.questions[q].recheck]
    assert asked == [q for q in rechecked if q != "weakness_worse"][: asked.index("fever") + 1]
    assert chat.step == "referred" and chat.state["referral"]["urgency"] == "urgent"
    assert chat.state["referral"]["origin"] == "checkin" and chat.state["reminders"]["active"] is False
    assert "within the next 24 hours" in chat.text and "infection" in chat.text
    assert chat.state["checkins"][-1]["outcome"] == "red_flag"
    assert "I answered by mistake" not in chat.text
    await chat.command("back")
    assert chat.step == "referred"
    assert await chat.timer("reminder") == []


async def test_no_new_warning_sign_after_the_questions(active, interview):
    chat = active
    await chat.timer("checkin")
    await chat.press("ck:pain:5")
    await chat.press("ck:done:all")
    await chat.press("ck:signs:yes")
    await chat.press("ca:night_pain:on_moving")
    await chat.press("ca:saddle:no")
    await chat.command("back")
    assert chat.replies[-1].meta["question"] == "saddle"
    while chat.step == "checkin_flags":
        qid = chat.replies[-1].meta["question"]
        await chat.press(f"ca:{qid}:no")
    assert chat.step == "active" and "needs urgent attention" in chat.text
    assert chat.state["checkins"][-1]["outcome"] == "same"
    assert chat.state["interview"]["answers"]["saddle"] is False  # the assessment's answers are untouched


async def test_weakness_getting_worse_is_asked_only_after_weakness(active):
    chat = active
    await chat.timer("checkin")
    await chat.press("ck:pain:5")
    await chat.press("ck:done:all")
    await chat.press("ck:signs:yes")
    for qid, answer in (("night_pain", "none"), ("saddle", "no"), ("bladder_bowel", "no"), ("both_legs", "no"),
                        ("weakness", "yes")):
        assert chat.replies[-1].meta["question"] == qid
        await chat.press(f"ca:{qid}:{answer}")
    assert chat.replies[-1].meta["question"] == "weakness_worse"
    await chat.press("ca:weakness_worse:yes")
    assert chat.step == "referred" and chat.state["referral"]["facts"] == ["red_flag_progressive_weakness"]


async def test_a_check_in_can_step_back(active):
    chat = active
    await chat.timer("checkin")
    await chat.press("ck:pain:6")
    await chat.press("cmd:back")
    assert chat.step == "checkin_pain"
    await chat.press("ck:pain:3")
    await chat.press("ck:done:none")
    await chat.press("ck:signs:no")
    assert chat.state["checkins"][-1] == {"at": "2025-06-02T08:00:00+00:00", "pain": 3, "done": "none",
                                          "outcome": "better"}
