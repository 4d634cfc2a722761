"""Data that leaves assessment/: observations (rated body-part conditions), the
profile that selects reference ranges, and changes between two assessments."""

from __future__ import annotations

from dataclasses import dataclass

SEXES = ("female", "male")
NOT_ASSESSED = "not_assessed"
# A value whose interval (value ± uncertainty) straddles a limit of its reference range:
# neither usual nor unusual on this evidence. Shown as such; never a reasoning atom.
BORDERLINE = "borderline"
DIRECTIONS = ("better", "worse", "same", "new", "lost")


@dataclass(frozen=True)
class Profile:
    """What selects the reference range where the literature gives age or sex norms.

    age: years, or None when unknown; sex: "female" | "male" | None.
    Unknown values fall back to the all-adult range.
    """

    age: int | None = None
    sex: str | None = None

    def __post_init__(self):
        if self.age is not None and (
            isinstance(self.age, bool) or not isinstance(self.age, int) or not 0 <= self.age <= 130
        ):
            raise ValueError(
                f"profile age must be a whole number of years from 0 to 130, got {self.age!r}"
            )
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(
                f"profile sex must be one of {', '.join(SEXES)} or None, got {self.sex!r}"
            )


@dataclass(frozen=True)
class Observation:
    """One body-part condition, rated, with the evidence a clinician needs.

    name:       a vocabulary observation, e.g. "forward_bend.hip_flexion"
    rating:     "insufficient" | "normal" | "excessive" | "borderline" | "not_assessed"
    value:      the measured value (None when not assessed)
    unit:       "deg", "%", "ratio"
    normal_range: (low, high) of the reference range, exactly as the rating used it
    source:     citation of the reference range (from assessment/thresholds.yaml)
    confidence: 0..1 (photo quality, view, back-contour confidence, distance to the threshold)
    explanation: {language: ...} one plain sentence for the patient
    uncertainty: the value is value ± uncertainty (the measurement's own, or the camera
                method's default from thresholds.yaml). Rated normal only when the whole
                interval lies inside normal_range, insufficient/excessive only when it lies
                wholly outside; an interval across a limit is "borderline"
    population: the reference group whose range was used, e.g. "age 50-69" or "adults"
    reason:     why not assessed (assessment.values.REASONS: "no_photo", "not_measured",
                "low_confidence", "too_little_movement", "unusable", "needs_both_sides",
                "imprecise"); "" when rated
    leaning:    for "borderline": the rating on the far side of the limit the interval
                crosses ("insufficient" | "excessive"); "" otherwise
    """

    name: str
    rating: str
    value: float | None
    unit: str
    normal_range: tuple[float, float] | None
    source: str
    confidence: float
    explanation: dict[str, str]
    uncertainty: float = 0.0
    population: str = ""
    reason: str = ""
    leaning: str = ""

    @property
    def atom(self) -> str | None:
        """The reasoning atom, or None when not assessed or borderline (no evidence either way)."""
        if self.rating in (NOT_ASSESSED, BORDERLINE):
            return None
        return f"{self.name}={self.rating}"

    @property
    def interval(self) -> tuple[float, float] | None:
        """(value - uncertainty, value + uncertainty), None when not assessed."""
        if self.value is None:
            return None
        return self.value - self.uncertainty, self.value + self.uncertainty


@dataclass(frozen=True)
class Change:
    """How one observation moved between two assessments (for progress).

    direction: "better" | "worse" | "same" | "new" (assessed now, not before) |
               "lost" (assessed before, not now)
    explanation: {language: ...} one plain sentence for the patient
    """

    name: str
    before_rating: str
    after_rating: str
    before_value: float | None
    after_value: float | None
    direction: str
    unit: str
    explanation: dict[str, str]
