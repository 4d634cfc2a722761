"""An observation's value from vision's measurements, as a rule's ``value`` says
(one measurement, a share of two, a mean or a left-right difference).

Pure functions. When the value cannot be had, :class:`Derived` says why with one
of :data:`REASONS`, so the observation becomes ``not_assessed`` with a reason the
patient can be told.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from backcare.assessment.thresholds import Term, ValueSpec
from backcare.vision.types import Measurement

REASONS = (
    "no_photo",  # the capture step has no accepted photo
    "not_measured",  # the photo's view did not allow this measurement
    "low_confidence",  # measured, but too unsure to rate
    "too_little_movement",  # a share of a movement too small to split
    "unusable",  # not a finite number, or in a unit we cannot convert
    "needs_both_sides",  # a left-right comparison with one side missing
    "imprecise",  # measured, but its uncertainty is wider than the usual range can tell
)

Steps = Mapping[str, Mapping[str, Measurement]]


@dataclass(frozen=True)
class Derived:
    """A value ready to rate, or the reason there is none.

    confidence: the weakest measurement's confidence (times the partial factor when
                only some of the terms were available)
    method:     Measurement.method of the inputs ("+"-joined when several)
    side:       "left" | "right" for a side-specific value, else None
    uncertainty: the value's uncertainty propagated from the measurements' own (first
                order, inputs independent); None when any input carries none (the rule's
                default for the method is used then)
    """

    value: float | None
    confidence: float = 0.0
    method: str = ""
    side: str | None = None
    reason: str = ""
    uncertainty: float | None = None


def _convert(value: float, unit: str, wanted: str | None) -> float | None:
    if wanted is None or unit == wanted:
        return value
    if (unit, wanted) == ("%", "ratio"):
        return value / 100.0
    if (unit, wanted) == ("ratio", "%"):
        return value * 100.0
    return None


def _confidence(m: Measurement) -> float:
    try:
        c = float(m.confidence)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, c)) if math.isfinite(c) else 0.0


def _fetch(term: Term, steps: Steps, unit: str | None) -> tuple[float, Measurement] | str:
    """The signed value of one term in ``unit``, or the reason it is unavailable."""
    if term.step not in steps:
        return "no_photo"
    m = steps[term.step].get(term.name)
    if m is None:
        return "not_measured"
    if isinstance(m.value, bool) or not isinstance(m.value, numbers.Real):
        return "unusable"  # numpy scalars are Real; strings and None are not
    value = float(m.value)
    if not math.isfinite(value):
        return "unusable"
    converted = _convert(value, getattr(m, "unit", ""), unit)
    if converted is None:
        return "unusable"
    return term.sign * converted, m


def _why(reasons: list[str]) -> str:
    """One reason for several failed terms: a real fault beats a missing photo."""
    faults = [r for r in reasons if r != "no_photo"]
    return faults[0] if faults else "no_photo"


def own_uncertainty(m: Measurement, unit: str | None = None) -> float | None:
    """The measurement's own uncertainty (value ± u, in its unit, converted to ``unit``),
    or None when vision gave none or an unusable one."""
    u = getattr(m, "uncertainty", None)
    if isinstance(u, bool) or not isinstance(u, numbers.Real) or not math.isfinite(float(u)):
        return None
    if u < 0:
        return None
    return _convert(float(u), getattr(m, "unit", ""), unit)


def _combined(parts: list[tuple[float, Measurement]], unit: str | None) -> float | None:
    """sqrt(sum (weight * u)^2) over (weight, measurement); None if any u is missing."""
    total = 0.0
    for weight, m in parts:
        u = own_uncertainty(m, unit)
        if u is None:
            return None
        total += (weight * u) ** 2
    return math.sqrt(total)


def _method(ms: list[Measurement]) -> str:
    return "+".join(sorted({str(m.method) for m in ms}))


def _side(spec: ValueSpec, first: float, second: float) -> str | None:
    if spec.sides is None or first == second:
        return None
    return spec.sides[0] if first > second else spec.sides[1]


def derive(spec: ValueSpec, steps: Steps, unit: str, partial_confidence: float = 0.75) -> Derived:
    """The value ``spec`` describes, from the measurements of each capture step."""
    fetch_unit = None if spec.op == "share" else unit
    got = [_fetch(t, steps, fetch_unit) for t in spec.terms]

    if spec.op == "measure":
        item = got[0]
        if isinstance(item, str):
            return Derived(None, reason=item)
        v, m = item
        return Derived(
            abs(v) if spec.abs else v,
            _confidence(m),
            str(m.method),
            _side(spec, v, 0.0),
            uncertainty=_combined([(1.0, m)], unit),
        )

    if spec.op == "difference":
        failed = [g for g in got if isinstance(g, str)]
        if failed:
            one_side_missing = failed.count("no_photo") == 1 and len(failed) == 1
            return Derived(None, reason="needs_both_sides" if one_side_missing else _why(failed))
        first, second = got
        assert not isinstance(first, str) and not isinstance(second, str)  # failed is empty
        (a, ma), (b, mb) = first, second
        if spec.abs:
            a, b = abs(a), abs(b)
        return Derived(
            abs(a - b),
            min(_confidence(ma), _confidence(mb)),
            _method([ma, mb]),
            _side(spec, a, b),
            uncertainty=_combined([(1.0, ma), (1.0, mb)], unit),
        )

    if spec.op == "mean":
        ok = [g for g in got if not isinstance(g, str)]
        need = spec.min_count or len(spec.terms)
        if len(ok) < need:
            return Derived(None, reason=_why([g for g in got if isinstance(g, str)]))
        values = [abs(v) if spec.abs else v for v, _ in ok]
        conf = min(_confidence(m) for _, m in ok)
        if len(ok) < len(spec.terms):
            conf *= partial_confidence
        n = len(values)
        return Derived(
            sum(values) / n,
            conf,
            _method([m for _, m in ok]),
            uncertainty=_combined([(1.0 / n, m) for _, m in ok], unit),
        )

    # share: part / (part + rest) per pair, mean over the pairs available
    shares: list[float] = []
    used: list[Measurement] = []
    spread: list[tuple[float, Measurement]] = []  # d share / d input, per input
    reasons: list[str] = []
    for i in range(0, len(got), 2):
        part, rest = got[i], got[i + 1]
        if isinstance(part, str) or isinstance(rest, str):
            reasons += [g for g in (part, rest) if isinstance(g, str)]
            continue
        (p, mp), (r, mr) = part, rest
        if getattr(mp, "unit", "") != getattr(mr, "unit", ""):
            reasons.append("unusable")
            continue
        if spec.abs:
            p, r = abs(p), abs(r)
        # A part moving the other way took none of the movement.
        p, r = max(p, 0.0), max(r, 0.0)
        total = p + r
        if total <= 0 or total < spec.min_total:
            reasons.append("too_little_movement")
            continue
        shares.append(p / total)
        used += [mp, mr]
        spread += [(r / total**2, mp), (p / total**2, mr)]
    if not shares:
        return Derived(None, reason=_why(reasons))
    conf = min(_confidence(m) for m in used)
    if len(shares) < len(spec.pairs):
        conf *= partial_confidence
    n = len(shares)
    return Derived(
        sum(shares) / n,
        conf,
        _method(used),
        uncertainty=_combined([(w / n, m) for w, m in spread], None),
    )
