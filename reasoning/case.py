"""Turning assessed observations and interview facts into a :class:`Case`,
and checking a case against a knowledge base before reasoning on it."""

from __future__ import annotations

import math
from collections.abc import Iterable

from backcare.assessment.types import BORDERLINE, Observation
from backcare.kernel.vocabulary import NOT_ASSESSED, RATINGS, vocabulary
from backcare.reasoning.errors import CaseError
from backcare.reasoning.model import KnowledgeBase, split_atom
from backcare.reasoning.types import Case


def build_case(
    observations: Iterable[Observation], facts: Iterable[str], false_facts: Iterable[str] = ()
) -> Case:
    """The case for one patient: the atom of every assessed observation (normal ones
    too: they speak against causes predicting otherwise) with its confidence, the
    names not assessed, and the facts. Raises :class:`CaseError` on names outside
    the vocabulary, an observation given twice or a fact both true and false."""
    vocab = vocabulary()
    observed: set[str] = set()
    confidence: dict[str, float] = {}
    not_assessed: set[str] = set()
    borderline: set[str] = set()
    seen: set[str] = set()
    unknown: list[str] = []
    twice: list[str] = []
    for obs in observations:
        if obs.name not in vocab.observations:
            unknown.append(obs.name)
            continue
        if obs.rating not in RATINGS and obs.rating not in (NOT_ASSESSED, BORDERLINE):
            unknown.append(f"{obs.name}={obs.rating}")
            continue
        if obs.name in seen:
            twice.append(obs.name)
            continue
        seen.add(obs.name)
        if obs.rating == NOT_ASSESSED:
            not_assessed.add(obs.name)
            continue
        if obs.rating == BORDERLINE:  # too close to call: no evidence either way
            borderline.add(obs.name)
            continue
        atom = f"{obs.name}={obs.rating}"
        observed.add(atom)
        conf = obs.confidence if isinstance(obs.confidence, (int, float)) else 1.0
        confidence[atom] = 1.0 if math.isnan(conf) else min(1.0, max(0.0, float(conf)))
    facts, false_facts = frozenset(facts), frozenset(false_facts)
    unknown += sorted(f for f in facts | false_facts if f not in vocab.facts)
    if unknown:
        raise CaseError("unknown observation, rating or fact", tuple(unknown))
    if twice:
        raise CaseError("observation given more than once", tuple(sorted(twice)))
    if facts & false_facts:
        raise CaseError("fact both true and false", tuple(sorted(facts & false_facts)))
    return Case(
        observed=frozenset(observed),
        facts=facts,
        false_facts=false_facts,
        not_assessed=frozenset(not_assessed),
        confidence=confidence,
        borderline=frozenset(borderline),
    )


def check_case(kb: KnowledgeBase, case: Case) -> None:
    """Raise :class:`CaseError` if the case names what the base does not know,
    rates one observation twice, or calls a fact both true and false."""
    atoms = kb.atoms
    unknown = sorted(a for a in case.observed if a not in atoms)
    unknown += sorted(f for f in case.facts | case.false_facts if f not in kb.facts)
    unknown += sorted(o for o in case.not_assessed | case.borderline if o not in kb.observations)
    if unknown:
        raise CaseError("unknown to the knowledge base", tuple(unknown))
    names = [split_atom(a)[0] for a in case.observed]
    twice = (
        {n for n in names if names.count(n) > 1}
        | (set(names) & set(case.not_assessed | case.borderline))
        | (case.not_assessed & case.borderline)
    )
    if twice:
        raise CaseError("observation rated more than once", tuple(sorted(twice)))
    if case.facts & case.false_facts:
        raise CaseError("fact both true and false", tuple(sorted(case.facts & case.false_facts)))
    bad = sorted(
        a
        for a, c in case.confidence.items()
        if not isinstance(c, (int, float)) or math.isnan(c) or not 0.0 <= c <= 1.0
    )
    if bad:
        raise CaseError("confidence must be between 0 and 1", tuple(bad))
