"""Fixtures for the reasoning tests: the shipped base, one engine, and a way to
write a patient the way assessment/ and the interview would hand it over."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from backcare.assessment.types import Observation
from backcare.kernel.vocabulary import vocabulary
from backcare.reasoning.abduction import Engine
from backcare.reasoning.case import build_case
from backcare.reasoning.knowledge import load_knowledge_base
from backcare.reasoning.types import Case


@pytest.fixture(scope="session")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="session")
def engine(kb):
    return Engine(kb)


def observation(name: str, rating: str, confidence: float = 0.9) -> Observation:
    assessed = rating != "not_assessed"
    return Observation(
        name=name,
        rating=rating,
        value=1.0 if assessed else None,
        unit="deg",
        normal_range=(0.0, 2.0),
        source="test",
        confidence=confidence,
        explanation={"en": f"{name} {rating}"},
        reason="" if assessed else "no_photo",
    )


def patient(
    ratings: Mapping[str, str] = {},
    facts: Iterable[str] = (),
    false_facts: Iterable[str] = (),
    confidence: Mapping[str, float] = {},
    default: str = "normal",
) -> Case:
    """Every vocabulary observation rated ``default`` unless ``ratings`` says otherwise
    (a rating may be "not_assessed"), through the real build_case."""
    unknown = set(ratings) - set(vocabulary().observations)
    assert not unknown, f"test names unknown observations: {unknown}"
    observations = [
        observation(name, ratings.get(name, default), confidence.get(name, 0.9))
        for name in vocabulary().observations
    ]
    return build_case(observations, facts, false_facts)


@pytest.fixture
def make_patient():
    return patient


@pytest.fixture
def make_observation():
    return observation
