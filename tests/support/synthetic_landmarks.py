"""Synthetic BlazePose-like landmarks with exact angles, seen through a perspective camera.

A measuring instrument for tests and the bench, not used by the product: a
33-point skeleton of a 1.75 m adult (Drillis-Contini proportions) is posed with
known angles, placed on the floor and photographed by a pinhole camera from any
yaw, pitch and roll. It returns what MediaPipe would hand us -- pixel,
normalized and hip-centred camera-oriented "world" landmarks -- plus the truth.

``depth_gain`` and ``depth_noise_m`` imitate how BlazePose's world landmarks err:
they are predicted from the image, so how far each bone points towards or away
from the camera is the least reliable part (on rendered people, 3D trunk rotation
reads ~21 deg low: bench/vision_accuracy.py, raw landmarks). With ``depth_gain`` < 1 every bone keeps its
length but its angle out of the image plane is scaled down (a flattened but
well-proportioned skeleton, as a learned model errs); ``depth_noise_m`` adds
noise to each point's depth. ``pixel_noise`` adds 2D error as a fraction of
torso length.

Frames: body coordinates are x = person's left, y = forward, z = up, metres,
floor at z = 0 (a left-handed triple, as anatomy names it). Camera yaw follows the renders
(bench/synth/render_fixtures.py, tests/data/renders/truth.json): 0 = camera at the
person's right side, 90 = in front, 180 = left side, 270 = behind; pitch > 0 =
camera above looking down; roll > 0 = the camera turned so that verticals lean
to the image's right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from backcare.vision.types import INDEX, LANDMARK_NAMES, Landmarks


@dataclass(frozen=True)
class SynthPose:
    """Pose parameters in degrees (all 0 = standing straight, arms hanging)."""

    hip_flexion: float = 0.0  # trunk forward about the hip axis (+ flexion, - extension)
    thigh_tilt: float | None = None  # legs tilted backward about the ankles; None = as a person
    # balances (centre of mass 3 cm ahead of the mid-foot)
    knee_flexion: float = 0.0
    lateral_bend: float = 0.0  # trunk to the person's left (+)
    trunk_rotation: float = 0.0  # shoulders turned to the person's left (+) about the trunk axis
    pelvic_rotation: float = 0.0  # whole body turned to the left (+) about the vertical


@dataclass(frozen=True)
class SynthCamera:
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    distance: float = 2.3  # metres from the body's centre
    focal_35mm: float = 26.0  # a phone's main camera
    width: int = 720
    height: int = 1280

    @property
    def focal(self) -> float:
        """Pixels; 35 mm equivalents refer to the 43.27 mm diagonal."""
        return self.focal_35mm / 43.27 * math.hypot(self.width, self.height)


@dataclass(frozen=True)
class SynthShot:
    landmarks: Landmarks
    truth: dict[str, float]
    body_points: np.ndarray  # (33, 3) true body-frame points
    camera_rotation: np.ndarray  # rows: camera x (right), y (down), z (forward) in body frame
    focal: float
    extras: dict = field(default_factory=dict)


# Standing skeleton of a 1.75 m adult in body coordinates (x left, y forward, z up).
_H = 1.75
_STANDING = {
    "nose": (0.0, 0.10, 0.935),
    "left_eye_inner": (0.015, 0.085, 0.945),
    "left_eye": (0.032, 0.08, 0.946),
    "left_eye_outer": (0.048, 0.072, 0.945),
    "right_eye_inner": (-0.015, 0.085, 0.945),
    "right_eye": (-0.032, 0.08, 0.946),
    "right_eye_outer": (-0.048, 0.072, 0.945),
    "left_ear": (0.075, 0.0, 0.93),
    "right_ear": (-0.075, 0.0, 0.93),
    "mouth_left": (0.025, 0.085, 0.905),
    "mouth_right": (-0.025, 0.085, 0.905),
    "left_shoulder": (0.105, 0.0, 0.818),
    "right_shoulder": (-0.105, 0.0, 0.818),
    "left_hip": (0.055, 0.0, 0.53),
    "right_hip": (-0.055, 0.0, 0.53),
    "left_knee": (0.055, 0.01, 0.285),
    "right_knee": (-0.055, 0.01, 0.285),
    "left_ankle": (0.055, 0.0, 0.039),
    "right_ankle": (-0.055, 0.0, 0.039),
    "left_heel": (0.055, -0.035, 0.01),
    "right_heel": (-0.055, -0.035, 0.01),
    "left_foot_index": (0.07, 0.115, 0.01),
    "right_foot_index": (-0.07, 0.115, 0.01),
}
_ARM = (0.186, 0.146, 0.06)  # upper arm, forearm, wrist to fingertip, fractions of height


def _rot(axis: str, deg: float) -> np.ndarray:
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def pose_points(pose: SynthPose) -> np.ndarray:
    """(33, 3) body-frame points of the posed skeleton, feet flat on the floor."""
    if pose.thigh_tilt is None:
        lo, hi = -25.0, 45.0  # bisection on the tilt that puts the centre of mass over the feet
        for _ in range(30):
            mid = (lo + hi) / 2
            pts = _posed(replace(pose, thigh_tilt=mid))
            if _balance_offset(pts) > BALANCE_AHEAD_M:
                lo = mid
            else:
                hi = mid
        return _posed(replace(pose, thigh_tilt=(lo + hi) / 2))
    return _posed(pose)


BALANCE_AHEAD_M = 0.03
# Dempster via Winter (2009): (from, to, mass fraction, centre fraction from "from")
_MASSES = (
    ("shoulder_mid", "hip_mid", 0.497, 0.5),
    ("left_shoulder", "left_elbow", 0.028, 0.436),
    ("right_shoulder", "right_elbow", 0.028, 0.436),
    ("left_elbow", "left_wrist", 0.016, 0.43),
    ("right_elbow", "right_wrist", 0.016, 0.43),
    ("left_wrist", "left_index", 0.006, 0.5),
    ("right_wrist", "right_index", 0.006, 0.5),
    ("left_hip", "left_knee", 0.1, 0.433),
    ("right_hip", "right_knee", 0.1, 0.433),
    ("left_knee", "left_ankle", 0.0465, 0.433),
    ("right_knee", "right_ankle", 0.0465, 0.433),
    ("left_heel", "left_foot_index", 0.0145, 0.5),
    ("right_heel", "right_foot_index", 0.0145, 0.5),
    ("nose", "nose", 0.081, 0.0),
)


def _balance_offset(pts: np.ndarray) -> float:
    """How far (m) the centre of mass lies ahead of the middle of the feet."""

    def at(name):
        if name.endswith("_mid"):
            return (pts[INDEX["left_" + name[:-4]]] + pts[INDEX["right_" + name[:-4]]]) / 2
        return pts[INDEX[name]]

    com = sum(m * (at(a) + f * (at(b) - at(a))) for a, b, m, f in _MASSES)
    feet = np.mean(
        [at(n) for n in ("left_heel", "left_foot_index", "right_heel", "right_foot_index")], axis=0
    )
    return float(com[1] - feet[1])


def _posed(pose: SynthPose) -> np.ndarray:
    thigh_tilt = pose.thigh_tilt
    assert thigh_tilt is not None  # pose_points settles a tilt left to balance first
    base = {name: np.array(p, dtype=float) * _H for name, p in _STANDING.items()}
    pts: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        ankle = base[f"{side}_ankle"]
        # legs: tilt backward about the ankle (about the left axis x: + tilt moves the hip back)
        tilt = _rot("x", thigh_tilt)
        shank = base[f"{side}_knee"] - ankle
        # knee flexion bends the shank forward (knee ahead of the ankle) and the thigh back
        half = pose.knee_flexion / 2
        knee = ankle + tilt @ _rot("x", -half) @ shank
        thigh = base[f"{side}_hip"] - base[f"{side}_knee"]
        hip = knee + tilt @ _rot("x", half) @ thigh
        pts[f"{side}_knee"], pts[f"{side}_hip"] = knee, hip
        for part in ("ankle", "heel", "foot_index"):
            pts[f"{side}_{part}"] = base[f"{side}_{part}"]
    hip_mid = (pts["left_hip"] + pts["right_hip"]) / 2
    # trunk: flexion about the hip axis on top of the thigh tilt, then lateral bend,
    # then the shoulders' axial rotation about the trunk's own axis
    trunk_rot = _rot("x", -(pose.hip_flexion - thigh_tilt)) @ _rot("y", pose.lateral_bend)
    base_hip = (base["left_hip"] + base["right_hip"]) / 2
    axial = _rot("z", -pose.trunk_rotation)  # + turns the front to the left
    upper = [n for n in _STANDING if n not in pts and "hip" not in n]
    for name in upper:
        rel = base[name] - base_hip
        if (
            name.endswith("shoulder")
            or name in ("nose",)
            or "eye" in name
            or "ear" in name
            or "mouth" in name
        ):
            rel = axial @ rel
        pts[name] = hip_mid + trunk_rot @ rel
    # arms hang straight down from the shoulders (gravity), slightly forward of the body
    for side in ("left", "right"):
        shoulder = pts[f"{side}_shoulder"]
        down = np.array([0.0, 0.02, -1.0]) / np.linalg.norm([0.0, 0.02, -1.0])
        elbow = shoulder + down * _ARM[0] * _H
        wrist = elbow + down * _ARM[1] * _H
        sign = 1 if side == "left" else -1
        pts[f"{side}_elbow"], pts[f"{side}_wrist"] = elbow, wrist
        pts[f"{side}_index"] = wrist + down * _ARM[2] * _H + np.array([0, 0.02, 0])
        pts[f"{side}_pinky"] = wrist + down * _ARM[2] * _H * 0.8 + np.array([sign * 0.01, -0.01, 0])
        pts[f"{side}_thumb"] = wrist + down * _ARM[2] * _H * 0.6 + np.array([-sign * 0.01, 0.03, 0])
    out = np.array([pts[name] for name in LANDMARK_NAMES])
    if pose.pelvic_rotation:
        centre = np.array([hip_mid[0], hip_mid[1], 0.0])
        out = (out - centre) @ _rot("z", -pose.pelvic_rotation).T + centre
    out[:, 2] -= min(0.0, out[:, 2].min())  # nothing under the floor
    return out


# Parent of each landmark in a tree rooted between the hips ("" = the root), in walking order.
_PARENT: dict[str, str] = {
    "left_hip": "",
    "right_hip": "",
    "left_knee": "left_hip",
    "right_knee": "right_hip",
    "left_ankle": "left_knee",
    "right_ankle": "right_knee",
    "left_heel": "left_ankle",
    "right_heel": "right_ankle",
    "left_foot_index": "left_ankle",
    "right_foot_index": "right_ankle",
    "left_shoulder": "left_hip",
    "right_shoulder": "right_hip",
    "left_elbow": "left_shoulder",
    "right_elbow": "right_shoulder",
    "left_wrist": "left_elbow",
    "right_wrist": "right_elbow",
    **{
        f"{side}_{part}": f"{side}_wrist"
        for side in ("left", "right")
        for part in ("index", "pinky", "thumb")
    },
    **dict.fromkeys(LANDMARK_NAMES[:11], "left_shoulder"),  # the face rides on the shoulders
}


def _flatten(points: np.ndarray, gain: float) -> np.ndarray:
    """Scale every bone's angle out of the image plane by ``gain``, keeping its length."""
    if gain == 1.0:
        return points.copy()
    out = points.copy()
    for name, parent in _PARENT.items():
        i = INDEX[name]
        start = points[INDEX[parent]] if parent else np.zeros(3)
        new_start = out[INDEX[parent]] if parent else np.zeros(3)
        bone = points[i] - start
        flat = float(np.hypot(bone[0], bone[1]))
        tilt = math.atan2(bone[2], flat) * gain
        length = float(np.linalg.norm(bone))
        direction = bone[:2] / flat if flat > 1e-9 else np.zeros(2)
        out[i] = new_start + np.array(
            [*(direction * length * math.cos(tilt)), length * math.sin(tilt)]
        )
    return out


