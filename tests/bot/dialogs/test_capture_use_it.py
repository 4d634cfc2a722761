"""A photo measured for its step that looks like another movement: the patient decides.

A restricted movement is a finding, not a wrong photo (issue 14): vision measures the
photo as the step asked and, when it clearly shows another movement, says which one;
the dialog asks "This looks like a twist. Use it as your ... photo anyway, or retake it?"
"""

from __future__ import annotations

import pytest

from backcare.bot.dialogs import buttons
from backcare.report.types import PhotoResult
from backcare.vision.types import Measurement

LOOKS_LIKE_A_TWIST = b"looks-like-a-twist"


@pytest.fixture
async def at_photos(chat, interview, healthy, services, monkeypatch):
    original = services.analyse_photo

    async def analyse(data: bytes, step: str, filename: str | None = None) -> PhotoResult:
        if data == LOOKS_LIKE_A_TWIST:
            return PhotoResult(
                step=step,
                source=filename or step,
                accepted=False,
                reason="wrong_movement",
                detail="rotation",
                measurements={
                    "trunk_inclination": Measurement(
                        "trunk_inclination", 3.0, "deg", 0.9, "3d-fused", uncertainty=5.0
                    )
                },
                view="front",
                movement_seen="rotation",
                suggested_step="rotation_left",
            )
        return await original(data, step, filename)

    monkeypatch.setattr(services, "analyse_photo", analyse)
    await chat.consent()
    await chat.answer_all(interview, healthy)
    assert chat.step == "photos"
    return chat


async def test_the_patient_is_asked_and_may_use_it_for_the_step(at_photos):
    chat = at_photos
    await chat.photo(LOOKS_LIKE_A_TWIST)
    assert "This looks like a twist" in chat.text and "Standing, side view" in chat.text
    assert chat.state.photos.index == 0  # not moved on, not refused for good
    await chat.press(buttons.PHOTO_USE)
    photos = chat.state.photos
    assert photos.index == 1
    kept = photos.results["standing_side"]
    assert kept["accepted"] and kept["reason"] is None
    assert kept["measurements"]["trunk_inclination"]["value"] == 3.0
    assert photos.pending is None


async def test_the_patient_may_retake_it_instead(at_photos):
    chat = at_photos
    await chat.photo(LOOKS_LIKE_A_TWIST)
    await chat.press(buttons.PHOTO_RETAKE)
    photos = chat.state.photos
    assert photos.index == 0 and not photos.results["standing_side"]["accepted"]
    assert "retake" in chat.text.lower()
    await chat.photo()  # a good photo this time
    assert chat.state.photos.index == 1


async def test_a_wrong_movement_without_measurements_is_still_refused_with_advice(at_photos):
    chat = at_photos
    await chat.photo(b"refuse:wrong_movement:forward_bend")
    assert "rather than the movement asked for" in chat.text
    assert buttons.PHOTO_USE not in chat.offered()


async def test_the_question_reads_in_japanese(new_chat, interview, healthy, services, monkeypatch):
    chat = new_chat(language="ja")

    async def analyse(data: bytes, step: str, filename: str | None = None) -> PhotoResult:
        bend = Measurement("lateral_bend", 15.0, "deg", 0.9, "3d-fused")
        return PhotoResult(
            step=step,
            source="x",
            accepted=False,
            reason="wrong_movement",
            detail="side_bend",
            measurements={"lateral_bend": bend},
        )

    monkeypatch.setattr(services, "analyse_photo", analyse)
    await chat.consent()
    await chat.answer_all(interview, healthy)
    await chat.photo(b"x")
    assert "「側屈」のように見えます" in chat.text
    assert {buttons.PHOTO_USE, buttons.PHOTO_RETAKE} <= chat.offered()
