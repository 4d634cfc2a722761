"""Test helpers: run the whole analysis on a synthetic person with exact angles."""

from __future__ import annotations

import numpy as np

from backcare.vision.analysis import analyse_image
from backcare.vision.pose import PoseOutput
from backcare.vision.types import AnalysedPhoto
from tests.support.synthetic_landmarks import SynthCamera, SynthPose, SynthShot, shoot


class StandIn:
    """An estimator that 'sees' a given synthetic person (MediaPipe is not asked)."""

    def __init__(self, shot: SynthShot):
        self.shot = shot

    def estimate(self, rgb):
        return PoseOutput(self.shot.landmarks, None, ())


def textured(width: int, height: int) -> np.ndarray:
    """A sharp, evenly lit picture with level lines (a tiled wall), for the image gates."""
    img = np.full((height, width, 3), 170, np.uint8)
    img[::40] = 60
    img[:, ::40] = 60
    return img


def analyse_synthetic(
    pose: SynthPose, camera: SynthCamera, **kw
) -> tuple[AnalysedPhoto, SynthShot]:
    shot = shoot(pose, camera, depth_gain=kw.pop("depth_gain", 0.8))
    # exact projected keypoints do not err as BlazePose does: the estimators fitted to its
    # errors (vision.estimators) stay off unless a test asks for them
    kw.setdefault("fitted", False)
    out = analyse_image(textured(*shot.landmarks.image_size), StandIn(shot), **kw)
    return out, shot
