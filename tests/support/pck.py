"""PCK@0.2 (torso-normalised) of our landmarks against human-labelled keypoints.

A measuring instrument for the tests (the exact keypoints of tests/data/renders) and
the bench (bench/vision.py, human labels in ../shared/data/keypoints_gt when present):
datasets name their joints differently, so the twelve joints all of them label
(shoulders, elbows, wrists, hips, knees, ankles) are compared. A joint counts as
correct when it lies within 0.2 x the torso diameter (mean of the two
shoulder-to-opposite-hip distances, as in the BlazePose paper's PCK@0.2) of its
label. The pose model reports one person per image; it is compared with the
labelled person nearest to it. Images where it finds nobody count every labelled
joint of their largest person as missed.

Two protocols: ``whole`` runs the model on the whole picture (what a patient's
photo gets; in crowded pictures it may pick someone else), ``top-down`` runs it
on each labelled person's box padded by 15% (the usual protocol for
single-person models: the dataset's box, or MPII's centre and scale).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backcare.vision.types import INDEX, Landmarks

COMMON = (
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
THRESHOLD = 0.2
MIN_LABELLED = 6
PAD = 0.15  # top-down crop: the labelled box plus this share of its longer side


@dataclass(frozen=True)
class Person:
    points: dict[str, np.ndarray]  # common joint -> (x, y) pixels, labelled joints only
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixels

    @property
    def torso(self) -> float | None:
        diagonals = [
            np.linalg.norm(self.points[a] - self.points[b])
            for a, b in (("left_shoulder", "right_hip"), ("right_shoulder", "left_hip"))
            if a in self.points and b in self.points
        ]
        return float(np.mean(diagonals)) if diagonals else None


@dataclass(frozen=True)
class ImageScore:
    file: str  # dataset/filename
    detected: bool
    correct: int
    labelled: int


def load_labels(folder: Path) -> dict[str, list[Person]]:
    """dataset/filename -> the labelled people usable for PCK (torso known, >= 6 joints)."""
    data = json.loads((folder / "keypoints_gt.json").read_text())
    out: dict[str, list[Person]] = {}
    for dataset, spec in data["datasets"].items():
        names = [n.lower().replace(" ", "_") for n in spec["joint_order"]]
        for filename, image in spec["images"].items():
            people = []
            for person in image["persons"]:
                points = {}
                for name, (x, y, v) in zip(names, person["keypoints"]):
                    if name in COMMON and _labelled(dataset, v, x, y):
                        points[name] = np.array([x, y], dtype=float)
                p = Person(points, _box(person, points))
                if len(points) >= MIN_LABELLED and p.torso:
                    people.append(p)
            if people:
                out[f"{dataset}/{filename}"] = people
    return out


def _box(record: dict, points: dict[str, np.ndarray]) -> tuple[float, float, float, float]:
    if "bbox_xywh" in record:
        x, y, w, h = record["bbox_xywh"]
        return x, y, x + w, y + h
    if "center" in record and "scale" in record:  # MPII: a box of 200 * scale pixels
        (cx, cy), half = record["center"], 100.0 * record["scale"]
        return cx - half, cy - half, cx + half, cy + half
    xy = np.array(list(points.values()))
    return (*xy.min(0), *xy.max(0))


def _labelled(dataset: str, v: float, x: float, y: float) -> bool:
    if dataset == "aic":  # 1 visible, 2 occluded, 3 not labelled
        return v in (1, 2)
    if dataset == "mpii":  # 1 labelled, 0 not
        return v >= 1 and (x > 0 or y > 0)
    return v > 0  # COCO style: 0 not labelled


def score_image(file: str, people: list[Person], landmarks: Landmarks | None) -> ImageScore:
    if landmarks is None:
        largest = max(people, key=lambda p: p.torso or 0.0)
        return ImageScore(file, False, 0, len(largest.points))
    pred = {name: landmarks.pixel[INDEX[name]] for name in COMMON}

    def torso(p: Person) -> float:
        size = p.torso
        assert size is not None  # the loader keeps only people whose torso is known
        return size

    def distance(p: Person) -> float:  # mean torso-normalised distance over its joints
        mean = float(np.mean([np.linalg.norm(pred[n] - xy) for n, xy in p.points.items()]))
        return mean / torso(p)

    match = min(people, key=distance)
    limit = THRESHOLD * torso(match)
    correct = sum(int(np.linalg.norm(pred[n] - xy) <= limit) for n, xy in match.points.items())
    return ImageScore(file, True, correct, len(match.points))


def evaluate(folder: Path, estimate, protocol: str = "top-down") -> list[ImageScore]:
    """Score ``estimate`` (RGB array -> Landmarks | None) on every labelled image or person."""
    from backcare.vision.loading import load_image

    scores = []
    for file, people in sorted(load_labels(folder).items()):
        rgb = load_image((folder / file).read_bytes(), max_side=None)
        if protocol == "whole":
            scores.append(score_image(file, people, estimate(rgb)))
            continue
        h, w = rgb.shape[:2]
        for k, person in enumerate(people):
            x0, y0, x1, y1 = person.box
            pad = PAD * max(x1 - x0, y1 - y0)
            x0, y0 = int(max(0, x0 - pad)), int(max(0, y0 - pad))
            x1, y1 = int(min(w, x1 + pad)), int(min(h, y1 + pad))
            crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            found = estimate(crop) if min(crop.shape[:2]) >= 32 else None
            if found is not None:  # back to the whole picture's pixels
                found = Landmarks(
                    found.pixel + np.array([x0, y0]),
                    found.normalized,
                    found.world,
                    found.visibility,
                    found.presence,
                    (w, h),
                )
            scores.append(score_image(f"{file}#{k}", [person], found))
    return scores


def pck(scores: list[ImageScore]) -> float:
    labelled = sum(s.labelled for s in scores)
    return sum(s.correct for s in scores) / labelled if labelled else 0.0
