"""Issue 16, item 3: each cause once, its plausibility summed over the ranked explanations,
with the findings that support it and the photo findings that did not."""

from __future__ import annotations

import pytest

from backcare.reasoning.model import is_atom, split_atom
from tests.reasoning.conftest import patient

DEMO_FACTS = (
    "activity_low",
    "better_walking",
    "bmi_over_25",
    "chronic",
    "sex_female",
    "sitting_long",
    "startback_medium",
    "worse_bending",
    "worse_lifting",
    "worse_sitting",
)


@pytest.fixture(scope="module")
def demo(engine):
    """The demo's answers with photos that rated everything usual."""
    return engine.diagnose(patient(facts=DEMO_FACTS))


def test_each_cause_appears_once_with_its_plausibility_summed_over_the_explanations(demo):
    # issue 16: "also possible" repeated the headline's cause in near-duplicate sets with
    # small unexplained percentages
    names = [c.cause for c in demo.causes]
    assert len(names) == len(set(names)) and names
    assert set(names) == {c for e in demo.explanations for c in e.causes}
    for c in demo.causes:
        summed = sum(e.plausibility for e in demo.explanations if c.cause in e.causes)
        assert c.plausibility == pytest.approx(min(1.0, summed), abs=1e-3)
    plausibility = [c.plausibility for c in demo.causes]
    assert plausibility == sorted(plausibility, reverse=True)
    # the cause in every near-duplicate set is the headline, far above its companions
    assert demo.causes[0].plausibility > 0.5


def test_a_cause_says_which_photo_findings_did_not_support_it(kb, demo):
    # issue 16: "your lower back rounds too easily" printed beside "your lower back rounds a
    # usual amount" with no word that the photos did not support it
    top = demo.causes[0]
    predicted = {split_atom(a)[0] for a in kb.causes[top.cause].explains if is_atom(a)}
    assert top.photo_against, "photos that rated usual what the cause predicts must be named"
    for atom in top.photo_against:
        name, rating = split_atom(atom)
        assert name in predicted and rating == "normal"
    assert top.supports and all(not is_atom(a) for a in top.supports)  # the answers behind it


def test_findings_left_unexplained_are_listed_for_the_patient(engine):
    case = patient(
        {
            "forward_bend.trunk_inclination": "insufficient",
            "side_bend.asymmetry": "excessive",
            "standing.head_forward": "excessive",
        }
    )
    dx = engine.diagnose(case)
    best = dx.explanations[0]
    assert set(dx.unexplained) == {
        a for a in case.observed if split_atom(a)[1] != "normal" and a not in best.explains
    }


def test_a_borderline_observation_is_reported_with_the_causes_it_would_concern(engine, kb):
    case = patient({"forward_bend.lumbar_flexion": "not_assessed"}, facts=DEMO_FACTS)
    borderline = type(case)(
        observed=case.observed,
        facts=case.facts,
        false_facts=case.false_facts,
        not_assessed=frozenset(),
        confidence=case.confidence,
        borderline=frozenset({"forward_bend.lumbar_flexion"}),
    )
    dx = engine.diagnose(borderline)
    flexion = next(c for c in dx.causes if c.cause == "flexion_impairment")
    assert "forward_bend.lumbar_flexion=excessive" in flexion.borderline
    assert not any(a.startswith("forward_bend.lumbar_flexion") for a in flexion.photo_against)
