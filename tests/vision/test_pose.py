"""Pose: BlazePose finds the person on the rendered photos, lands on their exact joints and
reproduces MediaPipe's own reference output on Google's test picture."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.support.pck import COMMON, Person, pck, score_image


def test_a_person_is_detected_on_every_movement_photo(estimator, rgb_of, movement_files):
    missed = []
    for f in movement_files:
        out = estimator.estimate(rgb_of(f))
        if out.landmarks is None:
            missed.append(f)
        else:
            assert out.landmarks.pixel.shape == (33, 2) and out.landmarks.world.shape == (33, 3)
            assert out.mask is not None and out.mask.shape == rgb_of(f).shape[:2]
    assert not missed, missed


def test_every_person_the_detector_sees_is_reported(estimator, rgb_of):
    out = estimator.estimate(rgb_of("renders/two_people.jpg"))
    assert len(out.detections) == 2
    assert all(d.score > 0.9 for d in out.detections)


def test_landmarks_are_hip_centred_metres_and_pixels(estimator, rgb_of):
    lm = estimator.estimate(rgb_of("renders/standing_side_right.jpg")).landmarks
    hips = (lm.xyz("left_hip") + lm.xyz("right_hip")) / 2
    assert np.linalg.norm(hips) < 0.02  # world origin between the hips
    height = lm.xyz("left_ankle")[1] - lm.xyz("left_shoulder")[1]
    assert 1.0 < height < 1.6  # metres, y down
    w, h = lm.image_size
    assert np.allclose(lm.pixel, lm.normalized[:, :2] * [w, h])
    assert lm.presence.min() > 0.5 and lm.visibility.max() <= 1.0


def test_mediapipe_reference_landmarks_are_reproduced(estimator, test_data, photo_bytes):
    """Google's expected output of the full model on its own test picture, within 0.02 of the frame."""
    from backcare.vision.loading import load_image

    expected = json.loads((test_data / "mediapipe_fixture" / "expected_landmarks.json").read_text())
    lm = estimator.estimate(load_image(photo_bytes("mediapipe_fixture/test_image.jpg"))).landmarks
    errors = {}
    for model, result in expected["results"].items():
        ref = np.array(result["normalized_xyz"])[:, :2]
        errors[model] = np.abs(lm.normalized[:, :2] - ref)
    full = errors["pose_landmarker_full"]
    assert full.max() < 0.02, full.max()
    assert np.median(full) < 0.003
    # and it is the full model we run: the lite and heavy references differ more
    assert full.max() < errors["pose_landmarker_lite"].max()
    assert full.max() < errors["pose_landmarker_heavy"].max()


def test_pck_on_the_renders_exact_joints(estimator, rgb_of, manifest, movement_files):
    """PCK@0.2 (torso-normalised) over the 12 joints of tests.support.pck, against each
    render's exact 2D keypoints (the body model's COCO keypoints, hidden ones included)."""
    scores = []
    for f in movement_files:
        points = {n: np.array(manifest[f]["keypoints"][n][:2]) for n in COMMON}
        xy = np.array(list(points.values()))
        person = Person(points, (*xy.min(0), *xy.max(0)))
        scores.append(score_image(f, [person], estimator.estimate(rgb_of(f)).landmarks))
    score = pck(scores)
    print(f"PCK@0.2 {score:.3f} over {len(scores)} renders")
    assert len(scores) >= 20 and all(s.detected for s in scores)
    assert score >= 0.95  # measured 0.98: the two back-view side bends miss 2 joints each


@pytest.mark.parametrize("bad", [np.zeros((64, 64), np.uint8), np.zeros((64, 64, 3), np.float32)])
def test_estimator_refuses_what_is_not_rgb(estimator, bad):
    with pytest.raises(ValueError):
        estimator.estimate(bad)


