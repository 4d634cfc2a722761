"""MediaPipe BlazePose (full model, bundled in the wheel) behind a small, typed wrapper.

One ``PoseEstimator`` holds one MediaPipe graph and is reused for every photo of
a worker process (building it costs ~0.2 s; a call ~20-35 ms). The graph is
MediaPipe's own ``pose_landmark_cpu`` with one extra output: every person the
detector saw (``pose_detections``), not only the one it went on to track, so
the quality gates can tell when a second person is in the picture without a
second model run. The landmarks come as ``vision.face.PhotoLandmarks``: with what the
picture shows around the eye landmarks (a face or plain skin/hair), which tells a back
view from a front one where the landmarks cannot (geometry._front_votes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from backcare.vision.face import PhotoLandmarks, face_detail
from backcare.vision.types import INDEX, LANDMARK_NAMES, Landmarks

_GRAPH = "mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb"
_OUTPUTS = ["pose_landmarks", "pose_world_landmarks", "segmentation_mask", "pose_detections"]


@dataclass(frozen=True)
class Detection:
    """One person found by BlazePose's detector (before landmarks).

    score: detector confidence; centre and radius (pixels): the circle BlazePose
    fits around the whole body (mid-hip centre, radius to the body's extent).
    """

    score: float
    centre: tuple[float, float]
    radius: float


@dataclass(frozen=True)
class PoseOutput:
    """One photo's pose. ``landmarks`` is None when the detector found people
    but the landmark model was not confident about any of them (or nobody was found)."""

    landmarks: Landmarks | None
    mask: np.ndarray | None  # (H, W) float32 0..1, person probability
    detections: tuple[Detection, ...]  # every person the detector saw, best first
    fallback: bool = False  # found only with the low detection threshold


class PoseEstimator:
    """BlazePose on still images: landmarks, world landmarks, mask and all detections.

    ``fallback_confidence``: when nobody is found at ``min_detection_confidence``,
    try once more at this lower threshold. Deep forward bends hide the face the
    detector is anchored on; the synthetic study found that 0.1 recovers about
    half of those misses with similar accuracy.
    """

    def __init__(
        self,
        min_detection_confidence: float = 0.5,
        fallback_confidence: float | None = 0.1,
        min_landmark_confidence: float = 0.5,
    ):
        self._graphs = [_make_graph(min_detection_confidence, min_landmark_confidence)]
        self._fallback_confidence = fallback_confidence
        self._min_landmark_confidence = min_landmark_confidence

    def estimate(self, rgb: np.ndarray) -> PoseOutput:
        """Pose of the most prominent person in an RGB uint8 (H, W, 3) image (landmarks None if none)."""
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected RGB uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}")
        rgb = np.ascontiguousarray(rgb)
        out = _run(self._graphs[0], rgb)
        if out.landmarks is None and self._fallback_confidence is not None:
            if len(self._graphs) == 1:  # built on first need: most workers never need it
                self._graphs.append(
                    _make_graph(self._fallback_confidence, self._min_landmark_confidence)
                )
            second = _run(self._graphs[1], rgb)
            if second.landmarks is not None:
                return PoseOutput(second.landmarks, second.mask, second.detections, fallback=True)
            if len(second.detections) > len(out.detections):
                out = second
        return out

    def close(self) -> None:
        for graph in self._graphs:
            graph.close()
        self._graphs = []

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def estimate_mirrored(estimator, rgb: np.ndarray) -> PoseOutput:
    """``estimator``'s pose of ``rgb`` mirrored left to right, turned back into ``rgb``'s
    own frame: the same person, read a second time.

    BlazePose sometimes reads a person seen obliquely from behind as a mirror-image body
    (one that faces the camera, or turns the other way): the view then comes out ~90 deg
    off and a backward bend can look like a side bend. Its errors on a mirrored picture
    are not the mirror of its errors on the picture (renders: of the photos questioned
    as another movement that showed the asked one, the mirrored reading put the view
    right on some), so a second, mirrored reading is an independent look at a doubtful
    photo (backcare.application.pipeline.wants_second_look)."""
    out = estimator.estimate(np.ascontiguousarray(rgb[:, ::-1]))
    width = rgb.shape[1]
    mask = None if out.mask is None else np.ascontiguousarray(out.mask[:, ::-1])
    detections = tuple(
        Detection(d.score, (width - d.centre[0], d.centre[1]), d.radius) for d in out.detections
    )
    landmarks = None if out.landmarks is None else mirror_landmarks(out.landmarks)
    return replace(out, landmarks=landmarks, mask=mask, detections=detections)


def flip_depth(out: PoseOutput) -> PoseOutput:
    """``out`` with every landmark's depth turned over (MediaPipe's world z and its image z):
    the body a photo shows equally well, mirrored in depth.

    One picture cannot tell a segment leaning towards the camera from one leaning away by as
    much: only MediaPipe's depth says which, and it sometimes says wrong. Seen 40-55 deg off
    the side, half a lean lies in depth, so a backward bend can come out as a forward lean
    and then as a side bend or a rotation (renders: 6 of ~950 backward bends, all 39-53 deg
    off the side, read leaning forward; the depth turned over, 5 of them read leaning back).
    The pixels, the mask and the face's evidence stay as they are."""
    lm = out.landmarks
    if lm is None:
        return out
    world, normalized = lm.world.copy(), lm.normalized.copy()
    world[:, 2] = -world[:, 2]
    normalized[:, 2] = -normalized[:, 2]
    return replace(out, landmarks=replace(lm, world=world, normalized=normalized))


