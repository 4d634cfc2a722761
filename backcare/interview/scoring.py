"""Computed scores: sums of points (STarT Back), body-mass index, single values (pain)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backcare.interview.model import Interview, Question, Score


def item_points(question: Question, value: Any) -> float | None:
    """What one answer adds to a sum score (None when unanswered)."""
    if value is None:
        return None
    if question.type == "yes_no":
        return 1.0 if value else 0.0
    if question.type == "single":
        option = question.option(value)
        return option.points if option is not None else None
    return float(value)


def score_value(interview: Interview, score: Score, answers: Mapping[str, Any]) -> float | None:
    """A score's value, or None until every question it needs is answered."""
    if score.kind == "sum":
        points = [item_points(interview.questions[q], answers.get(q)) for q in score.items]
        known = [p for p in points if p is not None]
        return None if len(known) < len(points) else float(sum(known))
    if score.kind == "bmi":
        if score.weight is None or score.height is None:
            return None  # the loader requires both for a bmi score
        weight, height = answers.get(score.weight), answers.get(score.height)
        if weight is None or height is None or height <= 0:
            return None
        return round(float(weight) / (float(height) / 100.0) ** 2, 1)
    value = answers.get(score.items[0])
    return None if value is None else float(value)


def compute_scores(interview: Interview, answers: Mapping[str, Any]) -> dict[str, float]:
    """Every score whose questions are all answered."""
    out: dict[str, float] = {}
    for name, score in interview.scores.items():
        value = score_value(interview, score, answers)
        if value is not None:
            out[name] = value
    return out
