"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"  # photos and fixtures, each with its origin (README.md)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def test_data() -> Path:
    """tests/data: the rendered photos (renders/, with truth.json) and MediaPipe's fixture."""
    return TEST_DATA
