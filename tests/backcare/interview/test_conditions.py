"""The condition language: structured, three-valued, never eval."""

from __future__ import annotations

import pytest

from backcare.interview.conditions import (
    AllOf,
    AnyOf,
    AtLeast,
    Compare,
    Not,
    evaluate,
    questions_in,
    scores_in,
)

T = Compare("q", "t", "==", True)  # true when t is True
F = Compare("q", "f", "==", True)  # false when f is False
U = Compare("q", "missing", "==", True)  # unknown: never answered
ANSWERS = {"t": True, "f": False, "age": 56, "worse": ["sitting"], "sex": "male"}


@pytest.mark.parametrize(
    "cond, expected",
    [
        (AllOf((T, T)), True),
        (AllOf((T, F)), False),
        (AllOf((T, U)), None),
        (AllOf((F, U)), False),
        (AnyOf((F, F)), False),
        (AnyOf((F, T)), True),
        (AnyOf((F, U)), None),
        (AnyOf((T, U)), True),
        (Not(T), False),
        (Not(F), True),
        (Not(U), None),
        (None, True),
    ],
)
def test_kleene_logic(cond, expected):
    assert evaluate(cond, ANSWERS) is expected


@pytest.mark.parametrize(
    "op, value, expected",
    [
        (">=", 55, True),
        (">", 56, False),
        ("<", 57, True),
        ("<=", 55, False),
        ("==", 56, True),
        ("!=", 56, False),
        ("in", [55, 56], True),
    ],
)
def test_number_comparisons(op, value, expected):
    assert evaluate(Compare("q", "age", op, value), ANSWERS) is expected


def test_list_and_choice_operators():
    assert evaluate(Compare("q", "worse", "contains", "sitting"), ANSWERS) is True
    assert evaluate(Compare("q", "worse", "contains_any", ["bending", "lifting"]), ANSWERS) is False
    assert evaluate(Compare("q", "sex", "in", ["female", "other"]), ANSWERS) is False


def test_answered_is_never_unknown():
    assert evaluate(Compare("q", "age", "answered"), ANSWERS) is True
    assert evaluate(Compare("q", "missing", "answered"), ANSWERS) is False
    assert evaluate(Compare("q", "skipped", "answered"), {"skipped": None}) is False


def test_scores_are_compared_like_answers():
    cond = Compare("score", "startback_total", "<=", 3)
    assert evaluate(cond, {}, {"startback_total": 3.0}) is True
    assert evaluate(cond, {}, {}) is None


def test_references_are_listed():
    cond = AllOf((T, Not(AnyOf((U, Compare("score", "bmi", ">=", 25))))))
    assert questions_in(cond) == {"t", "missing"}
    assert scores_in(cond) == {"bmi"}


@pytest.mark.parametrize(
    "cond, expected",
    [
        (AtLeast(2, (T, T, F)), True),
        (AtLeast(2, (T, F, F)), False),
        (AtLeast(2, (T, F, U)), None),  # the unknown one could still make it
        (AtLeast(2, (T, T, U)), True),  # already enough
        (AtLeast(3, (T, F, U)), False),  # cannot reach 3 any more
        (AtLeast(1, (U, U)), None),
    ],
)
def test_at_least_counts_criteria_and_is_unknown_only_while_it_could_go_either_way(cond, expected):
    assert evaluate(cond, ANSWERS) is expected
