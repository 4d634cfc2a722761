"""The physiological envelope: readings a body in the pose seen cannot produce.

A reading outside it is a measuring failure (the back outline followed an arm, the
view hid the movement, MediaPipe mislabelled a limb), never a finding: it is taken
out of the measurements and kept, with the reason, in ``PhotoAnalysis.unusable``.

Limits are generous on purpose (they catch the absurd, not the unusual): adult
ranges of motion (lumbar flexion ~40-60 deg, extension ~20-35, lateral flexion
~25-35 per side, thoracolumbar axial rotation ~30-45 per side: e.g. Troke et al.
2005 Man Ther 10:188; Fujimori et al. 2012 Spine 37:E1318) plus the method's error.
"""

from __future__ import annotations

from backcare.vision.types import Measurement

# name -> (lowest, highest) plausible in any pose (hip_extension, the thigh's inclination,
# takes any value lying or kneeling, and has no limit)
ANY_POSE: dict[str, tuple[float, float]] = {
    "trunk_inclination": (-70.0, 170.0),
    "trunk_thigh_angle": (-70.0, 175.0),
    "hip_flexion": (-40.0, 140.0),
    "lumbar_flexion": (-50.0, 75.0),
    "knee_flexion": (-15.0, 160.0),
    "lumbar_lordosis": (-15.0, 80.0),
    "thoracic_kyphosis": (-10.0, 80.0),
    "pelvic_tilt": (-25.0, 50.0),
    "head_forward": (-35.0, 70.0),
    # the shoulder line tips with a side bend well past the trunk line (photos of
    # windmills and lateral stretches read 55-84 deg: bench/vision_real_gap.py)
    "shoulder_level": (-90.0, 90.0),
    "pelvis_level": (-40.0, 40.0),
    "lateral_bend": (-60.0, 60.0),
    "trunk_rotation": (-70.0, 70.0),
    "pelvic_rotation": (-70.0, 70.0),
}
UPRIGHT_DEG = 20.0  # trunk this close to vertical, and to the thighs: an upright stance
# In an upright stance the lumbar spine and the hips sit near their standing angles.
UPRIGHT: dict[str, tuple[float, float]] = {
    "lumbar_flexion": (-35.0, 30.0),  # - : more hollow than the typical standing lordosis
    "hip_flexion": (-30.0, 35.0),
}
SPLIT_SLACK_DEG = 25.0  # hip and lumbar parts may each overshoot the trunk-thigh total by this


def screen(
    measurements: dict[str, Measurement], angles: dict[str, float]
) -> tuple[dict[str, Measurement], dict[str, str]]:
    """Split measurements into those within the envelope and the unusable ones (name -> why).

    ``angles``: the photo's raw body-frame angles (vision.measure.raw_angles), which
    say what pose it is."""
    kept: dict[str, Measurement] = {}
    unusable: dict[str, str] = {}
    incl = angles.get("trunk_inclination", 0.0)
    total = angles.get("trunk_thigh_angle", 0.0)
    upright = abs(incl) < UPRIGHT_DEG and abs(total) < UPRIGHT_DEG
    for name, m in measurements.items():
        why = _why(name, m.value, upright, total)
        if why:
            unusable[name] = why
        else:
            kept[name] = m
    return kept, unusable


def _why(name: str, value: float, upright: bool, total: float) -> str:
    lo, hi = ANY_POSE.get(name, (float("-inf"), float("inf")))
    if not lo <= value <= hi:
        return f"{value:+.0f} is outside {lo:+.0f}..{hi:+.0f}, which no body reaches"
    if upright and name in UPRIGHT:
        lo, hi = UPRIGHT[name]
        if not lo <= value <= hi:
            return f"{value:+.0f} in an upright stance (expected {lo:+.0f}..{hi:+.0f})"
    if name in ("hip_flexion", "lumbar_flexion") and not upright:
        # the hip and lumbar parts of a bend share the trunk-thigh angle: neither can
        # far exceed the whole, nor bend the other way by much
        if value > max(total, 0.0) + SPLIT_SLACK_DEG:
            return f"{value:+.0f} exceeds the trunk-thigh angle {total:+.0f}"
        if value < min(total, 0.0) - SPLIT_SLACK_DEG - (10.0 if name == "hip_flexion" else 0.0):
            return f"{value:+.0f} bends against the trunk-thigh angle {total:+.0f}"
    return ""
