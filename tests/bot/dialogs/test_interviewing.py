"""The interview in the chat: invalid answers, going back, restart, stale buttons, multiple choice."""

from __future__ import annotations

import pytest

from backcare.bot.dialogs import buttons


async def goto(chat, interview, healthy, qid):
    await chat.consent()
    await chat.answer_all(interview, healthy, stop_at=qid)
    assert chat.current == qid


@pytest.mark.parametrize(
    "qid, typed, message",
    [
        ("age", "150", "from 18 to 100"),  # out of range
        ("age", "12", "from 18 to 100"),
        ("age", "forty-two", "type a number"),  # wrong type
        ("age", "42.5", "whole number"),
        ("age", "   ", "give an answer"),  # empty
        ("age", "4\x002", "control characters"),  # control characters
        ("height", "12345678", "from 120 to 220"),
        ("pain_now", "11", "from 0 to 10"),
        ("saddle", "perhaps", "yes or no"),
        ("sex", "robot", "choose one of the buttons"),
        ("notes", "x" * 501, "keep it to 500 characters (you wrote 501)"),  # too long
        ("notes", "line\u202eevil", "control characters"),
    ],
)
async def test_an_invalid_answer_is_refused_with_advice_and_asked_again(
    chat, interview, healthy, qid, typed, message
):
    await goto(chat, interview, healthy, qid)
    answers_before = dict(chat.state.interview.answers)
    await chat.type(typed)
    assert message in chat.text
    assert chat.current == qid and chat.state.interview.answers == answers_before
    assert chat.replies[-1].meta["question"] == qid
    await chat.answer(interview, healthy[qid])
    assert chat.state.interview.answers[qid] == healthy[qid]


async def test_invalid_answers_are_explained_in_japanese(new_chat, interview, healthy):
    chat = new_chat(language="ja")
    await goto(chat, interview, healthy, "age")
    await chat.type("１５０")
    assert "18〜100の範囲で入力してください" in chat.text


@pytest.mark.parametrize("typed, value", [("42", 42), ("４２歳", 42), (" 42 years ", 42)])
async def test_numbers_can_be_typed_in_several_ways(chat, interview, healthy, typed, value):
    await goto(chat, interview, healthy, "age")
    await chat.type(typed)
    assert chat.state.interview.answers["age"] == value and chat.current == "sex"


async def test_choices_can_be_typed_in_either_language(chat, interview, healthy):
    await goto(chat, interview, healthy, "sex")
    await chat.type("女性")
    assert chat.state.interview.answers["sex"] == "female"


async def test_back_goes_one_question_back_and_forgets_its_answer(chat, interview, healthy):
    await goto(chat, interview, healthy, "height")
    await chat.press(buttons.command("back"))
    assert chat.current == "sex" and "sex" not in chat.state.interview.answers
    assert "back one question" in chat.text
    await chat.command("back")
    assert chat.current == "age" and chat.state.interview.answers == {}
    await chat.answer(interview, 70)
    assert chat.current == "sex" and chat.state.interview.answers == {"age": 70}


async def test_back_from_the_first_question_returns_to_the_photo_consent(chat):
    await chat.consent()
    await chat.command("back")
    assert chat.step == "photo_consent"
    await chat.press(buttons.KEEP_PHOTOS)
    assert chat.step == "interview" and chat.state.consent.keep_photos is True


async def test_back_over_a_branch_drops_the_branch_answer(chat, interview, healthy):
    await goto(chat, interview, healthy, "weakness")
    await chat.answer(interview, True)
    assert chat.current == "weakness_worse"
    await chat.command("back")
    await chat.answer(interview, False)
    assert chat.current == "trauma" and "weakness_worse" not in chat.state.interview.answers


async def test_restart_begins_a_new_interview_and_keeps_consent_and_language(
    chat, interview, healthy
):
    await goto(chat, interview, healthy, "work")
    await chat.command("language")
    await chat.press(buttons.language("ja"))
    await chat.command("restart")
    assert chat.step == "interview" and chat.current == "age"
    assert chat.state.interview.answers == {} and chat.state.interview.history == []
    assert chat.state.language == "ja" and chat.state.consent.data is True
    assert "最初の質問からやり直します" in chat.text


async def test_restart_after_the_results_starts_a_new_assessment(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    assert chat.step == "results"
    await chat.command("restart")
    assert chat.step == "interview" and chat.state.photos is None and chat.state.report is None


async def test_restart_before_consent_shows_the_consent_again(chat):
    await chat.start()
    await chat.command("restart")
    assert chat.step == "consent" and "Do you agree?" in chat.text


async def test_a_button_from_an_earlier_question_is_not_taken_for_this_one(
    chat, interview, healthy
):
    await goto(chat, interview, healthy, "smoking")
    await chat.press_stale(buttons.answer("work", "manual"))
    assert chat.current == "smoking" and chat.state.interview.answers["work"] == "desk"
    assert "earlier question" in chat.text


async def test_multiple_choice_ticks_and_an_exclusive_choice_clears_the_others(
    chat, interview, healthy
):
    await goto(chat, interview, healthy, "worse")
    await chat.press(buttons.toggle("worse", "sitting"))
    await chat.press(buttons.toggle("worse", "lifting"))
    assert chat.state.interview.pending == ["sitting", "lifting"]
    labels = [c.label for c in chat.replies[-1].choices]
    assert "✓ Sitting" in labels and "✓ Lifting" in labels and chat.replies[-1].meta.get("update")
    await chat.press(buttons.toggle("worse", "none"))
    assert chat.state.interview.pending == ["none"]
    await chat.press(buttons.toggle("worse", "bending"))
    assert chat.state.interview.pending == ["bending"]
    await chat.press(buttons.toggle("worse", "bending"))
    assert chat.state.interview.pending == []
    await chat.press(buttons.done("worse"))
    assert "give an answer" in chat.text and chat.current == "worse"
    await chat.press(buttons.toggle("worse", "twisting"))
    await chat.press(buttons.done("worse"))
    assert chat.state.interview.answers["worse"] == ["twisting"] and chat.current == "better"


async def test_an_optional_question_can_be_skipped(chat, interview, healthy):
    await goto(chat, interview, healthy, "notes")
    assert buttons.skip("notes") in chat.choices()
    await chat.press(buttons.skip("notes"))
    assert chat.state.interview.answers["notes"] is None and chat.step == "photos"


async def test_a_required_question_offers_no_skip(chat, interview, healthy):
    await goto(chat, interview, healthy, "age")
    assert not any(b.kind == buttons.SKIP for b in chat.choices())
    await chat.press_stale(buttons.skip("age"))
    assert chat.current == "age" and "give an answer" in chat.text


async def test_a_photo_during_the_interview_is_not_taken_as_an_answer(
    chat, interview, healthy, services
):
    await goto(chat, interview, healthy, "age")
    await chat.photo()
    assert (
        chat.current == "age"
        and services.photo_calls == []
        and "answer this question first" in chat.text
    )


async def test_sections_are_announced_once(chat, interview, healthy):
    await goto(chat, interview, healthy, "work")
    assert "Your daily life" in chat.text
    await chat.answer(interview, healthy["work"])
    assert "Your daily life" not in chat.text


async def test_progress_counts_questions(chat, interview, healthy):
    await goto(chat, interview, healthy, "height")
    assert "Question 3 of about" in chat.text
