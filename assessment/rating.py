"""Vision's measurements in, one rated observation per vocabulary observation out.

    assess(measurements, profile) -> list[Observation]

``measurements`` maps capture steps (vocabulary movements) to the measurements of
that step's accepted photo. A step without a photo, a measurement the view did not
allow, or one too unsure to use gives ``not_assessed`` with a reason, so the
reasoning works with what there is.

A rating compares the interval value ± u with the reference range of the patient's
age and sex (thresholds.yaml), the range exactly as printed: wholly inside is
normal, wholly outside is insufficient or excessive, across a limit is
"borderline" (the photo cannot tell), unless no reading with that u could ever be rated
normal (u wider than the range itself, e.g. a level difference of 0 +- 4 deg against
0-2 deg): that is not a borderline finding but a measurement too coarse for the range,
"not_assessed" with reason "imprecise" (an interval wholly outside is still rated).
u is the measurement's own uncertainty when
vision gives one, else the rule's documented default for the camera method
(``error`` in thresholds.yaml). No hidden widening: what the report prints is
what was compared.

The confidence is the measurement's confidence times the probability that the
true value lies on the rated side of the nearest limit where the rating changes,
taking u as one standard deviation (at least 0.84 for a value rated normal or
abnormal, as its interval clears every such limit).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import replace

from backcare.assessment.compare import compare  # noqa: F401  (ARCHITECTURE.md names assessment.rating.compare)
from backcare.assessment.texts import Texts
from backcare.assessment.texts import texts as default_texts
from backcare.assessment.thresholds import Rule, Thresholds
from backcare.assessment.thresholds import thresholds as default_thresholds
from backcare.assessment.types import BORDERLINE, NOT_ASSESSED, Observation, Profile
from backcare.assessment.values import Derived, derive
from backcare.kernel.vocabulary import Vocabulary, vocabulary
from backcare.vision.types import Measurement

log = logging.getLogger(__name__)


def _phi(x: float) -> float:
    """Standard normal cumulative distribution."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def rate(
    value: float, uncertainty: float, low: float, high: float, below: str, above: str
) -> tuple[str, float, str]:
    """(rating, margin, leaning) of the interval ``value`` ± ``uncertainty`` against [low, high].

    normal when the whole interval lies inside (bounds count as inside), ``below`` /
    ``above`` when it lies wholly under / over the range, "borderline" when it crosses
    a limit where the rating changes; ``leaning`` names the rating across that limit.
    ``below``/``above`` may be "normal" (a one-sided range): that limit changes nothing.
    margin: the probability (u as one SD) that the true value is on the rated side of
    the nearest limit where the rating changes; 0.5 for borderline.
    """
    u = max(0.0, uncertainty)
    lo_v, hi_v = value - u, value + u
    # an interval that reaches a limit from outside (touching it counts) crosses it too:
    # only an interval wholly inside is normal, only one wholly outside is abnormal
    crossing = [
        side
        for side, limit, outside in ((below, low, value < low), (above, high, value > high))
        if side != "normal"
        and (lo_v < limit < hi_v or (outside and u > 0 and lo_v <= limit <= hi_v))
    ]
    if crossing:
        # across both limits (a range narrower than the interval): lean to the nearer side
        leaning = (
            crossing[0]
            if len(crossing) == 1
            else (below if abs(value - low) < abs(value - high) else above)
        )
        return BORDERLINE, 0.5, leaning
    rating = below if hi_v < low else above if lo_v > high else "normal"
    edges = [e for e, changes in ((low, below != "normal"), (high, above != "normal")) if changes]
    if not edges:
        return rating, 1.0, ""
    distance = min(abs(value - e) for e in edges)
    if u <= 0:
        return rating, 1.0 if distance > 0 else 0.5, ""
    return rating, _phi(distance / u), ""


def resolves(rule: Rule, low: float, high: float, uncertainty: float) -> bool:
    """Whether some reading ± ``uncertainty`` would lie wholly inside [low, high] across the
    limits that change the rating: a range narrower than the interval cannot be told."""
    u = max(0.0, uncertainty)
    lower, upper = rule.below != "normal", rule.above != "normal"
    if lower and upper:
        return 2 * u <= high - low  # bounds count as inside (rate)
    if upper and (rule.value.abs or rule.value.op == "difference"):  # readings >= 0
        return u <= high  # the best reading, 0 ± u, must fit under ``high``
    return True  # one-sided over an open side: a reading far enough inside clears it


def _observation(
    rule: Rule, derived: Derived, profile: Profile, settings_min: float, words: Texts
) -> Observation:
    band = rule.band_for(profile)
    uncertainty = (
        derived.uncertainty if derived.uncertainty is not None else rule.error_for(derived.method)
    )
    # What both outcomes share; the rated case replaces the verdict fields.
    not_assessed = Observation(
        name=rule.name,
        rating=NOT_ASSESSED,
        value=None,
        unit=rule.unit,
        normal_range=(band.low, band.high),
        source=band.source or rule.source,
        confidence=0.0,
        explanation={},
        uncertainty=uncertainty,
        population=str(rule.population(band, profile)),
    )
    reason = derived.reason
    if derived.value is not None and derived.confidence < settings_min:
        reason = "low_confidence"
    if derived.value is None or reason:
        return replace(
            not_assessed,
            explanation=words.missing(reason or "unusable"),
            reason=reason or "unusable",
        )
    rating, margin, leaning = rate(
        derived.value, uncertainty, band.low, band.high, rule.below, rule.above
    )
    if rating == BORDERLINE and not resolves(rule, band.low, band.high, uncertainty):
        return replace(not_assessed, explanation=words.missing("imprecise"), reason="imprecise")
    if rating == BORDERLINE:
        explanation = words.borderline_sentence(
            rule.name, leaning, derived.value, uncertainty, (band.low, band.high), rule.unit
        )
    else:
        explanation = words.rating(rule.name, rating, derived.side)
    return replace(
        not_assessed,
        rating=rating,
        value=derived.value,
        confidence=round(derived.confidence * margin, 3),
        explanation=explanation,
        leaning=leaning,
    )


def assess(
    measurements: Mapping[str, Mapping[str, Measurement]],
    profile: Profile | None = None,
    *,
    rules: Thresholds | None = None,
    sentences: Texts | None = None,
    vocab: Vocabulary | None = None,
) -> list[Observation]:
    """One observation per vocabulary observation, in vocabulary order.

    measurements: capture step -> measurement name -> Measurement. Steps that are not
    vocabulary movements are ignored (and logged); they cannot feed any observation.
    """
    rules = rules or default_thresholds()
    sentences = sentences or default_texts()
    vocab = vocab or vocabulary()
    profile = profile or Profile()
    unknown = sorted(set(measurements) - set(vocab.movements))
    if unknown:
        log.warning(
            "assessment ignores measurements of unknown capture steps: %s", ", ".join(unknown)
        )
    steps = {
        step: ms for step, ms in measurements.items() if step in vocab.movements and ms is not None
    }
    out = []
    for name in vocab.observations:
        rule = rules.rules[name]
        derived = derive(rule.value, steps, rule.unit, rules.settings.partial_confidence)
        out.append(_observation(rule, derived, profile, rules.settings.min_confidence, sentences))
    return out
