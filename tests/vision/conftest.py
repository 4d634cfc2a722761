"""Fixtures for the vision tests: one MediaPipe estimator for the whole session, the
ground truth of the rendered photos (tests/data/renders/truth.json), and each photo
analysed at most once. Photos are named relative to tests/data ("renders/<file>")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backcare.vision.errors import PhotoRejected


@pytest.fixture(scope="session")
def estimator():
    from backcare.vision.pose import PoseEstimator

    est = PoseEstimator()
    yield est
    est.close()


@pytest.fixture(scope="session")
def manifest(test_data: Path) -> dict[str, dict]:
    """ "renders/<file>" -> its ground truth (movement, view, camera, angles, 2D keypoints)."""
    truth = json.loads((test_data / "renders" / "truth.json").read_text())
    return {f"renders/{name}": entry for name, entry in truth.items()}


@pytest.fixture(scope="session")
def movement_files(manifest) -> list[str]:
    """Every render of one person (the two-people render is a refusal case of its own)."""
    return sorted(f for f, entry in manifest.items() if entry["people"] == 1)


@pytest.fixture(scope="session")
def photo_bytes(test_data: Path):
    def read(relative: str) -> bytes:
        return (test_data / relative).read_bytes()

    return read


@pytest.fixture(scope="session")
def analysed(estimator, photo_bytes):
    """relative path -> AnalysedPhoto or the PhotoRejected it raised (cached for the session)."""
    from backcare.vision.analysis import analyse_image
    from backcare.vision.loading import load_image

    cache: dict[str, object] = {}

    def get(relative: str):
        if relative not in cache:
            try:
                cache[relative] = analyse_image(load_image(photo_bytes(relative)), estimator)
            except PhotoRejected as err:
                cache[relative] = err
        return cache[relative]

    return get


@pytest.fixture(scope="session")
def rgb_of(photo_bytes):
    from backcare.vision.loading import load_image

    cache: dict[str, object] = {}

    def get(relative: str):
        if relative not in cache:
            cache[relative] = load_image(photo_bytes(relative))
        return cache[relative]

    return get


@pytest.fixture(scope="session")
def seen(estimator, photo_bytes):
    """relative path -> PhotoAnalysis with the framing gates off (a movement photo cut at the
    feet or small in the frame still shows its movement), or None when nobody was found."""
    from backcare.vision.analysis import analyse_image
    from backcare.vision.loading import load_image
    from backcare.vision.quality import Limits

    framing_off = Limits(
        part_presence=0.0,
        edge_margin=-10.0,
        min_person_frac=0.0,
        min_person_px=0.0,
        max_roll_deg=90.0,
        min_distance_m=0.0,
        min_distance_guess_m=0.0,
        second_person_score=2.0,
    )
    cache: dict[str, object] = {}

    def get(relative: str):
        if relative not in cache:
            try:
                cache[relative] = analyse_image(
                    load_image(photo_bytes(relative)), estimator, annotate=False, limits=framing_off
                ).analysis
            except PhotoRejected:
                cache[relative] = None
        return cache[relative]

    return get