# each landmark's mirror image: left and right swap names (the nose stays)
_MIRROR = np.array(
    [
        INDEX[name.replace("left", "@").replace("right", "left").replace("@", "right")]
        for name in LANDMARK_NAMES
    ]
)


def mirror_landmarks(lm: Landmarks) -> Landmarks:
    """Landmarks found on a left-right mirrored picture, in the picture's own frame: each
    point takes its mirror's name, x turns over (pixels, normalised and MediaPipe's world,
    whose x runs along the picture's). What the picture says about the face (eye-window
    contrast, the larger of the two eyes) is the same either way round."""
    width = lm.image_size[0]
    normalized = lm.normalized[_MIRROR].copy()
    normalized[:, 0] = 1.0 - normalized[:, 0]
    pixel = lm.pixel[_MIRROR].copy()
    pixel[:, 0] = width - pixel[:, 0]
    world = lm.world[_MIRROR].copy()
    world[:, 0] = -world[:, 0]
    return replace(
        lm,
        pixel=pixel,
        normalized=normalized,
        world=world,
        visibility=lm.visibility[_MIRROR].copy(),
        presence=lm.presence[_MIRROR].copy(),
    )


def _make_graph(detection: float, landmark: float):
    from mediapipe.python.solution_base import SolutionBase

    return SolutionBase(
        binary_graph_path=_GRAPH,
        side_inputs={
            "model_complexity": 1,  # the full model: 0 and 2 are not in the wheel
            "smooth_landmarks": False,
            "enable_segmentation": True,
            "smooth_segmentation": False,
            "use_prev_landmarks": False,  # still images: detect every time
        },
        calculator_params={
            "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": detection,
            "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator.threshold": landmark,
        },
        outputs=_OUTPUTS,
    )


def _run(graph, rgb: np.ndarray) -> PoseOutput:
    result = graph.process({"image": rgb})
    height, width = rgb.shape[:2]
    detections = _detections(result.pose_detections, width, height)
    if result.pose_landmarks is None or result.pose_world_landmarks is None:
        return PoseOutput(None, None, detections)
    image_points = np.array(
        [(p.x, p.y, p.z, p.visibility, p.presence) for p in result.pose_landmarks.landmark],
        dtype=np.float64,
    )
    norm, visibility, presence = (
        image_points[:, :3].copy(),
        image_points[:, 3].copy(),
        image_points[:, 4].copy(),
    )
    world = np.array(
        [(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float64
    )
    pixel = norm[:, :2] * np.array([width, height], dtype=np.float64)
    landmarks = PhotoLandmarks(
        pixel=pixel,
        normalized=norm,
        world=world,
        visibility=visibility,
        presence=presence,
        image_size=(width, height),
    )
    # what the picture says about the face, for telling a back view from a front one
    # (geometry._front_votes); measured here because only here is the picture at hand
    landmarks = replace(landmarks, face_detail=face_detail(rgb, landmarks))
    mask = None
    if result.segmentation_mask is not None:  # the packet's buffer is reused: copy it
        mask = np.array(result.segmentation_mask, dtype=np.float32, copy=True)
    return PoseOutput(landmarks, mask, detections)


def _detections(protos, width: int, height: int) -> tuple[Detection, ...]:
    found = []
    for proto in protos or ():
        points = proto.location_data.relative_keypoints
        if len(points) < 2:
            continue
        # keypoint 0: mid-hip; keypoint 1: a point on the circle around the whole body
        cx, cy = points[0].x * width, points[0].y * height
        radius = float(np.hypot(points[1].x * width - cx, points[1].y * height - cy))
        found.append(Detection(float(proto.score[0]) if proto.score else 0.0, (cx, cy), radius))
    return tuple(sorted(found, key=lambda d: -d.score))
