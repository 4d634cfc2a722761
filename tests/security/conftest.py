"""Fixtures of the security tests: the interview as shipped, a data file per test."""

from __future__ import annotations

import pytest

from backcare.interview import InterviewRegistry
from tests.reliability.live import INTERVIEW, healthy_answers


@pytest.fixture(scope="session")
def registry() -> InterviewRegistry:
    return InterviewRegistry(INTERVIEW)


@pytest.fixture(scope="session")
def answers(registry) -> dict:
    return healthy_answers(registry)


@pytest.fixture
def data_file(tmp_path):
    return tmp_path / "data" / "backcare.json"
