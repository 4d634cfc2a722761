"""How far each reading may be off: one standard deviation of its error, in its unit.

Where the fitted estimators (vision/estimators.py, vision/estimators.json) measured a
residual spread for the measurement, by view, that spread is used; otherwise a
prior from the errors the method showed on renders with exact truth (issue 14's
study: trunk inclination ~6 deg, lateral bend ~4, hip and lumbar flexion 12-14,
rotation ~15, contour proxies 6-16), widened as the confidence drops.
"""

from __future__ import annotations

from dataclasses import replace

from backcare.vision.types import Measurement

# name -> error sd at full confidence, in the measurement's unit
PRIOR_SD: dict[str, float] = {
    "trunk_inclination": 5.0,
    "trunk_thigh_angle": 6.0,
    "hip_flexion": 12.0,
    "lumbar_flexion": 12.0,
    "hip_extension": 6.0,
    "knee_flexion": 8.0,
    "reach": 0.05,
    "lumbar_lordosis": 10.0,
    "thoracic_kyphosis": 9.0,
    "pelvic_tilt": 8.0,
    "head_forward": 8.0,
    "sway": 4.0,
    "shoulder_level": 3.0,
    "pelvis_level": 3.0,
    "spine_deviation": 3.0,
    "lateral_bend": 4.0,
    "trunk_rotation": 12.0,
    "pelvic_rotation": 10.0,
}
DEFAULT_SD = 10.0


def prior_sd(name: str, confidence: float) -> float:
    """The prior sd, doubled as the confidence falls from 1 to 0."""
    return PRIOR_SD.get(name, DEFAULT_SD) * (2.0 - max(0.0, min(1.0, confidence)))


def with_uncertainty(
    measurements: dict[str, Measurement], fitted: dict[str, float] | None = None
) -> dict[str, Measurement]:
    """The measurements with ``uncertainty`` filled: ``fitted`` (name -> sd for this photo's
    view, from the estimators' residuals) where known, the prior otherwise."""
    fitted = fitted or {}
    out = {}
    for name, m in measurements.items():
        sd = fitted.get(name)
        if sd is None:
            sd = prior_sd(name, m.confidence)
        digits = 3 if m.unit == "ratio" else 1
        out[name] = replace(m, uncertainty=round(float(sd), digits))
    return out
