"""Fixtures for the interview tests: the shipped interview and a healthy answers file."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.interview import Interview, load_interview

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
INTERVIEW_PATH = REPO / "interview.yaml"
HEALTHY_PATH = HERE / "answers_healthy.yaml"


@pytest.fixture(scope="session")
def interview() -> Interview:
    return load_interview(INTERVIEW_PATH)


@pytest.fixture(scope="session")
def interview_text() -> str:
    return INTERVIEW_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def healthy_path() -> Path:
    return HEALTHY_PATH
