"""Which movement a photo shows, so the bot can catch a wrong photo.

Soft scores from the body-frame angles (vision.measure.raw_angles), turned into
probabilities. Thresholds are where the movement clearly starts, not clinical
norms: a forward bend tips the trunk past ~35 deg, a backward bend leans it back
past ~12 deg (or extends it behind the thighs when lying prone), a side bend
leans the trunk sideways past ~10 deg, a rotation turns the shoulders past ~15 deg
from the pelvis. Each sideways and twisting cue has a second witness, because one
angle alone misses real movements on photos:

- side bend: the shoulder line tips the same way as the trunk (the upper trunk bends
  more than the hip-to-shoulder line shows); standing, it stays within ~10 deg of level;
- rotation: MediaPipe's own depth of the shoulder and hip lines (it reads twists low,
  bench/vision_accuracy.py on rendered people, but rarely invents one) and, from the
  front or back, the
  shoulders' turn from the knee line (a standing twist turns the pelvis on the thighs too).

Sagittal evidence counts for less from the front, sideways and twisting evidence
for less from the side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from backcare.vision.envelope import ANY_POSE
from backcare.vision.measure import Angles
from backcare.vision.types import Movement, MovementGuess, View
from backcare.vision.view import off_side


def _rise(x: float, at: float, width: float) -> float:
    return 1.0 / (1.0 + math.exp(-(x - at) / width))


def side_evidence(v: dict[str, float]) -> float:
    """Degrees of sideways bend: the trunk line's lean, plus a quarter of the shoulder
    line's tip beyond the ~10 deg it shows standing, when it tips the same way (a bend
    to the left drops the left shoulder: lateral_bend +, shoulder_level -)."""
    lateral = v["lateral_bend"]
    tip = -math.copysign(1.0, lateral) * v["shoulder_level"] if abs(lateral) >= 3 else 0.0
    return abs(lateral) + 0.25 * max(0.0, tip - 10.0)


def twist_evidence(v: dict[str, float], off_side_deg: float) -> float:
    """Degrees of twist: the fused skeleton's shoulder-to-pelvis turn, MediaPipe's own
    (x0.8), or, seen from the front or back, the shoulders' turn from the knee line
    (x0.6: the pelvis turning on the thighs is part of a standing twist, not of the
    spine's; the knee line's depth is only trusted when it faces the camera)."""
    evidence = max(abs(v["trunk_rotation"]), 0.8 * abs(v.get("mediapipe_rotation", 0.0)))
    if off_side_deg >= 50:
        evidence = max(evidence, 0.6 * abs(v.get("shoulder_knee_rotation", 0.0)))
    return evidence


def signed_twist(v: dict[str, float], off_side_deg: float) -> float:
    """``twist_evidence`` signed by the measured rotation (+ to the person's left): the
    witnesses say how much, only the measurement itself says which way (the knee line's
    turn went the wrong way on renders of small twists)."""
    return math.copysign(twist_evidence(v, off_side_deg), v["trunk_rotation"])


def misread(v: dict[str, float], on_feet: bool) -> bool:
    """A trunk no body on its feet can hold (vision.envelope.ANY_POSE: e.g. leaning back
    past 70 deg, as a deep forward bend BlazePose folded over reads): the reading says
    nothing of which movement the photo shows, so it shows none clearly (renders: forward
    bends of 116-121 deg read -150 and -165 were questioned as backward bends)."""
    if not on_feet:
        return False
    return any(
        not ANY_POSE[name][0] <= v[name] <= ANY_POSE[name][1]
        for name in ("trunk_inclination", "trunk_thigh_angle")
    )


# the sideways bend as measured and the twist its witnesses agree on: what a side is
# disputed on
SIGNED = ("side_bend_measured", "rotation_agreed")


def evidence(
    v: dict[str, float], off_side_deg: float, on_feet: bool, unread: bool
) -> dict[str, float]:
    """Degrees of each movement the angles show (sideways and twisting ones signed, + to the
    person's left): what "shows the asked movement with at least 5 deg of it" is judged on.
    A misread trunk (``unread``: see misread) shows none."""
    if unread:
        return dict.fromkeys(
            (*(m.value for m in Movement if m is not Movement.STANDING), *SIGNED), 0.0
        )
    incl, flex = v["trunk_inclination"], v["trunk_thigh_angle"]
    lateral = v["lateral_bend"]
    return {
        Movement.FORWARD_BEND.value: round(max(0.0, incl if on_feet else min(incl, flex)), 1),
        Movement.BACKWARD_BEND.value: round(max(0.0, -incl, -flex), 1),
        Movement.SIDE_BEND.value: round(math.copysign(side_evidence(v), lateral), 1),
        Movement.ROTATION.value: round(signed_twist(v, off_side_deg), 1),
        # the sideways bend as measured, and the twist that all three witnesses agree on
        # (0 when they disagree): a side is only disputed on these (renders: a witness
        # alone pointed the wrong way on 8% of twists)
        "side_bend_measured": round(lateral, 1),
        "rotation_agreed": round(_agreed(v), 1),
    }


def _agreed(v: dict[str, float]) -> float:
    witnesses = [
        v["trunk_rotation"],
        v.get("mediapipe_rotation", 0.0),
        v.get("shoulder_knee_rotation", 0.0),
    ]
    if all(w >= 2.0 for w in witnesses) or all(w <= -2.0 for w in witnesses):
        return min(witnesses, key=abs)
    return 0.0


def classify(angles: Angles, view: View, on_feet: bool) -> MovementGuess:
    v = angles.values
    incl, flex = v["trunk_inclination"], v["trunk_thigh_angle"]
    off = off_side(view.yaw_deg)
    if on_feet:
        forward = _rise(incl, 35, 6)
        # leaning back reads less surely from the front (it is then in depth)
        lean_back_at = 12 + 13 * off / 90
        backward = max(_rise(-incl, lean_back_at, 4), _rise(-flex, lean_back_at + 3, 5))
    else:  # lying or kneeling: only the trunk against the thighs tells (chest lifted = extension)
        forward = _rise(flex, 60, 8) * _rise(incl, 35, 6)
        backward = _rise(-flex, 10, 4)
    # sideways and twisting angles need a trunk that is not tipped over, and read best from the front
    upright = _rise(45 - abs(incl), 0, 6)
    unread = misread(v, on_feet)
    if unread:  # no bend, and no trunk to read a side bend or a twist on
        forward = backward = upright = 0.0
    side = _rise(side_evidence(v), 10, 2.5) * upright * (0.6 + 0.4 * off / 90)
    twist = _rise(twist_evidence(v, off), 15, 3) * upright * (0.7 + 0.3 * off / 90)
    scores = {
        Movement.FORWARD_BEND: forward,
        Movement.BACKWARD_BEND: backward,
        Movement.SIDE_BEND: side,
        Movement.ROTATION: twist,
    }
    lying = not on_feet and abs(incl) > 60
    scores[Movement.STANDING] = max(0.0, 1.0 - max(scores.values())) * (
        0.2 if lying else 1.0 if on_feet else 0.5
    )
    total = sum(scores.values()) or 1.0
    probs = {m.value: round(s / total, 3) for m, s in scores.items()}
    best = max(scores, key=lambda m: scores[m])
    return MovementGuess(
        movement=best,
        confidence=round(probs[best.value] * (0.7 + 0.3 * view.confidence), 2),
        scores=probs,
        evidence=evidence(v, off, on_feet, unread),
    )


# A photo is taken for another movement than asked only when the guess is this sure of it,
# the asked movement shows less than SHOWS_DEG and the other one at least CLEAR_DEG
# (CLEAR_STANDING_DEG when standing was asked: postures lean and twist a little); a bend
# or turn to the other side only when it measures at least WRONG_WAY_DEG that way.
OTHER_MOVEMENT_CONFIDENCE = 0.6
SHOWS_DEG = 5.0
CLEAR_DEG = 15.0
CLEAR_STANDING_DEG = 20.0
WRONG_WAY_DEG = 10.0
AGREED_TWIST_DEG = 10.0  # renders: one witness alone read 20-30 deg on people standing still


@dataclass(frozen=True)
class StepCheck:
    """Whether a photo can be measured as the step it was sent for.

    ``ok`` False only when the photo clearly shows another movement (or the asked one to
    the other side); ``suggested`` is then that movement and ``side`` its side ("left",
    "right" or None), for the patient to confirm or retake. A restricted movement (little
    or none of the asked one) is always ok: that is a finding, not a wrong photo.
    """

    ok: bool
    seen: str
    suggested: str | None = None
    side: str | None = None


def check_step(guess: MovementGuess, expects: str, side: str | None = None) -> StepCheck:
    """Judge a photo sent for a step that expects movement ``expects`` (to ``side``)."""
    seen = guess.movement.value
    ev = guess.evidence
    other = guess.movement.value
    other_side = _side_of(other, ev)
    clear = CLEAR_STANDING_DEG if expects == Movement.STANDING.value else CLEAR_DEG
    clear_other = (
        other not in (expects, Movement.STANDING.value)
        and guess.confidence >= OTHER_MOVEMENT_CONFIDENCE
        and abs(ev.get(other, clear)) >= clear
        # a twist counts as another movement only when even its weakest witness sees it
        and (
            other != Movement.ROTATION.value
            or abs(ev.get("rotation_agreed", CLEAR_DEG)) >= AGREED_TWIST_DEG
        )
    )
    if expects == Movement.STANDING.value:
        if clear_other:
            return StepCheck(False, seen, other, other_side)
        return StepCheck(True, seen)
    own = abs(ev.get(expects, 0.0))
    if clear_other and own < SHOWS_DEG:
        return StepCheck(False, seen, other, other_side)
    if side in ("left", "right") and expects in (
        Movement.SIDE_BEND.value,
        Movement.ROTATION.value,
    ):
        key = "side_bend_measured" if expects == Movement.SIDE_BEND.value else "rotation_agreed"
        signed = ev.get(key, ev.get(expects, 0.0))
        wrong_way = signed < 0 if side == "left" else signed > 0
        if wrong_way and abs(signed) >= WRONG_WAY_DEG:
            return StepCheck(False, seen, expects, "right" if side == "left" else "left")
    return StepCheck(True, seen)


def _side_of(movement: str, ev: dict[str, float]) -> str | None:
    if movement not in (Movement.SIDE_BEND.value, Movement.ROTATION.value):
        return None
    return "left" if ev.get(movement, 0.0) >= 0 else "right"
