"""Fixtures of the reliability tests: the interview as shipped, a data file per test."""

from __future__ import annotations

import asyncio

import pytest

from backcare.interview import InterviewRegistry
from tests.reliability.live import INTERVIEW, PATIENT, delivered, healthy_answers, live_bot
from tests.support.patients import Patient


@pytest.fixture(scope="session")
def registry() -> InterviewRegistry:
    return InterviewRegistry(INTERVIEW)


@pytest.fixture(scope="session")
def answers(registry) -> dict:
    return healthy_answers(registry)


@pytest.fixture
def data_file(tmp_path):
    return tmp_path / "data" / "backcare.json"


@pytest.fixture(scope="session")
def reference(tmp_path_factory, registry, answers) -> tuple[list[str], dict]:
    """The consent and the whole interview with nothing going wrong: the messages the patient
    gets (sendMessage texts, in order) and the answers saved. Runs with faults are compared
    with it."""

    async def run() -> tuple[list[str], dict]:
        async with live_bot(
            tmp_path_factory.mktemp("reference") / "backcare.json", registry
        ) as bot:
            patient = Patient(bot, PATIENT)
            await patient.start()
            await patient.consent()
            await patient.interview(registry.current, answers)
            return delivered(bot.api)[PATIENT], patient.dialog.answers()

    return asyncio.run(run())
