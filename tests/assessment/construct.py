"""Builders for constructed measurements: the inverse of a rule's value spec.

``measurements_for(rule, v)`` gives per-step Measurements whose derived value is
``v``; ``probes(rule, band)`` lists values just inside, on and just outside every
threshold of a band, with the rating each must get. Both read thresholds.yaml, so
a changed threshold is still covered.
"""

from __future__ import annotations

from backcare.assessment.thresholds import Band, Rule
from backcare.assessment.types import Profile
from backcare.vision.types import Measurement

CONF = 0.9


def m(
    name: str, value: float, confidence: float = CONF, unit: str = "deg", method: str = "test"
) -> Measurement:
    return Measurement(name=name, value=value, unit=unit, confidence=confidence, method=method)


def _put(out: dict, term, value: float, confidence: float, unit: str) -> None:
    # value is the term's signed contribution; the measurement carries value / sign
    out.setdefault(term.step, {})[term.name] = m(term.name, value * term.sign, confidence, unit)


def measurements_for(
    rule: Rule, v: float, confidence: float = CONF
) -> dict[str, dict[str, Measurement]]:
    """Measurements of every step the rule reads, built so the derived value is ``v``."""
    spec = rule.value
    out: dict[str, dict[str, Measurement]] = {}
    if spec.op in ("measure", "mean"):
        for term in spec.terms:
            _put(out, term, v, confidence, rule.unit)
    elif spec.op == "difference":
        base = 20.0
        first, second = spec.terms
        _put(out, first, base + v, confidence, rule.unit)
        _put(out, second, base, confidence, rule.unit)
    elif spec.op == "share":
        total = max(100.0, 2 * spec.min_total)
        for part, rest in spec.pairs:
            _put(out, part, v * total, confidence, "deg")
            _put(out, rest, (1 - v) * total, confidence, "deg")
    else:  # pragma: no cover - a new operation needs a builder
        raise NotImplementedError(spec.op)
    return out


def profile_for(rule: Rule, band: Band) -> Profile:
    """A profile whose reference range is ``band`` (Profile() for the catch-all band)."""
    if band is rule.bands[-1]:
        return Profile()
    age = None
    if band.age is not None:
        start, end = band.age
        if start is not None:
            age = start
        else:
            assert end is not None, f"{rule.name}: an age band needs a start or an end"
            age = end - 1
    profile = Profile(age=age, sex=band.sex)
    assert rule.band_for(profile) is band, f"{rule.name}: no profile reaches band {band}"
    return profile


def probes(rule: Rule, band: Band) -> list[tuple[str, float, str]]:
    """(label, value, expected rating) around each limit where the rating changes: the
    interval value ± u is compared with the printed band, no widening."""
    tol = rule.error_for("test")
    eps = tol * 0.05
    wide = band.high - band.low > 2 * tol + 2 * eps  # room for an interval wholly inside
    out = []
    for side, limit, outward in ((rule.below, band.low, -1), (rule.above, band.high, 1)):
        if side == "normal":
            continue
        out += [
            ("wholly outside the limit", limit + outward * (tol + eps), side),
            (
                "interval just crossing the limit from outside",
                limit + outward * (tol - eps),
                "borderline",
            ),
            ("on the printed limit", limit, "borderline"),
            (
                "interval just crossing the limit from inside",
                limit - outward * (tol - eps),
                "borderline",
            ),
        ]
        if wide:
            out.append(("wholly inside the limit", limit - outward * (tol + eps), "normal"))
    if wide:
        out.append(("mid-range", (band.low + band.high) / 2, "normal"))
    return out
