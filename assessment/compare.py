"""Progress: how each observation moved between two assessments.

    compare(before, after) -> list[Change]

Better or worse is judged against the usual range, not by the raw number: moving
into the range is better, out of it worse; staying outside counts only when the
distance to the range changed by more than the camera method's error (smaller
changes are noise, "same").
"""

from __future__ import annotations

from collections.abc import Iterable

from backcare.assessment.texts import Texts
from backcare.assessment.texts import texts as default_texts
from backcare.assessment.types import BORDERLINE, NOT_ASSESSED, Change, Observation
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.vocabulary import Vocabulary, vocabulary


def deviation(o: Observation) -> float:
    """How far the value lies outside the reference range (0 inside)."""
    if o.value is None or o.normal_range is None:
        return 0.0
    low, high = o.normal_range
    return max(0.0, low - o.value, o.value - high)


def _level(rating: str) -> int:
    """0 usual, 1 borderline, 2 unusual: an order to tell better from worse."""
    return 0 if rating == "normal" else 1 if rating == BORDERLINE else 2


def direction(before: Observation | None, after: Observation | None) -> str | None:
    """better | worse | same | new | lost, or None when neither was assessed."""
    had = before is not None and before.rating != NOT_ASSESSED
    has = after is not None and after.rating != NOT_ASSESSED
    if not had and not has:
        return None
    if not had:
        return "new"
    if not has:
        return "lost"
    assert before is not None and after is not None
    if before.rating == after.rating and before.rating in ("normal", BORDERLINE):
        return "same"
    if _level(before.rating) != _level(after.rating):
        return "better" if _level(after.rating) < _level(before.rating) else "worse"
    noise = max(before.uncertainty, after.uncertainty)
    was, now = deviation(before), deviation(after)
    if now < was - noise:
        return "better"
    if now > was + noise:
        return "worse"
    return "same"


def compare(
    before: Iterable[Observation],
    after: Iterable[Observation],
    *,
    sentences: Texts | None = None,
    vocab: Vocabulary | None = None,
) -> list[Change]:
    """One Change per observation assessed in either assessment, in vocabulary order."""
    sentences = sentences or default_texts()
    vocab = vocab or vocabulary()
    old = {o.name: o for o in before}
    new = {o.name: o for o in after}
    names = [n for n in vocab.observations if n in old or n in new]
    names += [n for n in {**old, **new} if n not in vocab.observations]
    out = []
    for name in names:
        b, a = old.get(name), new.get(name)
        way = direction(b, a)
        if way is None:
            continue
        term = vocab.observations.get(name)
        what = term.text if term else dict.fromkeys(LANGUAGES, name)
        either = a if a is not None else b
        assert either is not None  # direction() is None when neither was assessed
        unit = either.unit
        out.append(
            Change(
                name=name,
                before_rating=b.rating if b else NOT_ASSESSED,
                after_rating=a.rating if a else NOT_ASSESSED,
                before_value=b.value if b else None,
                after_value=a.value if a else None,
                direction=way,
                unit=unit,
                explanation=sentences.change(way, what),
            )
        )
    return out
