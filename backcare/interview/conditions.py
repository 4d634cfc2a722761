"""The condition language of interview.yaml: structured data, evaluated without eval.

    {q: age, op: ">=", value: 55}          a question's answer compared with a value
    {score: startback_total, op: "<=", value: 3}
    {all: [...]}  {any: [...]}  {not: ...}
    {at_least: 4, of: [...]}               criteria counts, e.g. 4 of the 5 ASAS items

Evaluation is three-valued (Kleene): a comparison on a question that was not
answered (skipped by branching, or not reached yet) is *unknown* (None), so a
fact derived from it is neither true nor false, and a question shown "when" it
holds is not shown. ``answered`` is the one operator that is never unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# op -> the question types it applies to (scores are numbers)
NUMERIC_OPS = ("<", "<=", ">", ">=")
OPS: dict[str, tuple[str, ...]] = {
    "==": ("single", "yes_no", "number", "scale"),
    "!=": ("single", "yes_no", "number", "scale"),
    "<": ("number", "scale"),
    "<=": ("number", "scale"),
    ">": ("number", "scale"),
    ">=": ("number", "scale"),
    "in": ("single", "number", "scale"),
    "contains": ("multiple", "body_map"),
    "contains_any": ("multiple", "body_map"),
    "answered": ("single", "multiple", "number", "yes_no", "scale", "text", "body_map"),
}


@dataclass(frozen=True)
class Compare:
    """``kind`` is "q" (a question's answer) or "score" (a computed score)."""

    kind: str
    ref: str
    op: str
    value: Any = None
    line: int | None = None


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


@dataclass(frozen=True)
class AtLeast:
    """At least ``count`` of ``parts`` hold (unknown while the unknown ones could decide it)."""

    count: int
    parts: tuple[Condition, ...]


Condition = Compare | AllOf | AnyOf | Not | AtLeast


def evaluate(
    cond: Condition | None, answers: Mapping[str, Any], scores: Mapping[str, float] | None = None
) -> bool | None:
    """True, False, or None (unknown). A missing condition is true."""
    if cond is None:
        return True
    if isinstance(cond, Compare):
        return _compare(cond, answers, scores or {})
    if isinstance(cond, AllOf):
        results = [evaluate(p, answers, scores) for p in cond.parts]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if isinstance(cond, AnyOf):
        results = [evaluate(p, answers, scores) for p in cond.parts]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if isinstance(cond, Not):
        result = evaluate(cond.part, answers, scores)
        return None if result is None else not result
    if isinstance(cond, AtLeast):
        results = [evaluate(p, answers, scores) for p in cond.parts]
        true, unknown = results.count(True), results.count(None)
        if true >= cond.count:
            return True
        return None if true + unknown >= cond.count else False
    raise TypeError(f"not a condition: {cond!r}")


def _compare(cond: Compare, answers: Mapping[str, Any], scores: Mapping[str, float]) -> bool | None:
    source: Mapping[str, Any] = answers if cond.kind == "q" else scores
    value = source.get(cond.ref)
    if cond.op == "answered":
        return value is not None
    if value is None:
        return None
    op, target = cond.op, cond.value
    if op == "==":
        return value == target
    if op == "!=":
        return value != target
    if op == "in":
        return value in target
    if op == "contains":
        return target in value
    if op == "contains_any":
        return any(t in value for t in target)
    if op == "<":
        return value < target
    if op == "<=":
        return value <= target
    if op == ">":
        return value > target
    if op == ">=":
        return value >= target
    raise ValueError(f"unknown operator {op!r}")


def references(cond: Condition | None) -> list[Compare]:
    """Every comparison in a condition, in order."""
    if cond is None:
        return []
    if isinstance(cond, Compare):
        return [cond]
    if isinstance(cond, (AllOf, AnyOf, AtLeast)):
        return [c for p in cond.parts for c in references(p)]
    return references(cond.part)


def questions_in(cond: Condition | None) -> set[str]:
    return {c.ref for c in references(cond) if c.kind == "q"}


def scores_in(cond: Condition | None) -> set[str]:
    return {c.ref for c in references(cond) if c.kind == "score"}


def both(a: Condition | None, b: Condition | None) -> Condition | None:
    """a AND b, where None means "always"."""
    if a is None:
        return b
    if b is None:
        return a
    return AllOf((a, b))
