"""Geometry: the 3D skeleton, gravity and the body frame give view-independent angles.

The view-invariance test photographs skeletons with known angles through a pinhole
phone camera from many yaw and pitch angles. MediaPipe's world landmarks are
imitated with their known weakness (bones flattened towards the image plane:
depth_gain 0.7, plus 1 cm depth noise); pixels are exact projections, so what is
measured is the view correction itself, not keypoint noise.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backcare.vision.geometry import (
    Gravity,
    Skeleton,
    body_frame,
    centre_of_mass,
    cross,
    estimate_gravity,
    gravity_roll,
    gravity_vector,
    reconstruct,
)
from backcare.vision.types import INDEX, Landmarks
from tests.support.synthetic_landmarks import SynthCamera, SynthPose, shoot

YAWS = range(0, 50, 5)  # degrees off the side view
PITCHES = range(0, 25, 5)  # camera above, looking down
POSES = (
    SynthPose(hip_flexion=20),
    SynthPose(hip_flexion=45),
    SynthPose(hip_flexion=70),
    SynthPose(hip_flexion=100),
    SynthPose(hip_flexion=80, knee_flexion=20),
)
DISTANCE_M = (
    2.5  # a phone's usual distance for a whole-body photo (26 mm lens, body ~70% of the frame)
)
LIMIT_DEG = 5.0  # the aim, in every cell


def _angles(sk: Skeleton, lm: Landmarks) -> tuple[float, float]:
    frame = body_frame(sk, estimate_gravity(sk, lm), lm)
    trunk = sk.at("shoulder_mid") - sk.at("hip_mid")
    thigh = sk.at("hip_mid") - sk.at("knee_mid")
    return frame.sagittal(trunk), frame.sagittal(trunk) - frame.sagittal(thigh)


def _world_only(lm: Landmarks) -> Skeleton:
    """The baseline: MediaPipe's world landmarks as they come."""
    return Skeleton(
        points=lm.world, origin=np.array([0.0, 0.0, 3.0]), focal=1000.0, foreshortened=0.0
    )


def _sweep(depth_noise_m: float, pixel_noise: float = 0.0):
    """Per (yaw, pitch): worst |error| over poses and both sides, ours and the baseline."""
    ours, base = {}, {}
    for yaw, pitch in itertools.product(YAWS, PITCHES):
        worst = worst_base = 0.0
        for k, (pose, side) in enumerate(itertools.product(POSES, (0, 1))):
            cam = SynthCamera(yaw=yaw if side == 0 else 180 - yaw, pitch=pitch, distance=DISTANCE_M)
            shot = shoot(
                pose,
                cam,
                depth_gain=0.7,
                depth_noise_m=depth_noise_m,
                pixel_noise=pixel_noise,
                seed=yaw * 1000 + pitch * 10 + k,
            )
            truth = (shot.truth["trunk_inclination"], shot.truth["trunk_thigh_angle"])
            got = _angles(reconstruct(shot.landmarks), shot.landmarks)
            raw = _angles(_world_only(shot.landmarks), shot.landmarks)
            worst = max(worst, *(abs(g - t) for g, t in zip(got, truth)))
            worst_base = max(worst_base, *(abs(g - t) for g, t in zip(raw, truth)))
        ours[yaw, pitch], base[yaw, pitch] = worst, worst_base
    return ours, base


def _table(errors: dict, title: str) -> str:
    lines = [title, "yaw\\pitch " + " ".join(f"{p:>5}" for p in PITCHES)]
    for yaw in YAWS:
        lines.append(f"{yaw:>9} " + " ".join(f"{errors[yaw, p]:5.1f}" for p in PITCHES))
    return "\n".join(lines)


@pytest.mark.slow  # the whole sweep; the single-view tests below stay in the fast suite
def test_hip_flexion_and_trunk_inclination_are_view_invariant():
    """Within 5 deg of the truth in every (yaw, pitch) cell, for every pose, seen from both sides.

    The hardest cells are shallow bends seen 40-45 deg off the side: the trunk then
    leans square to the line of sight, where its length says nothing about its depth
    and MediaPipe's flattened depth (undone by the fitted gain) and the sagittal-plane
    prior decide. Over 6 other noise seeds (bench/vision.py) 99% of the cells stay within
    5 deg: 4 of 3000 shots miss by more, worst 8 deg, all 20-45 deg bends at 35-45 deg
    yaw: MediaPipe's depth noise, amplified by undoing its flattening, on bones square to
    the line of sight (and foreshortening's two roots there)."""
    ours, base = _sweep(depth_noise_m=0.01)
    report = (
        _table(ours, "ours: worst |error| deg (trunk inclination, trunk-thigh flexion)")
        + "\n"
        + _table(base, "MediaPipe world landmarks as they come")
    )
    print(report)
    errors = np.array(list(ours.values()))
    assert errors.max() <= LIMIT_DEG, report
    assert errors.mean() <= 3.0, report
    # the baseline misses by far more, so the test measures the correction, not an easy case
    assert max(base.values()) > LIMIT_DEG + 6, report


