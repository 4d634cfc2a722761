"""The "unexplained" referral threshold, documented in the knowledge base settings."""

from __future__ import annotations

import dataclasses

from backcare.reasoning.abduction import Engine
from backcare.reasoning.costs import case_costs
from backcare.reasoning.referral import referral
from backcare.reasoning.types import Case, Explanation


def explanation(explains=()):
    return Explanation(
        causes=(), cost=0.0, plausibility=1.0, explains=tuple(explains), unexplained=(), against=()
    )


def test_more_than_the_share_of_sure_abnormal_findings_left_unexplained_refers(kb):
    atoms = {
        "standing.sway=excessive",
        "rotation.range=insufficient",
        "side_bend.range=insufficient",
    }
    case = Case(observed=frozenset(atoms), facts=frozenset())
    costs = case_costs(kb, case)
    assert referral(kb, case, costs, explanation())[0] == "unexplained"
    # one of three left: a third is not more than half
    assert (
        referral(
            kb, case, costs, explanation(["standing.sway=excessive", "rotation.range=insufficient"])
        )[0]
        is None
    )


def test_exactly_half_left_unexplained_does_not_refer(kb):
    atoms = [
        "standing.sway=excessive",
        "rotation.range=insufficient",
        "side_bend.range=insufficient",
        "backward_bend.hinge=excessive",
    ]
    case = Case(observed=frozenset(atoms), facts=frozenset())
    assert referral(kb, case, case_costs(kb, case), explanation(atoms[:2]))[0] is None
    assert referral(kb, case, case_costs(kb, case), explanation(atoms[:1]))[0] == "unexplained"


def test_unsure_findings_do_not_count_towards_the_referral(kb):
    atoms = {"standing.sway=excessive", "rotation.range=insufficient"}
    case = Case(observed=frozenset(atoms), facts=frozenset(), confidence=dict.fromkeys(atoms, 0.3))
    assert referral(kb, case, case_costs(kb, case), explanation())[0] is None


def test_the_threshold_comes_from_the_knowledge_base_settings(kb):
    strict = dataclasses.replace(
        kb, settings=dataclasses.replace(kb.settings, refer_min_observations=1)
    )
    case = Case(observed=frozenset({"standing.head_forward=insufficient"}), facts=frozenset())
    assert Engine(kb).diagnose(case).referral is None
    assert Engine(strict).diagnose(case).referral == "unexplained"
