"""Fixtures for assessment tests: one pose service for the session, and the
measurements of each rendered movement photo (tests/data/renders; each analysed once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.vision.errors import PhotoRejected


@pytest.fixture(scope="session")
def pose_service():
    from backcare.vision.pool import PoseService

    service = PoseService(workers=1)
    yield service
    service.close()


@pytest.fixture(scope="session")
def photo_measurements(pose_service, test_data: Path):
    """render file name -> the photo's measurements (None if vision refused it)."""
    cache: dict[str, dict | None] = {}

    def measure(relative: str):
        if relative not in cache:
            data = (test_data / "renders" / relative).read_bytes()
            try:
                cache[relative] = pose_service.analyse(data, annotate=False).analysis.measurements
            except PhotoRejected:
                cache[relative] = None
        return cache[relative]

    return measure
