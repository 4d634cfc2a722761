"""Data that leaves assessment/: observations (rated body-part conditions)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """One body-part condition, rated, with the evidence a clinician needs.

    name:       a vocabulary observation, e.g. "forward_bend.hip_flexion"
    rating:     "insufficient" | "normal" | "excessive" | "not_assessed"
    value:      the measured value (None when not assessed)
    unit:       "deg", "%", "ratio"
    normal_range: (low, high) of the reference range
    source:     citation of the reference range (from assessment/thresholds.yaml)
    confidence: 0..1 (photo quality, view, back-contour confidence)
    explanation: {"en": ..., "ja": ...} one plain sentence for the patient
    """

    name: str
    rating: str
    value: float | None
    unit: str
    normal_range: tuple[float, float] | None
    source: str
    confidence: float
    explanation: dict[str, str]

    @property
    def atom(self) -> str | None:
        """The reasoning atom, or None when not assessed."""
        return None if self.rating == "not_assessed" else f"{self.name}={self.rating}"
