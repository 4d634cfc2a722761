"""One validation for chat answers and answers files: typed value or a keyed error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backcare.interview import (
    ANSWER_ERRORS,
    AnswerError,
    AnswersError,
    load_answers,
    validate_answer,
)


def q(interview, qid):
    return interview.questions[qid]


@pytest.mark.parametrize(
    "qid, raw, expected",
    [
        ("age", "42", 42),
        ("age", " ４２歳 ", 42),
        ("age", 42.0, 42),
        ("height", "172.5cm", 172.5),
        ("height", "172,5", 172.5),
        ("activity", "1,500", 1500),
        ("sitting_hours", "7.5 hours", 7.5),
        ("pain_now", "7", 7),
        ("pain_now", 0, 0),
        ("saddle", "no", False),
        ("saddle", "はい", True),
        ("saddle", True, True),
        ("saddle", "Y", True),
        ("sex", "female", "female"),
        ("sex", "Female", "female"),
        ("sex", "男性", "male"),
        ("worse", ["bending", "sitting"], ["sitting", "bending"]),
        ("worse", "Sitting, lifting", ["sitting", "lifting"]),
        ("pain_where", ["below_knee_r", "lower_back"], ["lower_back", "below_knee_r"]),
        ("notes", "  Two lines\nof text  ", "Two lines\nof text"),
        ("notes", "Two lines\r\nof\ttext\r", "Two lines\nof text"),  # tabs and CRLF: whitespace
        ("notes", "old\rMac", "old\nMac"),
        ("age", "\t42\t", 42),
        ("sex", "female\t", "female"),
        ("notes", "", None),
        ("notes", None, None),
    ],
)
def test_valid_answers_become_typed_values(interview, qid, raw, expected):
    value = validate_answer(q(interview, qid), raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "qid, raw, key",
    [
        ("age", "17", "answer.out_of_range"),
        ("age", 101, "answer.out_of_range"),
        ("pain_now", "11", "answer.out_of_range"),
        ("age", "forty", "answer.not_a_number"),
        ("age", "nan", "answer.not_a_number"),
        ("age", "1e2", "answer.not_a_number"),
        ("age", True, "answer.not_a_number"),
        ("age", [42], "answer.not_a_number"),
        ("height", float("inf"), "answer.not_a_number"),
        ("age", "42.5", "answer.whole_number"),
        ("pain_now", "6.5", "answer.whole_number"),
        ("age", "", "answer.empty"),
        ("age", "   ", "answer.empty"),
        ("worse", [], "answer.empty"),
        ("sex", None, "answer.empty"),
        ("saddle", "maybe", "answer.yes_or_no"),
        ("saddle", 2, "answer.yes_or_no"),
        ("sex", "robot", "answer.not_an_option"),
        ("sex", ["female"], "answer.not_an_option"),
        ("worse", 3, "answer.not_an_option"),
        ("worse", ["sitting", "none"], "answer.exclusive"),
        ("notes", "x" * 501, "answer.too_long"),
        ("notes", 42, "answer.wrong_type"),
        ("notes", "hello\x00", "answer.control_characters"),
        ("notes", "evil\u202etxt", "answer.control_characters"),
        ("age", "4\x1b2", "answer.control_characters"),
        ("age", "42\r\n", "answer.control_characters"),  # a line break only in free text
        ("notes", "tab\t\x0bvertical tab", "answer.control_characters"),
    ],
)
def test_invalid_answers_raise_a_keyed_error(interview, qid, raw, key):
    with pytest.raises(AnswerError) as caught:
        validate_answer(q(interview, qid), raw)
    assert caught.value.key == key
    assert str(caught.value)  # an English message for the command line


def test_out_of_range_names_the_range(interview):
    with pytest.raises(AnswerError) as caught:
        validate_answer(q(interview, "age"), "12")
    assert caught.value.params == {"min": "18", "max": "100"}


def test_every_error_key_has_an_english_message():
    assert all(key.startswith("answer.") and message for key, message in ANSWER_ERRORS.items())


def test_an_answers_file_loads(interview, healthy_path):
    answers = load_answers(healthy_path, interview)
    assert (
        answers["age"] == 42
        and answers["saddle"] is False
        and answers["worse"] == ["sitting", "bending"]
    )


def test_a_json_answers_file_loads(interview, tmp_path: Path):
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps({"age": 60, "saddle": False, "worse": ["lifting"]}), encoding="utf-8"
    )
    assert load_answers(path, interview) == {"age": 60, "saddle": False, "worse": ["lifting"]}


def test_bad_answers_are_reported_by_question_id_and_line(interview, tmp_path: Path):
    path = tmp_path / "a.yaml"
    path.write_text("age: 42\nheight: 500\nsex: robot\nshoe_size: 44\n", encoding="utf-8")
    with pytest.raises(AnswersError) as caught:
        load_answers(path, interview)
    found = {(p.field, p.line) for p in caught.value.problems}
    assert found == {("height", 2), ("sex", 3), ("shoe_size", 4)}
    assert "between 120 and 220" in str(caught.value)


def test_a_broken_answers_file_is_an_answers_error(interview, tmp_path: Path):
    path = tmp_path / "a.json"
    path.write_text('{"age": 42,\n "sex": }', encoding="utf-8")
    with pytest.raises(AnswersError) as caught:
        load_answers(path, interview)
    assert caught.value.problems[0].line == 2
    path = tmp_path / "b.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(AnswersError, match="mapping"):
        load_answers(path, interview)
