"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (CI clones the repo with shared/ beside it)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"test photos not found at {SHARED_DATA}: check out ../shared beside the repo")
    return SHARED_DATA
