"""Vision's measurements in, one rated observation per vocabulary observation out.

    assess(measurements, profile) -> list[Observation]

``measurements`` maps capture steps (vocabulary movements) to the measurements of
that step's accepted photo. A step without a photo, a measurement the view did not
allow, or one too unsure to use gives ``not_assessed`` with a reason, so the
reasoning works with what there is.

A rating compares the value with the reference range of the patient's age and sex
(thresholds.yaml) widened by the camera method's error. Its confidence is the
measurement's confidence times the probability that the true value lies on the
rated side of the nearest threshold, taking the method error as one standard
deviation: a value right at a threshold is a coin toss (x 0.5), one error inside
is fairly sure (x 0.84).
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
from backcare.assessment.types import NOT_ASSESSED, Observation, Profile
from backcare.assessment.values import Derived, derive
from backcare.vision.types import Measurement
from backcare.vocabulary import Vocabulary, vocabulary

log = logging.getLogger(__name__)


def _phi(x: float) -> float:
    """Standard normal cumulative distribution."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def rate(
    value: float, low: float, high: float, tolerance: float, below: str, above: str
) -> tuple[str, float]:
    """The rating of ``value`` against [low - tolerance, high + tolerance], and how sure
    it is (0.5 at a threshold, towards 1 far from every threshold that changes the rating).

    Values on a bound count as inside. ``below``/``above`` rate the values outside;
    either may be "normal" for a one-sided range.
    """
    lo, hi = low - tolerance, high + tolerance
    rating = below if value < lo else above if value > hi else "normal"
    # Only thresholds where the rating actually changes matter for the margin.
    edges = [e for e, changes in ((lo, below != "normal"), (hi, above != "normal")) if changes]
    if not edges:
        return rating, 1.0
    distance = min(abs(value - e) for e in edges)
    if tolerance <= 0:
        return rating, 1.0 if distance > 0 else 0.5
    return rating, _phi(distance / tolerance)


def _observation(
    rule: Rule, derived: Derived, profile: Profile, settings_min: float, words: Texts
) -> Observation:
    band = rule.band_for(profile)
    tolerance = rule.error_for(derived.method)
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
        tolerance=tolerance,
        population=rule.population(band, profile),
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
    rating, margin = rate(derived.value, band.low, band.high, tolerance, rule.below, rule.above)
    return replace(
        not_assessed,
        rating=rating,
        value=derived.value,
        confidence=round(derived.confidence * margin, 3),
        explanation=words.rating(rule.name, rating, derived.side),
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