def camera_rotation(cam: SynthCamera) -> np.ndarray:
    """Rows = camera right, down, forward axes in body coordinates."""
    a, e = math.radians(cam.yaw), math.radians(cam.pitch)
    to_camera = np.array([-math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e)])
    forward = -to_camera
    # body coordinates (left, forward, up) are left-handed: a physical cross product
    # is minus numpy's formula there
    right = -np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = -np.cross(right, forward)
    r = math.radians(cam.roll)  # turn the camera about its optical axis
    right, up = right * math.cos(r) + up * math.sin(r), up * math.cos(r) - right * math.sin(r)
    return np.array([right, -up, forward])


def shoot(
    pose: SynthPose,
    cam: SynthCamera,
    *,
    depth_gain: float = 1.0,
    depth_noise_m: float = 0.0,
    pixel_noise: float = 0.0,
    seed: int = 0,
) -> SynthShot:
    """Photograph ``pose`` with ``cam``; return MediaPipe-like landmarks and the truth."""
    rng = np.random.default_rng(seed)
    body = pose_points(pose)
    rot = camera_rotation(cam)
    lo, hi = body.min(0), body.max(0)
    target = (lo + hi) / 2
    a, e = math.radians(cam.yaw), math.radians(cam.pitch)
    position = target + cam.distance * np.array(
        [-math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e)]
    )
    cam_pts = (body - position) @ rot.T  # x right, y down, z forward
    f = cam.focal
    pixel = np.stack(
        [
            cam.width / 2 + f * cam_pts[:, 0] / cam_pts[:, 2],
            cam.height / 2 + f * cam_pts[:, 1] / cam_pts[:, 2],
        ],
        axis=1,
    )
    torso = np.linalg.norm(
        (body[INDEX["left_shoulder"]] + body[INDEX["right_shoulder"]]) / 2
        - (body[INDEX["left_hip"]] + body[INDEX["right_hip"]]) / 2
    )
    if pixel_noise:
        torso_px = f * torso / cam.distance
        pixel = pixel + rng.normal(0, pixel_noise * torso_px, pixel.shape)
    hip_mid = (body[INDEX["left_hip"]] + body[INDEX["right_hip"]]) / 2
    world = _flatten((body - hip_mid) @ rot.T, depth_gain)
    if depth_noise_m:
        world[:, 2] += rng.normal(0, depth_noise_m, len(world))
    normalized = np.column_stack(
        [
            pixel[:, 0] / cam.width,
            pixel[:, 1] / cam.height,
            world[:, 2] * f / cam.distance / cam.width,
        ]
    )
    ones = np.ones(len(body))
    landmarks = Landmarks(
        pixel=pixel,
        normalized=normalized,
        world=world,
        visibility=ones * 0.99,
        presence=ones * 0.99,
        image_size=(cam.width, cam.height),
    )
    hip_camera = (
        hip_mid - position
    ) @ rot.T  # where the hip centre truly is, for checking distances
    return SynthShot(
        landmarks, truth_angles(body), body, rot, f, extras={"hip_centre_camera": hip_camera}
    )


