"""Fixtures for the vision tests: one MediaPipe estimator for the whole session, the
manifest of the real photos, and each movement photo analysed at most once."""

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
def manifest(shared_data: Path) -> dict[str, dict]:
    """file (relative to ../shared/data) -> its manifest entry (licence, movement_class, view, note)."""
    return {
        entry["file"]: entry for entry in json.loads((shared_data / "manifest.json").read_text())
    }


@pytest.fixture(scope="session")
def movement_files(manifest) -> list[str]:
    return sorted(f for f in manifest if f.startswith("movements/"))


@pytest.fixture(scope="session")
def photo_bytes(shared_data: Path):
    def read(relative: str) -> bytes:
        return (shared_data / relative).read_bytes()

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
