"""Photo capture: guidance per step, refusals turned into advice, retake, skip, analysis."""

from __future__ import annotations

import json

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.events import Event
from backcare.bot.dialogs.texts import default_texts
from backcare.kernel.vocabulary import vocabulary
from backcare.vision.errors import Reason

STEPS = list(vocabulary().movements)


@pytest.fixture
async def at_photos(chat, interview, healthy):
    await chat.consent()
    await chat.answer_all(interview, healthy)
    assert chat.step == "photos"
    return chat


async def test_each_step_comes_with_its_own_guidance_in_order(at_photos):
    chat = at_photos
    texts = default_texts()
    for n, step in enumerate(STEPS, start=1):
        assert f"Photo {n} of 8: {vocabulary().movements[step].text['en']}" in chat.text
        assert texts.get(f"photo.steps.{step}", "en") in chat.text
        assert chat.replies[-1].meta["step"] == step and chat.replies[-1].expects == "photo"
        await chat.photo()
    assert chat.step == "results"


@pytest.mark.parametrize("reason", list(Reason))
async def test_a_refused_photo_gets_advice_for_its_reason_and_can_be_retaken(
    at_photos, services, reason
):
    chat = at_photos
    await chat.photo(f"refuse:{reason.value}:feet".encode())
    assert (
        chat.state.photos.index == 0
        and chat.state.photos.results["standing_side"]["accepted"] is False
    )
    template = default_texts().table[f"photo.reasons.{reason.value}"]["en"]
    assert template.split("{")[0][:40] in chat.text  # the advice, up to its detail
    assert "couldn't use this photo" in chat.text
    # drivers end their "Analysing..." message by it: a photo never analysed is not "analysed"
    failed = [r.meta["analysis_failed"] for r in chat.replies if r.meta.get("analysis_failed")]
    never_analysed = reason in (Reason.WORKER_FAILED, Reason.TIMEOUT)
    assert failed == ([reason.value] if never_analysed else [])
    await chat.photo()
    assert chat.state.photos.index == 1 and chat.state.photos.results["standing_side"]["accepted"]


async def test_a_wrong_movement_names_what_was_seen_in_plain_words(new_chat, interview, healthy):
    chat = new_chat(language="ja")
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.photo(b"refuse:wrong_movement:forward_bend")
    assert "「前屈」のように見えます" in chat.text


async def test_a_failing_analysis_of_a_photo_is_a_refusal_the_user_can_retry(at_photos):
    chat = at_photos
    await chat.photo(b"crash")
    assert chat.step == "photos" and "went wrong while analysing" in chat.text
    assert chat.state.photos.results["standing_side"]["reason"] == "worker_failed"
    assert [r.meta.get("analysis_failed") for r in chat.replies] == ["worker_failed"]


async def test_a_painful_movement_can_be_skipped(at_photos, services):
    chat = at_photos
    await chat.photo()
    await chat.press(buttons.PHOTO_SKIP)
    assert chat.state.photos.skipped == ["standing_back"] and "Never push into pain" in chat.text
    await chat.all_photos()
    assert chat.step == "results"
    photos = services.report_calls[0][1]
    assert [p.step for p in photos] == [s for s in STEPS if s != "standing_back"]
    assert "Not measured: Standing, back view." in chat.text


async def test_after_several_refusals_skipping_is_suggested(at_photos):
    chat = at_photos
    for _ in range(3):
        await chat.photo(b"refuse:blurred")
    assert "fine to skip it" in chat.text


async def test_back_retakes_the_previous_photo(at_photos):
    chat = at_photos
    await chat.photo()
    await chat.photo()
    await chat.press(buttons.command("back"))
    assert chat.state.photos.index == 1 and "retake: Standing, back view" in chat.text
    await chat.photo(b"refuse:too_dark")
    assert chat.state.photos.results["standing_back"]["accepted"] is False
    await chat.photo()
    assert chat.state.photos.index == 2


async def test_back_from_the_first_photo_returns_to_the_last_question(at_photos, interview):
    chat = at_photos
    await chat.command("back")
    assert chat.step == "interview" and chat.current == "notes" and chat.state.result is None
    await chat.answer(interview, "Sore after gardening")
    assert chat.step == "photos"


async def test_text_while_a_photo_is_expected_asks_for_the_photo(at_photos):
    chat = at_photos
    await chat.type("here it is")
    assert chat.step == "photos" and "send a photo for this step" in chat.text


async def test_photo_bytes_never_enter_the_state(at_photos):
    chat = at_photos
    await chat.photo(b"\xff\xd8 very private body picture")
    saved = json.dumps(chat.saved)
    assert "private body picture" not in saved and "\\u00ff" not in saved


async def test_a_failed_report_can_be_retried(at_photos, services):
    chat = at_photos
    services.fail_reports = 1
    await chat.all_photos()
    assert chat.step == "analysis" and "couldn't finish the analysis" in chat.text
    await chat.type("hello?")
    assert chat.step == "analysis"
    await chat.press(buttons.ANALYSIS_RETRY)
    assert chat.step == "results" and "most likely keeps your back pain going" in chat.text
    assert len(services.report_calls) == 2


async def test_pictures_are_kept_in_memory_only_until_shown_unless_the_user_allows_it(
    chat, new_chat, interview, healthy, dialogs
):
    await chat.consent(keep_photos=False)
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    assert dialogs.pictures.get(chat.state.session) == {}
    keeper = new_chat()
    await keeper.consent(keep_photos=True)
    await keeper.answer_all(interview, healthy)
    await keeper.all_photos()
    assert set(dialogs.pictures.get(keeper.state.session)) == set(STEPS)


async def test_with_every_movement_skipped_the_program_rests_on_the_answers(at_photos, services):
    chat = at_photos
    for _ in STEPS:
        await chat.press(buttons.PHOTO_SKIP)
    assert chat.step == "results" and services.report_calls[0][1] == []
    assert "based on your answers only" in chat.text


async def test_the_progress_message_can_go_out_before_the_analysis_runs(at_photos, services):
    chat = at_photos
    for _ in STEPS[:-1]:
        await chat.photo()
    sent_early = []

    async def early(replies):
        assert services.report_calls == []  # the analysis has not started yet
        sent_early.extend(replies)

    state, replies = await chat.dialogs.advance(
        chat.state, Event("photo", photo=b"\xff\xd8", filename="x.jpg"), early=early
    )
    assert "Analysing" in sent_early[-1].text and sent_early[0].images
    assert state.step == "results" and not any("Analysing" in r.text for r in replies)
    assert "most likely keeps your back pain going" in replies[0].text


@pytest.mark.parametrize("language, expected", [("en", "(knees, feet)"), ("ja", "（膝・足先）")])
async def test_the_parts_cut_off_are_named_in_the_users_language(
    new_chat, interview, healthy, language, expected
):
    chat = new_chat(language=language)
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.photo(b"refuse:cropped:knees,feet")
    assert expected in chat.text
