"""Fuzzing what parses patients' input: the answers parser and the image loader.

An answer is taken in its one stored form, or refused with a message key the
dialogs translate; a file becomes an upright RGB picture of a workable size, or a
typed refusal. Nothing else may come out of them, whatever comes in.
"""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from backcare.interview import load_interview
from backcare.interview.answers import (
    ANSWER_ERRORS,
    AnswerError,
    AnswersError,
    validate_answer,
    validate_answers,
)
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.loading import MIN_SIDE, WORK_SIDE, focal_35mm, load_image
from tests.reliability import images
from tests.reliability.fuzzing import fuzz_settings
from tests.reliability.live import INTERVIEW

# Pillow warns about the broken metadata these files carry on purpose
pytestmark = pytest.mark.filterwarnings(
    "ignore:Corrupt EXIF data:UserWarning", "ignore:Truncated File Read:UserWarning"
)


@lru_cache(maxsize=1)
def interview():
    return load_interview(INTERVIEW)


# -- answers ----------------------------------------------------------------------------------
def typed_like_a_person(question) -> st.SearchStrategy:
    """Text close to a real answer: option ids and labels in any case, numbers with units."""
    labels = [o.id for o in question.options] + [
        t for o in question.options for t in o.text.values()
    ]
    units = [""] + list((question.unit or {}).values()) + [" years", "kg", "時間", " cm"]
    number = st.one_of(
        st.integers(-1000, 100_000).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.decimals(allow_nan=False, places=2).map(str),
    )
    pieces = st.one_of(
        st.sampled_from(labels or ["x"]),
        number,
        st.tuples(number, st.sampled_from(units)).map("".join),
        st.text(max_size=20),
    )
    return st.one_of(
        pieces,
        st.lists(pieces, max_size=4).map(", ".join),
        pieces.map(lambda s: s.upper()),
        pieces.map(lambda s: f"  {s}\u3000"),
    )


RAW = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(),
    st.lists(st.text(max_size=12), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@fuzz_settings(600)
@given(st.data())
def test_any_answer_is_taken_in_its_stored_form_or_refused_with_a_message_key(data):
    interview_ = interview()
    qid = data.draw(st.sampled_from(sorted(interview_.questions)))
    question = interview_.questions[qid]
    raw = data.draw(st.one_of(RAW, typed_like_a_person(question)))
    try:
        value = validate_answer(question, raw)
    except AnswerError as error:
        assert error.key in ANSWER_ERRORS and str(error)
        return
    assert validate_answer(question, value) == value, "the stored form is taken as it is"
    if value is None:
        assert not question.required
    elif question.type in ("single",):
        assert value in question.option_ids
    elif question.type in ("multiple", "body_map"):
        assert value and value == [o for o in question.option_ids if o in value]
    elif question.type in ("number", "scale"):
        assert (question.min is None or value >= question.min) and (
            question.max is None or value <= question.max
        )
    elif question.type == "yes_no":
        assert isinstance(value, bool)
    elif question.type == "text":
        assert isinstance(value, str) and len(value) <= (question.max_length or len(value))
        assert not any(unicodedata.category(c) == "Cc" and c != "\n" for c in value)


@fuzz_settings(150)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(sorted(interview().questions)), st.text(max_size=8)),
        RAW,
        max_size=6,
    )
)
def test_an_answers_file_of_any_shape_loads_or_names_each_bad_answer(answers):
    try:
        validate_answers(answers, interview(), "answers.yaml")
    except AnswersError as error:
        assert error.problems and all(
            p.file == "answers.yaml" and p.message for p in error.problems
        )


# -- the image loader ----------------------------------------------------------------------------
def _gradient(fmt: str, **kw) -> bytes:
    x = np.linspace(0, 255, 240)[None, :].repeat(200, 0)
    y = np.linspace(0, 255, 200)[:, None].repeat(240, 1)
    rgb = np.stack([x, y, np.full_like(x, 60)], axis=2).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format=fmt, **kw)
    return out.getvalue()


@lru_cache(maxsize=1)
def seeds() -> list[bytes]:
    base = _gradient("JPEG", quality=85)
    return [
        base,
        _gradient("PNG"),
        _gradient("GIF"),
        _gradient("WEBP"),
        _gradient("TIFF"),
        _gradient("BMP"),
        images.heic(base),
        images.sixteen_bit(base),
        images.cmyk(base),
        images.alpha(base),
        images.rotated_exif(base),
        images.garbage_exif(base),
    ]


@st.composite
def damaged(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "repeat", "header"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 256))] * draw(st.integers(1, 4))
        elif op == "header" and len(data) > 32:  # sizes, chunk lengths, markers live up front
            data[draw(st.integers(0, 31))] = draw(st.integers(0, 255))
    return bytes(data)


def loads_or_refuses(data: bytes) -> None:
    try:
        rgb = load_image(data)
    except PhotoRejected as refusal:
        assert isinstance(refusal.reason, Reason)
        return
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    assert min(rgb.shape[:2]) >= MIN_SIDE and max(rgb.shape[:2]) <= WORK_SIDE
    assert rgb.flags["C_CONTIGUOUS"]


@fuzz_settings(400)
@given(st.one_of(damaged(), st.binary(max_size=4096)))
@example(b"")
@example(b"\x89PNG\r\n\x1a\n")
@example(b"\xff\xd8\xff")
@example(b"GIF89a" + b"\x00" * 20)
def test_any_file_becomes_an_upright_rgb_picture_or_a_typed_refusal(data):
    loads_or_refuses(data)


@fuzz_settings(300)
@given(st.one_of(damaged(), st.binary(max_size=2048)))
def test_reading_the_lens_from_any_file_gives_a_focal_length_or_none(data):
    focal = focal_35mm(data)
    assert focal is None or 8.0 <= focal <= 300.0


def test_a_focal_length_of_zero_over_zero_is_none():
    assert focal_35mm(images.odd_focal_length(seeds()[0])) is None