@pytest.mark.parametrize("photo", ["renders/standing_back.jpg", "renders/side_bend_left.jpg"])
def test_a_mirrored_look_reads_the_same_person_in_the_photo_s_own_frame(estimator, rgb_of, photo):
    from backcare.vision.pose import estimate_mirrored

    rgb = rgb_of(photo)
    plain, mirrored = estimator.estimate(rgb), estimate_mirrored(estimator, rgb)
    a, b = plain.landmarks, mirrored.landmarks
    height = rgb.shape[0]
    # the same points where the photo shows them, under the same names (BlazePose's own
    # scatter between two reads is a few pixels; a left-right mix-up would be a hip width)
    assert np.median(np.linalg.norm(a.pixel - b.pixel, axis=1)) < 0.01 * height
    for side, other in (("left", "right"), ("right", "left")):
        for part in ("shoulder", "hip", "ankle"):
            own = np.linalg.norm(b.px(f"{side}_{part}") - a.px(f"{side}_{part}"))
            swapped = np.linalg.norm(b.px(f"{side}_{part}") - a.px(f"{other}_{part}"))
            assert own < swapped, (photo, side, part)
            # MediaPipe's world x runs along the picture's: it turns back too
            assert np.sign(b.xyz(f"{side}_{part}")[0]) == np.sign(a.xyz(f"{side}_{part}")[0])
    assert np.allclose(b.normalized[:, 0] * b.image_size[0], b.pixel[:, 0])
    assert mirrored.mask is not None and plain.mask is not None
    overlap = (mirrored.mask > 0.5) & (plain.mask > 0.5)
    assert overlap.sum() / ((mirrored.mask > 0.5) | (plain.mask > 0.5)).sum() > 0.9
    (d,), (e,) = plain.detections, mirrored.detections
    assert abs(d.centre[0] - e.centre[0]) < 0.02 * rgb.shape[1]


def _random_landmarks(rng: np.random.Generator, **extra):
    """33 landmarks at random places of a 640x480 picture (PhotoLandmarks: ``extra`` may
    give what the picture says about the face)."""
    from backcare.vision.face import PhotoLandmarks

    norm = rng.uniform(0.1, 0.9, (33, 3))
    return PhotoLandmarks(
        pixel=norm[:, :2] * [640, 480],
        normalized=norm,
        world=rng.normal(0, 0.3, (33, 3)),
        visibility=rng.uniform(0, 1, 33),
        presence=rng.uniform(0, 1, 33),
        image_size=(640, 480),
        **extra,
    )


def test_mirroring_landmarks_twice_gives_them_back_and_swaps_only_sided_names():
    from backcare.vision.pose import mirror_landmarks
    from backcare.vision.types import INDEX

    lm = _random_landmarks(np.random.default_rng(7))
    once = mirror_landmarks(lm)
    assert once.px("nose")[0] == pytest.approx(640 - lm.px("nose")[0])
    assert once.px("left_hip")[0] == pytest.approx(640 - lm.px("right_hip")[0])
    assert once.vis("mouth_left") == lm.vis("mouth_right")
    assert once.xyz("left_eye_outer")[0] == pytest.approx(-lm.xyz("right_eye_outer")[0])
    assert once.xyz("left_eye_outer")[1:] == pytest.approx(lm.xyz("right_eye_outer")[1:])
    twice = mirror_landmarks(once)
    for name in INDEX:
        assert twice.px(name) == pytest.approx(lm.px(name))
        assert twice.xyz(name) == pytest.approx(lm.xyz(name))


def test_turning_the_depth_over_keeps_the_picture_and_turns_only_depth():
    from backcare.vision.pose import Detection, PoseOutput, flip_depth

    rng = np.random.default_rng(8)
    lm = _random_landmarks(rng, face_detail=42.0)
    mask = rng.uniform(0, 1, (480, 640)).astype(np.float32)
    out = PoseOutput(lm, mask, (Detection(0.9, (320.0, 240.0), 200.0),))
    world, normalized = lm.world.copy(), lm.normalized.copy()
    flipped = flip_depth(out)
    f = flipped.landmarks
    # the body mirrored in depth: what the picture shows is the same
    assert np.array_equal(f.pixel, lm.pixel) and np.array_equal(f.visibility, lm.visibility)
    assert np.array_equal(f.world[:, :2], lm.world[:, :2])
    assert np.array_equal(f.world[:, 2], -lm.world[:, 2])
    assert np.array_equal(f.normalized[:, 2], -lm.normalized[:, 2])
    assert f.face_detail == 42.0 and flipped.mask is mask and flipped.detections == out.detections
    # the input is untouched, and turning the depth over twice gives it back
    assert np.array_equal(lm.world, world) and np.array_equal(lm.normalized, normalized)
    again = flip_depth(flipped).landmarks
    assert np.array_equal(again.world, world) and np.array_equal(again.normalized, normalized)
    nobody = PoseOutput(None, None, ())
    assert flip_depth(nobody) is nobody
