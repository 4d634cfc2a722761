"""Which question comes next: file order, ``when`` conditions and ``next`` branches (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backcare.interview.conditions import evaluate
from backcare.interview.model import END, Interview
from backcare.interview.scoring import compute_scores


def is_shown(
    interview: Interview,
    qid: str,
    answers: Mapping[str, Any],
    scores: Mapping[str, float] | None = None,
) -> bool:
    """A question is asked only when its condition is surely true (unknown -> not asked)."""
    question = interview.questions[qid]
    if question.when is None:
        return True
    if scores is None:
        scores = compute_scores(interview, answers)
    return evaluate(question.when, answers, scores) is True


def next_question(
    interview: Interview, answers: Mapping[str, Any], after: str | None
) -> str | None:
    """The question to ask after ``after`` (None: the first), or None when the interview is over."""
    order = interview.order
    scores = compute_scores(interview, answers)
    start = 0
    if after is not None:
        start = order.index(after) + 1
        for branch in interview.questions[after].next:
            if evaluate(branch.when, answers, scores) is True:
                if branch.goto == END:
                    return None
                start = order.index(branch.goto)
                break
    for qid in order[start:]:
        if is_shown(interview, qid, answers, scores):
            return qid
    return None


def walk(interview: Interview, answers: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """Replay answers: the questions answered along the path, and the first unanswered one (or None)."""
    path: list[str] = []
    current = next_question(interview, answers, None)
    while current is not None and current in answers:
        path.append(current)
        current = next_question(interview, answers, current)
    return path, current


def remaining(interview: Interview, answers: Mapping[str, Any], current: str | None) -> int:
    """About how many questions are left, ``current`` included (unknown conditions count)."""
    if current is None:
        return 0
    scores = compute_scores(interview, answers)
    order = interview.order
    count = 0
    for qid in order[order.index(current) :]:
        if evaluate(interview.questions[qid].when, answers, scores) is not False:
            count += 1
    return count
