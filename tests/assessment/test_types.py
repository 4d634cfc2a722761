"""Boundary types of assessment/."""

from __future__ import annotations

import pytest

from backcare.assessment.types import Observation, Profile


def test_a_profile_may_leave_age_and_sex_unknown():
    assert Profile() == Profile(age=None, sex=None)
    assert Profile(50, "female").sex == "female"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"sex": "f"}, "sex"),
        ({"sex": "Female"}, "sex"),
        ({"age": -1}, "age"),
        ({"age": 200}, "age"),
        ({"age": 40.5}, "age"),
        ({"age": True}, "age"),
        ({"age": "40"}, "age"),
    ],
)
def test_a_bad_profile_is_refused_with_a_clear_message(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Profile(**kwargs)


def test_the_atom_is_the_reasoning_name_or_none_when_not_assessed():
    rated = Observation(
        "forward_bend.reach", "insufficient", 0.2, "ratio", (0.0, 0.06), "s", 0.8, {}
    )
    missing = Observation(
        "forward_bend.reach", "not_assessed", None, "ratio", (0.0, 0.06), "s", 0.0, {}
    )
    assert rated.atom == "forward_bend.reach=insufficient"
    assert missing.atom is None
