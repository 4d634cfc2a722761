"""Body angles in the body's own frame, view-corrected, each with a confidence.

All angles are in degrees and computed on the reconstructed 3D skeleton
(vision.geometry: pixels for the image plane, bone foreshortening and MediaPipe
for depth) in the body frame: ``left`` along the pelvis (hip landmarks), ``up``
against gravity (estimated from balance, floor, legs and the room), ``forward``
completing them. "Sagittal angle" of a vector = its angle from up in the plane
(forward, up), + when it leans forward; "frontal angle" = from up in the plane
(left, up), + towards the person's left.

Definitions (name, unit, sign):

trunk_inclination   deg  sagittal angle of hip-centre -> shoulder-centre. 0 upright, + forward
                         (90 = trunk horizontal), - leaning back. Relative to gravity.
trunk_thigh_angle   deg  sagittal angle of the trunk minus that of the thigh line (knee-centre ->
                         hip-centre). 0 standing straight, + flexion. Mixes hip and lumbar flexion.
hip_flexion         deg  hip-joint flexion. With a side-view back contour: inclination of the
                         back's tangent at S2 (the pelvis) minus the thigh's, less its typical
                         standing value SACRUM_STANDING_DEG (dual-inclinometer logic: the sacrum
                         moves with the pelvis). method "back-contour (sacrum vs thigh)".
                         Without a contour: the trunk-thigh angle itself, method
                         "trunk-thigh (hip and lumbar not split)", confidence x0.4: it reads high
                         by the lumbar part (tests/data/renders/truth.json: trunk-thigh minus hip
                         41-46 deg in the toe touches, 5-7 in the flat-back hinges).
lumbar_flexion      deg  LORDOSIS_STANDING_DEG minus the contour's lumbar angle: how much of the
                         typical standing hollow is lost. ~0 standing, + rounded, - arched more.
thoracic_flexion    deg  flexion of the thoracic spine from its standing shape, + rounding. Only from
                         the fitted estimators (vision/estimators.py), emitted where trunk_thigh_angle is.
hip_extension       deg  sagittal angle of knee-centre -> hip-centre: + when the hip is ahead of the
                         knee (thigh extended behind the vertical, as in a backward bend).
knee_flexion        deg  mean 3D knee bend of both legs, 0 = straight.
reach               ratio lowest fingertip's height above the floor under the feet, divided by the
                         standing height estimated from leg and trunk lengths (Drillis-Contini);
                         0 = touching the floor, < 0 = below the feet (standing on a step).
lumbar_lordosis     deg  the back contour's lumbar angle (tangent turn from S2 to the thoracolumbar
                         junction), + concave backwards. Trunk upright only.
thoracic_kyphosis   deg  the contour's thoracic angle (junction to T1), + convex backwards.
                         Trunk upright only.
pelvic_tilt         deg  inclination from vertical of the back's tangent at S2, + when its top leans
                         forward (anterior tilt). Typical standing ~SACRUM_STANDING_DEG.
head_forward        deg  sagittal angle of shoulder -> ear (the better seen side): + ear ahead.
sway                %    forward distance of hip-centre ahead of ankle-centre, % of leg length.
shoulder_level      deg  slope of the right->left shoulder line from horizontal, + left higher.
pelvis_level        deg  same for the hips.
spine_deviation     %    back views: largest sideways deviation of the trunk silhouette's midline
                         from the straight line between its ends, % of trunk length (+ to the
                         image's right of the line as the person is seen from behind).
lateral_bend        deg  angle of the trunk line out of the body's sagittal plane, + bending to the
                         person's left (equals its frontal angle when upright; stays defined in a bend).
trunk_rotation      deg  turn of the shoulder line relative to the hip line about the vertical,
                         + when the shoulders turn to the person's left. In front and back views
                         corrected by the shoulders' foreshortening (see _rotation_from_widths).
pelvic_rotation     deg  front/back views: turn of the pelvis from squarely facing (or facing away
                         from) the camera, + to the person's left.

Where vision/estimators.json ships a fitted estimator (hip, lumbar and thoracic flexion,
trunk rotation, lateral bend, pelvic tilt, lordosis, kyphosis), vision.analysis replaces
the reading above by the estimator's (method "...; fitted vN", or "fitted vN from
landmarks (no back contour)"); the definitions stay those above.

A measurement is emitted only where the view can show it (sagittal ones from side
and oblique views, frontal ones from front and back views, contour ones where a
contour was traced) and its confidence is at least MIN_CONFIDENCE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backcare.vision.geometry import BodyFrame, Gravity, Skeleton, knee_angle
from backcare.vision.types import INDEX, BackShape, Landmarks, Measurement, View
from backcare.vision.view import off_side

# Typical standing values of the contour angles as this method reads them; they turn
# contour readings into changes from standing. Skin-surface lordosis ~30 deg and sacral
# inclination ~20 deg are in the range reported for inclinometer and photogrammetric
# studies of healthy adults (e.g. Mayer et al. 1984 Spine 9:588; Ng et al. 2001
# J Manipulative Physiol Ther 24:417), and match what this contour reads on the
# standing side-view renders in tests/data/renders (lumbar 25-32, sacrum 16-21 deg;
# rendered by bench/synth/render_fixtures.py, checked by tests/vision/test_back.py).
LORDOSIS_STANDING_DEG = 30.0
SACRUM_STANDING_DEG = 20.0
MIN_CONFIDENCE = 0.2
UPRIGHT_DEG = 30.0  # trunk within this of vertical counts as standing upright

_SAGITTAL, _FRONTAL, _TRANSVERSE = "sagittal", "frontal", "transverse"


@dataclass(frozen=True)
class Angles:
    """Raw angles of one photo (all computable ones, before view rules and confidences)."""

    values: dict[str, float]
    upright: bool


def raw_angles(
    sk: Skeleton, frame: BodyFrame, lm: Landmarks, yaw_deg: float | None = None
) -> Angles:
    trunk = sk.at("shoulder_mid") - sk.at("hip_mid")
    thigh = sk.at("hip_mid") - sk.at("knee_mid")
    values = {
        "trunk_inclination": frame.sagittal(trunk),
        "trunk_thigh_angle": frame.sagittal(trunk) - frame.sagittal(thigh),
        "hip_extension": frame.sagittal(thigh),
        "knee_flexion": (knee_angle(sk, "left") + knee_angle(sk, "right")) / 2,
        "lateral_bend": frame.lateral(trunk),
        "shoulder_level": frame.level(sk.at("left_shoulder") - sk.at("right_shoulder")),
        "pelvis_level": frame.level(sk.at("left_hip") - sk.at("right_hip")),
        "trunk_rotation": _wrap(
            frame.heading(sk.at("left_shoulder") - sk.at("right_shoulder"))
            - frame.heading(sk.at("left_hip") - sk.at("right_hip"))
        ),
    }
    if yaw_deg is not None:
        values["trunk_rotation"] = _rotation_from_widths(lm, yaw_deg, values["trunk_rotation"])
    # witnesses of a twist for the movement check (not measurements): the shoulders' turn
    # from the knee line (a standing twist also turns the pelvis on the thighs), and
    # MediaPipe's own depth of the shoulder and hip lines (it reads twists low, but rarely
    # invents one)
    values["shoulder_knee_rotation"] = _wrap(
        frame.heading(sk.at("left_shoulder") - sk.at("right_shoulder"))
        - frame.heading(sk.at("left_knee") - sk.at("right_knee"))
    )
    world = lm.world
    values["mediapipe_rotation"] = _wrap(
        frame.heading(world[INDEX["left_shoulder"]] - world[INDEX["right_shoulder"]])
        - frame.heading(world[INDEX["left_hip"]] - world[INDEX["right_hip"]])
    )
    side = (
        "left"
        if lm.vis("left_ear") + lm.vis("left_shoulder")
        >= lm.vis("right_ear") + lm.vis("right_shoulder")
        else "right"
    )
    values["head_forward"] = frame.sagittal(sk.at(f"{side}_ear") - sk.at(f"{side}_shoulder"))
    legs = _length(sk, "hip", "knee") + _length(sk, "knee", "ankle")
    values["sway"] = float((sk.at("hip_mid") - sk.at("ankle_mid")) @ frame.forward) / legs * 100
    height = (legs + float(np.linalg.norm(trunk))) / (0.818 - 0.039)  # ankle to shoulder = 0.779 H
    floor = min(
        float(sk.at(n) @ frame.up)
        for n in ("left_heel", "right_heel", "left_foot_index", "right_foot_index")
    )
    hands = [
        n for n in ("left_index", "right_index", "left_pinky", "right_pinky") if lm.vis(n) > 0.3
    ]
    if hands:
        values["reach"] = (min(float(sk.at(n) @ frame.up) for n in hands) - floor) / height
    upright = abs(values["trunk_inclination"]) < UPRIGHT_DEG
    return Angles(values=values, upright=upright)


def measure(
    angles: Angles,
    sk: Skeleton,
    frame: BodyFrame,
    view: View,
    gravity: Gravity,
    lm: Landmarks,
    back: BackShape | None,
    quality: float = 1.0,
) -> dict[str, Measurement]:
    """The measurements this photo supports, with confidences (see the module docstring)."""
    v = angles.values
    off = off_side(view.yaw_deg)
    grav = 0.6 + 0.4 * gravity.confidence
    out: dict[str, Measurement] = {}

    def put(name: str, value: float, unit: str, conf: float, method: str) -> None:
        conf = float(min(max(conf * quality, 0.0), 1.0))
        if conf >= MIN_CONFIDENCE and math.isfinite(value):
            out[name] = Measurement(
                name, round(float(value), 1 if unit != "ratio" else 3), unit, round(conf, 2), method
            )

    sag = _plane_weight(_SAGITTAL, off)
    fro = _plane_weight(_FRONTAL, off)
    tra = _plane_weight(_TRANSVERSE, off)
    trunk_vis = _seen(lm, "shoulder", "hip")
    leg_vis = _seen(lm, "hip", "knee", "ankle")
    method3d = "3d-fused" if off > 20 else "3d-fused (side view)"

    put("trunk_inclination", v["trunk_inclination"], "deg", 0.95 * sag * grav * trunk_vis, method3d)
    put(
        "trunk_thigh_angle",
        v["trunk_thigh_angle"],
        "deg",
        0.9 * sag * min(trunk_vis, leg_vis),
        method3d,
    )
    put("hip_extension", v["hip_extension"], "deg", 0.8 * sag * grav * leg_vis, method3d)
    put("knee_flexion", v["knee_flexion"], "deg", 0.85 * max(sag, 0.6) * leg_vis, "3d-fused")
    if "reach" in v:
        hands = (
            _seen(lm, "index") if lm.vis("left_index") > 0.3 or lm.vis("right_index") > 0.3 else 0.3
        )
        put(
            "reach",
            v["reach"],
            "ratio",
            0.7 * max(sag, 0.5) * grav * min(hands, leg_vis),
            "3d-fused",
        )

    # back.py measures both curves from a side contour, or neither.
    lumbar = back.lumbar_angle if back is not None else None
    thoracic = back.thoracic_angle if back is not None else None
    if back is not None and lumbar is not None and thoracic is not None:
        contour = back.confidence
        sacrum = v["trunk_inclination"] - back.slopes.get("S2", 0.0)
        thigh_incl = v["hip_extension"]
        put(
            "hip_flexion",
            sacrum - thigh_incl - SACRUM_STANDING_DEG,
            "deg",
            0.85 * sag * min(contour, leg_vis) * grav,
            "back-contour (sacrum vs thigh)",
        )
        put(
            "lumbar_flexion",
            LORDOSIS_STANDING_DEG - lumbar,
            "deg",
            0.8 * sag * contour,
            "back-contour",
        )
        if angles.upright:
            put("lumbar_lordosis", lumbar, "deg", 0.8 * sag * contour, "back-contour")
            put(
                "thoracic_kyphosis",
                thoracic,
                "deg",
                0.75 * sag * contour,
                "back-contour",
            )
            put(
                "pelvic_tilt",
                sacrum,
                "deg",
                0.6 * sag * contour * grav,
                "back-contour (S2 tangent)",
            )
    else:
        put(
            "hip_flexion",
            v["trunk_thigh_angle"],
            "deg",
            0.4 * 0.9 * sag * min(trunk_vis, leg_vis),
            "trunk-thigh (hip and lumbar not split)",
        )

    if angles.upright:
        head_vis = max(lm.vis("left_ear"), lm.vis("right_ear"))
        put(
            "head_forward",
            v["head_forward"],
            "deg",
            0.75 * sag * grav * min(head_vis, trunk_vis),
            method3d,
        )
        put("sway", v["sway"], "%", 0.7 * sag * grav * leg_vis, method3d)

    put(
        "shoulder_level",
        v["shoulder_level"],
        "deg",
        0.85 * fro * grav * _seen(lm, "shoulder"),
        "3d-fused",
    )
    put("pelvis_level", v["pelvis_level"], "deg", 0.8 * fro * grav * _seen(lm, "hip"), "3d-fused")
    put("lateral_bend", v["lateral_bend"], "deg", 0.9 * fro * grav * trunk_vis, "3d-fused")
    if back is not None and back.spine_deviation is not None:
        put(
            "spine_deviation",
            back.spine_deviation,
            "%",
            0.7 * fro * back.confidence,
            "silhouette-midline",
        )
    # rotation lives in depth: foreshortening of the shoulder line, MediaPipe for the sign
    put(
        "trunk_rotation",
        v["trunk_rotation"],
        "deg",
        0.6 * tra * trunk_vis,
        "3d-fused (foreshortening)",
    )
    if off >= 45:
        square = 90.0 if view.yaw_deg % 360 < 180 else 270.0
        put(
            "pelvic_rotation",
            _wrap(square - view.yaw_deg),
            "deg",
            0.6 * fro * _seen(lm, "hip"),
            "3d-fused",
        )
    return out


# Shoulder (acromion) landmark width over hip landmark width, seen square-on: 1.9 on the
# straight front and back views of the studio photos first used (1.89-2.0); the straight
# front and back renders in tests/data/renders read 1.64-1.78 (the body model's narrower
# shoulders). People differ by ~10%.
SHOULDER_TO_HIP_PX = 1.9


def _rotation_from_widths(lm: Landmarks, yaw_deg: float, mediapipe_rotation: float) -> float:
    """Trunk rotation from how much narrower the shoulders look than the hips would let
    them, in front and back views (MediaPipe's depth reads rotation low).

    The projected width of a horizontal line at heading h is |sin(yaw - h)| of its
    length; the hip line has heading 0 by definition, so
    |sin(yaw - rotation)| = (shoulder px / hip px) / SHOULDER_TO_HIP_PX * |sin(yaw)|.
    Of the solutions, the one nearest MediaPipe's reading is taken; the width ratio is
    trusted only as the shoulders narrow (near square-on it cannot tell 0 from 20 deg).
    """
    yaw = math.radians(yaw_deg)
    hips = float(np.linalg.norm(lm.px("left_hip") - lm.px("right_hip")))
    shoulders = float(np.linalg.norm(lm.px("left_shoulder") - lm.px("right_shoulder")))
    if (
        abs(math.sin(yaw)) < 0.75
        or hips < 1.0
        or min(lm.vis(n) for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder"))
        < 0.5
    ):
        return mediapipe_rotation
    k = min(1.0, shoulders / hips / SHOULDER_TO_HIP_PX * abs(math.sin(yaw)))
    a = math.degrees(math.asin(k))
    candidates = [_wrap(yaw_deg - x) for x in (a, 180 - a, -a, a - 180)]
    width_rotation = min(candidates, key=lambda c: abs(_wrap(c - mediapipe_rotation)))
    weight = float(min(max((0.97 - k) / 0.2, 0.0), 1.0))
    return _wrap(mediapipe_rotation + weight * _wrap(width_rotation - mediapipe_rotation))


def _plane_weight(plane: str, off: float) -> float:
    """How well a plane is seen from ``off`` degrees away from the pure side view."""
    if plane == _SAGITTAL:  # best from the side; from the front only depth shows it
        return float(min(max(1.0 - max(0.0, off - 20.0) / 70.0 * 0.75, 0.25), 1.0))
    if plane == _FRONTAL:  # best from the front or back
        return float(min(max(1.0 - max(0.0, 70.0 - off) / 70.0 * 0.75, 0.25), 1.0))
    return float(min(max(0.6 + 0.4 * off / 90.0, 0.6), 1.0))  # transverse: shoulder width shows it


def _seen(lm: Landmarks, *parts: str) -> float:
    vis = min(min(lm.vis(f"left_{p}"), lm.vis(f"right_{p}")) for p in parts)
    best = min(max(lm.vis(f"left_{p}"), lm.vis(f"right_{p}")) for p in parts)
    value = max(vis, 0.7 * best)  # in side views the far side is hidden, and that is fine
    return float(min(max((value - 0.3) / 0.5, 0.2), 1.0))


def _length(sk: Skeleton, a: str, b: str) -> float:
    return float(
        np.mean([np.linalg.norm(sk.at(f"{s}_{a}") - sk.at(f"{s}_{b}")) for s in ("left", "right")])
    )


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0
