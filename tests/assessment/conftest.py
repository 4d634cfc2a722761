"""Fixtures for assessment tests: one pose service for the session, and the
measurements of each real movement photo (each photo analysed once)."""

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
def photo_measurements(pose_service, shared_data: Path):
    """movements/<class>/<file> -> the photo's measurements (None if vision refused it)."""
    cache: dict[str, dict | None] = {}

    def measure(relative: str):
        if relative not in cache:
            data = (shared_data / "movements" / relative).read_bytes()
            try:
                cache[relative] = pose_service.analyse(data, annotate=False).analysis.measurements
            except PhotoRejected:
                cache[relative] = None
        return cache[relative]

    return measure
