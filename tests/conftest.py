"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# make_storage: the storage a test depends on, switched by BACKCARE_TEST_STORAGE=postgres
from tests.support.storage import make_storage  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"  # photos and fixtures, each with its origin (README.md)

# Hypothesis profiles. "ci": each fuzz test takes the examples it asks for (the whole
# suite, `./run test --all`). "fast": a tenth of them (tests/reliability/fuzzing.py) and 10
# where a test names no number, for the inner loop; chosen when a run leaves out the slow
# tests (`./run test`, -m "not slow"). BACKCARE_HYPOTHESIS_PROFILE names one by hand.
settings.register_profile("ci")
settings.register_profile("fast", max_examples=10)


def pytest_configure(config: pytest.Config) -> None:
    fast = "not slow" in (config.getoption("markexpr") or "")
    settings.load_profile(
        os.environ.get("BACKCARE_HYPOTHESIS_PROFILE") or ("fast" if fast else "ci")
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def test_data() -> Path:
    """tests/data: the rendered photos (renders/, with truth.json) and MediaPipe's fixture."""
    return TEST_DATA