@pytest.mark.slow  # the whole sweep again, with noise
def test_with_keypoint_noise_the_correction_still_beats_raw_world_landmarks():
    """2 cm depth noise and 1% of torso length in the pixels (reported; no 5 deg claim)."""
    ours, base = _sweep(depth_noise_m=0.02, pixel_noise=0.01)
    report = (
        _table(ours, "ours, with keypoint noise")
        + "\n"
        + _table(base, "world landmarks, same noise")
    )
    print(report)
    assert np.mean(list(ours.values())) < np.mean(list(base.values())), report


@pytest.mark.parametrize("bend", [15, 30])
@pytest.mark.parametrize("yaw", [90, 70, 45])
def test_a_side_bend_is_not_pulled_into_the_sagittal_plane(bend, yaw):
    """The trunk's sagittal-plane prior must not erase a real side bend, even seen at
    an angle (a prior as tight as 3 deg would read a 30 deg bend at 45 deg as ~3 deg)."""
    for cam in (SynthCamera(yaw=yaw, pitch=8), SynthCamera(yaw=180 - yaw, pitch=8)):
        shot = shoot(
            SynthPose(lateral_bend=bend), cam, depth_gain=0.7, depth_noise_m=0.01, seed=yaw
        )
        sk = reconstruct(shot.landmarks)
        frame = body_frame(sk, estimate_gravity(sk, shot.landmarks), shot.landmarks)
        seen = frame.lateral(sk.at("shoulder_mid") - sk.at("hip_mid"))
        assert seen == pytest.approx(shot.truth["lateral_bend"], abs=7.0), cam


@pytest.mark.parametrize("pitch", [0, 20])
def test_the_distance_is_right_when_the_camera_looks_down_on_the_person(pitch):
    """From 20 deg above no bone lies in the image plane: taking the flattest bones as
    full length would put the camera ~5% too far and make every tilt read low."""
    shot = shoot(
        SynthPose(hip_flexion=20), SynthCamera(yaw=45, pitch=pitch, distance=2.5), depth_gain=0.7
    )
    sk = reconstruct(shot.landmarks, focal=shot.focal)
    truth = shot.extras["hip_centre_camera"]
    assert sk.distance == pytest.approx(float(np.linalg.norm(truth)), rel=0.005)
    assert np.linalg.norm(sk.origin - truth) < 0.02


def test_reconstruction_is_exact_for_exact_inputs():
    shot = shoot(SynthPose(hip_flexion=60), SynthCamera(yaw=30, pitch=10, distance=3.0))
    sk = reconstruct(shot.landmarks, focal=shot.focal)
    assert np.abs(sk.points - shot.landmarks.world).max() < 0.01  # metres: 2% of a forearm
    assert sk.distance == pytest.approx(3.1, abs=0.2)


def test_flattened_depth_is_restored_from_foreshortening():
    """A trunk bent towards the camera looks short; its length tells how far it points at us."""
    shot = shoot(SynthPose(hip_flexion=60), SynthCamera(yaw=90, pitch=5), depth_gain=0.5)
    trunk_true = shot.body_points[INDEX["left_shoulder"]] - shot.body_points[INDEX["left_hip"]]
    sk = reconstruct(shot.landmarks)
    flat = _world_only(shot.landmarks)
    depth_true = abs((shot.camera_rotation @ trunk_true)[2])
    depth_ours = abs((sk.at("shoulder_mid") - sk.at("hip_mid"))[2])
    depth_mp = abs((flat.at("shoulder_mid") - flat.at("hip_mid"))[2])
    assert abs(depth_ours - depth_true) < 0.3 * abs(depth_mp - depth_true)


