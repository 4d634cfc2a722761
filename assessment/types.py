"""Data that leaves assessment/: observations (rated body-part conditions), the
profile that selects reference ranges, and changes between two assessments."""

from __future__ import annotations

from dataclasses import dataclass

SEXES = ("female", "male")
NOT_ASSESSED = "not_assessed"
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
    rating:     "insufficient" | "normal" | "excessive" | "not_assessed"
    value:      the measured value (None when not assessed)
    unit:       "deg", "%", "ratio"
    normal_range: (low, high) of the published reference range (before widening)
    source:     citation of the reference range (from assessment/thresholds.yaml)
    confidence: 0..1 (photo quality, view, back-contour confidence, distance to the threshold)
    explanation: {"en": ..., "ja": ...} one plain sentence for the patient
    tolerance:  measurement error of the camera method: the rating treats values within
                normal_range widened by this much on each side as normal
    population: the reference group whose range was used, e.g. "age 50-69" or "adults"
    reason:     why not assessed ("no_photo", "not_measured", "low_confidence",
                "too_little_movement", "unusable"); "" when rated
    """

    name: str
    rating: str
    value: float | None
    unit: str
    normal_range: tuple[float, float] | None
    source: str
    confidence: float
    explanation: dict[str, str]
    tolerance: float = 0.0
    population: str = ""
    reason: str = ""

    @property
    def atom(self) -> str | None:
        """The reasoning atom, or None when not assessed."""
        return None if self.rating == "not_assessed" else f"{self.name}={self.rating}"


@dataclass(frozen=True)
class Change:
    """How one observation moved between two assessments (for progress).

    direction: "better" | "worse" | "same" | "new" (assessed now, not before) |
               "lost" (assessed before, not now)
    explanation: {"en": ..., "ja": ...} one plain sentence for the patient
    """

    name: str
    before_rating: str
    after_rating: str
    before_value: float | None
    after_value: float | None
    direction: str
    unit: str
    explanation: dict[str, str]
