"""The shared vocabulary loads, and refuses what would break its users."""

from __future__ import annotations

import pytest

from backcare.kernel.vocabulary import RATINGS, parse, vocabulary
from backcare.kernel.yamlfile import DataFileError, loads


def test_every_observation_belongs_to_a_capture_step_and_has_both_languages():
    vocab = vocabulary()
    assert list(vocab.movements)[:3] == ["standing_side", "standing_back", "forward_bend"]
    for name, term in vocab.observations.items():
        assert term.movement in vocab.movements, name
        assert set(term.text) == {"en", "ja"}, name


def test_atoms_join_observation_and_rating():
    vocab = vocabulary()
    assert (
        vocab.atom("forward_bend.hip_flexion", "insufficient")
        == "forward_bend.hip_flexion=insufficient"
    )
    assert len(vocab.atoms()) == len(vocab.observations) * len(RATINGS)
    with pytest.raises(KeyError):
        vocab.atom("forward_bend.hip_flexion", "a_lot")


def test_red_flags_carry_their_urgency_and_cauda_equina_is_an_emergency():
    flags = vocabulary().red_flags()
    assert flags["red_flag_cauda_equina"] == "emergency"
    assert set(flags.values()) <= {"emergency", "urgent", "soon", "routine"}


def test_a_missing_translation_and_an_unknown_movement_are_reported_with_lines():
    text = """
movements:
  forward_bend: {expects: forward_bend, view: side, en: "Forward bend", ja: "前屈"}
observations:
  forward_bend.reach: {movement: jumping, en: "reach"}
facts: {}
causes: {}
"""
    with pytest.raises(DataFileError) as err:
        parse(loads(text, "v.yaml"), "v.yaml")
    messages = {(p.line, p.field, p.message) for p in err.value.problems}
    assert (5, "observations.forward_bend.reach.ja", "missing translation") in messages
    assert (5, "observations.forward_bend.reach.movement", "unknown movement 'jumping'") in messages
