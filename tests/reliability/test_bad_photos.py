"""Odd and hostile picture files through the bot, into the real vision pool and back.

Sent as files (documents), the way people send originals, screenshots and
anything else. A file vision can read is analysed whatever its format, depth,
colour model or metadata; one it cannot is refused with a reason the patient can
act on. None may cost the patient "something went wrong, send it again" (which
would fail again), kill the worker, or hold up anyone else.
"""

from __future__ import annotations

import pytest

from backcare.application.pipeline import Pipeline
from tests.reliability import images
from tests.reliability.live import NO_VERDICT, STANDING_SIDE, analysed, live_bot, place, state_at
from tests.support.patients import dialog_of

REFUSED_FOR_WHAT_THE_FILE_IS = ("corrupt", "not_image", "too_large", "too_small_image")

# case -> (builder, file name, MIME type, expected: a refusal reason, "analysed" or "no photo")
CASES = {
    "a decompression bomb (3.6 gigapixels announced)": (
        images.header_bomb,
        "bomb.png",
        "image/png",
        "too_large",
    ),
    "49 megapixels of zeros in 50 kB": (images.zeros_bomb, "zeros.png", "image/png", "analysed"),
    "a 48 megapixel original": (images.huge, "IMG_4000.JPG", "image/jpeg", "analysed"),
    "a truncated JPEG": (images.truncated, "cut.jpg", "image/jpeg", "corrupt"),
    "a tiny thumbnail": (images.tiny, "thumb.jpg", "image/jpeg", "too_small_image"),
    "an animated GIF": (images.animated, "moving.gif", "image/gif", "analysed"),
    "a 16-bit PNG": (images.sixteen_bit, "deep.png", "image/png", "analysed"),
    "a CMYK JPEG": (images.cmyk, "print.jpg", "image/jpeg", "analysed"),
    "a grayscale JPEG": (images.grayscale, "grey.jpg", "image/jpeg", "analysed"),
    "a PNG with transparency": (images.alpha, "cutout.png", "image/png", "analysed"),
    "an iPhone HEIC": (images.heic, "IMG_0001.HEIC", "image/heic", "analysed"),
    "pixels sideways with an EXIF rotation": (
        images.rotated_exif,
        "turned.jpg",
        "image/jpeg",
        "analysed",
    ),
    "an EXIF orientation that does not exist": (
        images.invalid_orientation,
        "o.jpg",
        "image/jpeg",
        "analysed",
    ),
    "an EXIF block of noise": (images.garbage_exif, "noise.jpg", "image/jpeg", "analysed"),
    "an EXIF focal length of 0/0": (
        images.odd_focal_length,
        "focal.jpg",
        "image/jpeg",
        "analysed",
    ),
    "a PDF named .jpg": (images.pdf, "scan.jpg", "image/jpeg", "not_image"),
    "an empty file": (images.empty, "nothing.jpg", "image/jpeg", "no photo"),
}
REASON_WORDS = {
    "too_large": "The picture is too large",
    "corrupt": "The picture file seems damaged",
    "too_small_image": "The picture is too small to measure",
    "not_image": "That file isn't a picture",
}

# Pillow warns about the broken metadata these files carry on purpose
pytestmark = pytest.mark.filterwarnings(
    "ignore:Corrupt EXIF data:UserWarning", "ignore:Truncated File Read:UserWarning"
)


@pytest.fixture(scope="module")
def pipeline():
    from backcare.vision.pool import PoseService

    service = PoseService(workers=1, timeout_s=60)
    yield Pipeline(service)
    service.close()


@pytest.fixture(scope="module")
def original() -> bytes:
    return STANDING_SIDE.read_bytes()


@pytest.mark.parametrize("build, filename, mime, expected", CASES.values(), ids=CASES.keys())
async def test_a_picture_file_is_analysed_or_refused_for_what_it_is(
    pipeline, registry, answers, data_file, original, build, filename, mime, expected
):
    data = build(original)
    async with live_bot(data_file, registry, pipeline, config={"max_photo_mb": 20}) as bot:
        patient = bot.api.user(80001)
        place(bot.storage, patient.id, await state_at(registry, answers))
        bot.api.send_document(patient, data, filename, mime_type=mime)
        await bot.settle(timeout=60)
        result = dialog_of(bot.storage.get_state(patient.id)).photos.results.get(
            "standing_side", {}
        )
        texts = [m.plain for m in bot.api.messages(patient.id) if m.kind == "text"]
        assert not any("went wrong" in t for t in texts), texts
        if expected == "analysed":
            assert analysed(result) and result.get("reason") not in REFUSED_FOR_WHAT_THE_FILE_IS, (
                result
            )
        elif expected == "no photo":  # nothing to analyse: asked for the photo again
            assert result == {} and texts[-1].startswith("Please send a photo for this step")
        else:
            assert result["reason"] == expected
            assert REASON_WORDS[expected] in texts[-1]
        assert dialog_of(bot.storage.get_state(patient.id)).step == "photos"
        # the pool is fine: the next patient's ordinary photo is analysed
        other = bot.api.user(80002)
        place(bot.storage, other.id, await state_at(registry, answers))
        bot.api.send_photo(other, original)
        await bot.settle(timeout=60)
        assert analysed(dialog_of(bot.storage.get_state(other.id)).photos.results["standing_side"])


async def test_a_sideways_photo_with_its_exif_rotation_gets_the_verdict_of_the_upright_one(
    pipeline, original
):
    upright = await pipeline.analyse_photo(original, "standing_side")
    turned = await pipeline.analyse_photo(images.rotated_exif(original), "standing_side")
    assert upright.reason not in NO_VERDICT
    assert (turned.accepted, turned.reason, turned.view) == (
        upright.accepted,
        upright.reason,
        upright.view,
    )
