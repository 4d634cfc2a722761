"""Which question comes next: order, `when`, `next` branches, and the end."""

from __future__ import annotations

import pytest

from backcare.interview import loads_interview, next_question, remaining, walk
from backcare.kernel.vocabulary import Term, Vocabulary
from backcare.kernel.yamlfile import DataFileError

VOCAB = Vocabulary(
    movements={},
    observations={},
    causes={},
    facts={
        "smoker": Term("smoker", {"en": "smokes", "ja": "喫煙"}),
        "red_flag_fever": Term("red_flag_fever", {"en": "fever", "ja": "発熱"}, red_flag="urgent"),
    },
)

TEXT = """
version: "t1"
title: {en: "T", ja: "テ"}
sections:
  - id: one
    title: {en: "One", ja: "一"}
    questions:
      - id: smokes
        type: yes_no
        text: {en: "Smoke?", ja: "喫煙？"}
        next:
          - {when: {q: smokes, op: "==", value: false}, goto: fever}
      - id: per_day
        type: number
        min: 1
        max: 80
        text: {en: "How many a day?", ja: "1日何本？"}
      - id: fever
        type: yes_no
        text: {en: "Fever?", ja: "発熱？"}
        next:
          - {when: {q: fever, op: "==", value: true}, goto: end}
  - id: two
    title: {en: "Two", ja: "二"}
    when: {q: smokes, op: "==", value: true}
    questions:
      - id: quit
        type: yes_no
        text: {en: "Want to quit?", ja: "禁煙したい？"}
      - id: notes
        type: text
        optional: true
        max_length: 20
        when: {q: quit, op: "==", value: true}
        text: {en: "Why?", ja: "なぜ？"}
red_flags:
  - id: fever
    fact: red_flag_fever
    urgency: urgent
    when: {q: fever, op: "==", value: true}
    message: {en: "See a doctor.", ja: "受診してください。"}
    source: "Finucane LM et al. JOSPT 2020"
facts:
  smoker: {when: {q: smokes, op: "==", value: true}}
"""


@pytest.fixture(scope="module")
def small():
    return loads_interview(TEXT, "small.yaml", VOCAB)


def test_questions_come_in_file_order(small):
    assert next_question(small, {}, None) == "smokes"
    assert next_question(small, {"smokes": True}, "smokes") == "per_day"
    assert next_question(small, {"smokes": True, "per_day": 10}, "per_day") == "fever"


def test_a_branch_jumps_over_questions(small):
    assert next_question(small, {"smokes": False}, "smokes") == "fever"


def test_a_branch_to_end_finishes_the_interview(small):
    assert next_question(small, {"smokes": True, "per_day": 5, "fever": True}, "fever") is None


def test_a_section_condition_hides_its_questions(small):
    answers = {"smokes": False, "fever": False}
    assert next_question(small, answers, "fever") is None
    answers = {"smokes": True, "per_day": 5, "fever": False}
    assert next_question(small, answers, "fever") == "quit"


def test_a_question_condition_on_a_skipped_answer_hides_it(small):
    answers = {"smokes": True, "per_day": 5, "fever": False, "quit": False}
    assert next_question(small, answers, "quit") is None


def test_walk_replays_answers_up_to_the_first_unanswered(small):
    path, current = walk(small, {"smokes": False, "fever": False})
    assert path == ["smokes", "fever"] and current is None
    path, current = walk(small, {"smokes": True})
    assert path == ["smokes"] and current == "per_day"


def test_remaining_counts_questions_that_may_still_come(small):
    assert remaining(small, {}, "smokes") == 5
    assert remaining(small, {"smokes": False}, "fever") == 1  # section two is surely hidden


def test_a_section_condition_on_its_own_questions_is_refused():
    text = TEXT.replace(
        '    when: {q: smokes, op: "==", value: true}\n    questions:\n      - id: quit',
        '    when: {q: quit, op: "==", value: true}\n    questions:\n      - id: quit',
    )
    with pytest.raises(DataFileError, match="a condition on itself"):
        loads_interview(text, "small.yaml", VOCAB)
