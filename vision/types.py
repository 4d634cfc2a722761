"""Data that leaves vision/: landmarks, view, back shape, measurements, the photo analysis.

Everything here is plain data (numpy arrays and numbers), picklable so it can
cross the worker-process boundary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

# BlazePose's 33 landmarks, in MediaPipe's order.
LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}


@dataclass(frozen=True)
class Landmarks:
    """One person's 33 BlazePose landmarks in every coordinate system MediaPipe gives.

    pixel:      (33, 2) x, y in pixels of the (orientation-corrected) image
    normalized: (33, 3) x, y in [0, 1] of width/height; z relative depth (same scale as x)
    world:      (33, 3) metres, origin between the hips, y down, MediaPipe's axes
    visibility: (33,) probability the point is visible (not occluded)
    presence:   (33,) probability the point is inside the image
    """

    pixel: np.ndarray
    normalized: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    image_size: tuple[int, int]  # (width, height)

    def px(self, name: str) -> np.ndarray:
        return self.pixel[INDEX[name]]

    def mid_px(self, part: str) -> np.ndarray:
        """The pixel midpoint of a left-right pair ("hip", "shoulder", ...)."""
        return (self.px(f"left_{part}") + self.px(f"right_{part}")) / 2

    def xyz(self, name: str) -> np.ndarray:
        return self.world[INDEX[name]]

    def vis(self, name: str) -> float:
        return float(self.visibility[INDEX[name]])


class ViewKind(str, enum.Enum):
    SIDE = "side"
    FRONT = "front"
    BACK = "back"
    OBLIQUE = "oblique"


@dataclass(frozen=True)
class View:
    """Where the camera stood relative to the body.

    yaw_deg: 0 = camera sees the person's right side, 90 = front, 180 = left, 270 = back
    (the renders' convention: tests/data/renders/truth.json). pitch_deg > 0: camera above,
    looking down.
    roll_deg: camera tilt about its optical axis (a standing body's vertical leans by it).
    """

    kind: ViewKind
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    facing: str  # "left" or "right" in the image for side views; "toward"/"away" otherwise
    confidence: float


@dataclass(frozen=True)
class BackShape:
    """The back's outline between shoulder and pelvis, from the segmentation mask.

    points: (N, 2) pixel points along the back contour, from the shoulders down to the pelvis
    curvature: (N,) signed curvature (1/px) along ``points``
    Angles in degrees follow photogrammetric posture assessment: the angle between
    tangents at the ends of each region (thoracic: shoulder to apex of the thoracolumbar
    junction; lumbar: junction to sacrum). ``None`` where the view cannot tell.
    """

    points: np.ndarray
    curvature: np.ndarray
    thoracic_angle: float | None  # kyphosis proxy (side views)
    lumbar_angle: float | None  # lordosis proxy (side views), negative when flexed
    apex: tuple[float, float] | None  # pixel point of greatest curvature
    spine_deviation: float | None  # back views: largest sideways deviation, % of trunk length
    confidence: float  # 0..1: drops with loose clothing, hair, occlusion, mask noise
    notes: tuple[str, ...] = ()
    # side views: the outline's tangent at the levels "S2", "junction", "T1", in degrees
    # from the hip-to-shoulder line, + where the outline moves backwards going up
    slopes: dict[str, float] = field(default_factory=dict)
    # side views: the outline's local slope at vision.back.PROFILE_LEVELS (fractions of the
    # hip-to-shoulder length, "-0.35" to "+0.95"; below 0 the buttocks and thighs), same sign
    profile: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    """One number measured on a photo, in the body's own frame (view-corrected).

    Names (all angles in degrees; see vision/measure.py for definitions):
      trunk_inclination   trunk line from vertical; + forward, - backward
      trunk_thigh_angle   flexion between trunk and thigh lines (hip + lumbar mixed)
      hip_flexion         estimated hip-joint flexion (trunk_thigh_angle minus back-contour lumbar part)
      lumbar_flexion      lumbar flexion from the back contour (+ flexion, - extension)
      thoracic_flexion    thoracic flexion (+ rounding) from the fitted estimators
      hip_extension       thigh behind the vertical in a backward bend
      knee_flexion        mean knee bend, 0 = straight
      reach               fingertip-to-floor gap as a fraction of standing height (0 = touching)
      lumbar_lordosis     standing lumbar curve angle (back contour)
      thoracic_kyphosis   standing thoracic curve angle (back contour)
      pelvic_tilt         sagittal pelvic inclination proxy; + anterior
      head_forward        ear ahead of shoulder, angle from vertical
      sway                hip-centre ahead of ankle-centre, % of leg length; + forward
      shoulder_level      shoulder line from horizontal (frontal plane), + left higher
      pelvis_level        hip line from horizontal (frontal plane), + left higher
      spine_deviation     largest sideways spine deviation, % of trunk length
      lateral_bend        trunk lateral flexion in the frontal plane; + to the person's left
      trunk_rotation      shoulder line vs pelvis line about the vertical; + to the person's left
      pelvic_rotation     pelvis line about the vertical vs the camera-facing frame
    """

    name: str
    value: float
    unit: str  # "deg" or "%" or "ratio"
    confidence: float  # 0..1
    method: str  # e.g. "3d-world", "2d-side", "back-contour"
    # one standard deviation of the reading's error, in ``unit``, for this view and pose
    # (vision/uncertainty.py); None where nobody has estimated it (older saved results)
    uncertainty: float | None = None


class Movement(str, enum.Enum):
    STANDING = "standing"
    FORWARD_BEND = "forward_bend"
    BACKWARD_BEND = "backward_bend"
    ROTATION = "rotation"
    SIDE_BEND = "side_bend"


@dataclass(frozen=True)
class MovementGuess:
    movement: Movement
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    # degrees of each movement the photo shows, signed where a side is meant (vision.movement):
    # forward_bend, backward_bend, side_bend (+ to the person's left), rotation (+ left)
    evidence: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PhotoAnalysis:
    """Everything vision knows about one accepted photo."""

    landmarks: Landmarks
    view: View
    back: BackShape | None
    measurements: dict[str, Measurement]
    movement: MovementGuess
    quality: dict[str, float]  # brightness, sharpness, person_height_frac, ...
    warnings: tuple[str, ...] = ()  # soft issues that lowered confidence
    # readings outside the physiological envelope of the pose seen (vision/envelope.py):
    # name -> why; they are not in ``measurements``
    unusable: dict[str, str] = field(default_factory=dict)
    # the raw body-frame angles and witnesses behind the measurements (vision.measure.raw_angles),
    # for the fitted estimators and the accuracy bench
    angles: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysedPhoto:
    """What vision hands back for an accepted photo: the analysis and, when asked, the annotated JPEG."""

    analysis: PhotoAnalysis
    annotated_jpeg: bytes | None = None