def _sag(v: np.ndarray) -> float:
    """Inclination from vertical in the sagittal plane, + when the top leans forward."""
    return math.degrees(math.atan2(v[1], v[2]))


def truth_angles(body: np.ndarray) -> dict[str, float]:
    """The angles our measurements should read, from the body-frame points (degrees).

    Same definitions as vision/measure.py, evaluated on the exact skeleton.
    """

    def mid(name):
        return (body[INDEX[f"left_{name}"]] + body[INDEX[f"right_{name}"]]) / 2

    trunk = mid("shoulder") - mid("hip")
    thigh = mid("hip") - mid("knee")
    knees = []
    for side in ("left", "right"):
        a = body[INDEX[f"{side}_hip"]] - body[INDEX[f"{side}_knee"]]
        b = body[INDEX[f"{side}_ankle"]] - body[INDEX[f"{side}_knee"]]
        cos = np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)
        knees.append(180.0 - math.degrees(math.acos(np.clip(cos, -1, 1))))
    shoulders = body[INDEX["left_shoulder"]] - body[INDEX["right_shoulder"]]
    hips = body[INDEX["left_hip"]] - body[INDEX["right_hip"]]

    def heading(v: np.ndarray) -> float:
        return math.degrees(math.atan2(-v[1], v[0]))  # + when the left end moves back

    rotation = (heading(shoulders) - heading(hips) + 180) % 360 - 180
    return {
        "trunk_inclination": _sag(trunk),
        "trunk_thigh_angle": _sag(trunk) - _sag(thigh),
        "knee_flexion": float(np.mean(knees)),
        "lateral_bend": math.degrees(math.atan2(trunk[0], trunk[2])),
        "trunk_rotation": rotation,
        "pelvic_rotation": heading(hips),
    }