@pytest.mark.parametrize("pitch, roll", [(0, 0), (15, 0), (5, 12), (20, -10)])
def test_gravity_is_found_from_balance_feet_and_legs(pitch, roll):
    shot = shoot(SynthPose(hip_flexion=10), SynthCamera(yaw=60, pitch=pitch, roll=roll))
    sk = reconstruct(shot.landmarks)
    g = estimate_gravity(sk, shot.landmarks)
    angle = np.degrees(np.arccos(np.clip(g.down @ gravity_vector(pitch, roll), -1, 1)))
    assert angle < 3.0
    assert "balance" in g.source


@pytest.mark.parametrize("thigh_tilt, yaw", [(4, 0), (-4, 0), (4, 180)])
def test_a_level_phone_is_read_near_level_though_the_legs_lean(thigh_tilt, yaw):
    """The legs are taken as near vertical; a stance that leans them must not roll a
    level phone as far (a broad prior let it: 4 deg for legs leaning 4)."""
    shot = shoot(SynthPose(thigh_tilt=thigh_tilt), SynthCamera(yaw=yaw, pitch=5))
    g = estimate_gravity(reconstruct(shot.landmarks), shot.landmarks)
    assert abs(gravity_roll(g)) < 3.0


@pytest.mark.parametrize("roll", [15, -15, 25, -25])
def test_a_clearly_tilted_phone_is_still_found_from_the_body(roll):
    """The prior's heavy tail leaves a tilted phone to the body's cues (which alone err
    2-3 deg on these; the pull toward level adds at most ~1.5)."""
    shot = shoot(SynthPose(), SynthCamera(yaw=0, pitch=5, roll=roll))
    g = estimate_gravity(reconstruct(shot.landmarks), shot.landmarks)
    assert gravity_roll(g) == pytest.approx(roll, abs=4.0)


def test_room_lines_decide_the_roll_when_the_body_cannot():
    """Lying down, only the room says which way is up."""
    shot = shoot(SynthPose(), SynthCamera(yaw=0, pitch=0))
    lm = shot.landmarks
    # lay the person down: swap image axes so the legs run sideways
    lying = Landmarks(
        lm.pixel[:, ::-1].copy(),
        lm.normalized,
        lm.world,
        lm.visibility,
        lm.presence,
        lm.image_size[::-1],
    )
    sk = reconstruct(lying)
    assert estimate_gravity(sk, lying).source == "level-camera"
    g = estimate_gravity(sk, lying, scene_roll=(7.0, 2.0))
    assert np.degrees(np.arctan2(-g.down[0], g.down[1])) == pytest.approx(7.0, abs=0.5)


def test_centre_of_mass_sits_over_the_feet_of_a_balanced_pose():
    shot = shoot(SynthPose(hip_flexion=90), SynthCamera(yaw=0))
    sk = reconstruct(shot.landmarks, focal=shot.focal)
    feet = np.mean(
        [sk.at(n) for n in ("left_heel", "right_heel", "left_foot_index", "right_foot_index")], 0
    )
    g = Gravity(shot.camera_rotation @ np.array([0.0, 0.0, -1.0]), "truth", 1.0)
    horizontal = (centre_of_mass(sk) - feet) - ((centre_of_mass(sk) - feet) @ g.down) * g.down
    assert np.linalg.norm(horizontal) < 0.06


def test_swapped_left_and_right_are_turned_back():
    """MediaPipe sometimes swaps the sides; the feet and face still show where the front is."""
    shot = shoot(SynthPose(hip_flexion=50), SynthCamera(yaw=20, pitch=5))
    lm = shot.landmarks
    order = list(range(33))
    for i, name in enumerate(INDEX):
        if name.startswith("left_"):
            j = INDEX["right_" + name[5:]]
            order[i], order[j] = j, i
    swapped = Landmarks(
        lm.pixel[order],
        lm.normalized[order],
        lm.world[order],
        lm.visibility[order],
        lm.presence[order],
        lm.image_size,
    )
    sk = reconstruct(swapped)
    frame = body_frame(sk, estimate_gravity(sk, swapped), swapped)
    assert frame.swapped
    trunk = sk.at("shoulder_mid") - sk.at("hip_mid")
    assert frame.sagittal(trunk) == pytest.approx(shot.truth["trunk_inclination"], abs=4)


def test_the_cross_product_is_numpys_to_the_last_bit():
    rng = np.random.default_rng(3)
    for a, b in zip(rng.normal(size=(500, 3)) * 40, rng.normal(size=(500, 3)) * 1e-3):
        assert np.array_equal(cross(a, b), np.cross(a, b))
