"""The program builder: from the ranked causes and the findings to 3-6 dosed exercises.

Choice: one exercise for each cause of the best explanation, then for the causes of
the next explanations, then a second one per cause, preferring exercises that fit the
patient's own findings; contraindicated exercises are never offered. Exercises run
gentle first (relaxation, mobility, control), load later (stretch, strength, activity).
Dose follows the pain band; STarT Back high risk gets one band gentler and
psychologically informed advice (Hill 2011; NICE NG59). Referrals get no program.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from backcare.assessment.types import Observation
from backcare.content.catalog import (
    BANDS,
    CATEGORIES,
    REFERRAL_CAUSE,
    Catalog,
    Exercise,
    default_catalog,
)
from backcare.content.texts import default_texts
from backcare.content.types import Dose, Prescription, Program
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.languages import DEFAULT, LANGUAGES, language
from backcare.kernel.vocabulary import RATINGS, Vocabulary, vocabulary
from backcare.reasoning.types import Diagnosis

MIN_EXERCISES = 3
MAX_EXERCISES = 6
# Fewer exercises when pain is severe or the risk of lasting pain is high: a short
# program that gets done beats a long one that is dropped.
MAX_GENTLE = 4
HIGH_RISK = "startback_high"
# Causes of a lower-ranked explanation count only if it is at least this plausible
# relative to the best one: a program should not be spent on long shots.
MIN_RELATIVE_PLAUSIBILITY = 0.2
UNEXPLAINED = "unexplained"  # Diagnosis.referral when findings fit no known pattern


class ProgramError(ValueError):
    """The builder was given something it cannot use (a bug upstream, not the patient)."""


def pain_band(scores: Mapping[str, float], facts: frozenset[str]) -> str | None:
    """low (0-3), moderate (4-6), severe (7-10) from scores["pain"]; None when unknown."""
    pain = scores.get("pain")
    if pain is None:
        return "severe" if "pain_high" in facts else None
    if (
        isinstance(pain, bool)
        or not isinstance(pain, (int, float))
        or math.isnan(pain)
        or not 0 <= pain <= 10
    ):
        raise ProgramError(f"pain score must be a number from 0 to 10, got {pain!r}")
    return "low" if pain < 3.5 else "moderate" if pain < 6.5 else "severe"


def dose_band(scores: Mapping[str, float], facts: frozenset[str]) -> tuple[str, bool]:
    """(band used for dosing, whether it was eased one step for STarT Back high risk)."""
    band = pain_band(scores, facts) or "moderate"
    if HIGH_RISK in facts and band != BANDS[-1]:
        return BANDS[BANDS.index(band) + 1], True
    return band, False


def build_program(
    diagnosis: Diagnosis,
    observations: Sequence[Observation],
    facts: frozenset[str],
    scores: Mapping[str, float],
    language: str = DEFAULT,
    *,
    catalog: Catalog | None = None,
    texts: Catalogue | None = None,
) -> Program | None:
    """The exercise program for this patient, or None when they must see a clinician.

    Every text is given in every supported language; ``language`` must be one of them.
    """
    if language not in LANGUAGES:
        raise ProgramError(
            f"unsupported language {language!r} (expected one of {', '.join(LANGUAGES)})"
        )
    catalog = catalog or default_catalog()
    texts = texts or default_texts()
    vocab = vocabulary()
    facts = frozenset(facts)
    # "unexplained" is no dead end: a program for what is known, and advice to see a physio
    if diagnosis.referral not in (None, UNEXPLAINED) or facts & set(vocab.red_flags()):
        return None
    if diagnosis.explanations and REFERRAL_CAUSE in diagnosis.explanations[0].causes:
        return None

    atoms = frozenset(o.atom for o in observations if o.atom)
    present = atoms | facts
    top, rest, evidence = _ranked_causes(diagnosis)
    wanted = top + rest
    allowed = [e for e in catalog.exercises.values() if not e.contraindicated(present)]
    skipped = [
        e
        for e in catalog.exercises.values()
        if e.contraindicated(present) and set(e.causes) & set(wanted)
    ]
    band, eased = dose_band(scores, facts)
    gentle = eased or HIGH_RISK in facts or band == "severe"
    limit = MAX_GENTLE if gentle else MAX_EXERCISES

    picks = _choose(allowed, top, rest, evidence, present, limit)
    order = {e.id: i for i, e in enumerate(catalog.exercises.values())}
    picks.sort(key=lambda p: (CATEGORIES.index(p[0].category), order[p[0].id]))

    prescriptions = tuple(
        _prescription(
            e,
            cause,
            evidence.get(cause, ()) if cause is not None else (),
            present,
            band,
            texts,
            vocab,
        )
        for e, cause in picks
    )
    addressed = tuple(c for c in wanted if any(c in e.causes for e, _ in picks))
    return Program(
        exercises=prescriptions,
        advice=_advice(texts, facts, wanted, diagnosis.referral == UNEXPLAINED),
        if_worse=texts.every("program.if_worse"),
        causes=addressed,
        notes=_notes(texts, scores, facts, band, eased, skipped),
    )


def _ranked_causes(diagnosis: Diagnosis) -> tuple[list[str], list[str], dict[str, tuple[str, ...]]]:
    """Causes of the best explanation, the other causes by rank, and each cause's evidence."""
    top: list[str] = []
    rest: list[str] = []
    evidence: dict[str, tuple[str, ...]] = {}
    best = diagnosis.explanations[0].plausibility if diagnosis.explanations else 0.0
    for rank, explanation in enumerate(diagnosis.explanations):
        if rank and best > 0 and explanation.plausibility < MIN_RELATIVE_PLAUSIBILITY * best:
            continue
        for cause in explanation.causes:
            if cause == REFERRAL_CAUSE:
                continue
            if cause not in top and cause not in rest:
                (top if rank == 0 else rest).append(cause)
            if not evidence.get(cause) and explanation.evidence.get(cause):
                evidence[cause] = tuple(explanation.evidence[cause])
    return top, rest, evidence


def _choose(
    allowed: list[Exercise],
    top: list[str],
    rest: list[str],
    evidence: dict[str, tuple[str, ...]],
    present: frozenset[str],
    limit: int,
) -> list[tuple[Exercise, str | None]]:
    wanted = set(top) | set(rest)
    index = {e.id: i for i, e in enumerate(allowed)}

    def score(e: Exercise, cause: str | None) -> tuple:
        fits = set(e.atoms) | set(e.facts)
        return (
            len(fits & set(evidence.get(cause, ())))
            if cause
            else 0,  # fits the reason for the cause
            len(fits & present),  # fits the patient's findings
            -e.causes.index(cause) if cause else 0,  # the cause is its main target
            len(set(e.causes) & wanted),  # helps other causes too
            -index[e.id],
        )

    picks: list[tuple[Exercise, str | None]] = []
    chosen: set[str] = set()
    for round_ in range(2):
        for cause in top + rest:
            if len(picks) >= limit:
                break
            # First round: one exercise per cause not yet covered by an earlier pick.
            if round_ == 0 and any(cause in e.causes for e, _ in picks):
                continue
            candidates = [e for e in allowed if cause in e.causes and e.id not in chosen]
            if candidates:
                best = max(candidates, key=lambda e: score(e, cause))
                picks.append((best, cause))
                chosen.add(best.id)
    # Fill a short program with general exercises, then anything safe.
    for pool in ([e for e in allowed if e.general], allowed):
        while len(picks) < MIN_EXERCISES:
            candidates = [e for e in pool if e.id not in chosen]
            if not candidates:
                break
            best = max(candidates, key=lambda e: score(e, None))
            picks.append((best, None))
            chosen.add(best.id)
    return picks


def _finding(exercise: Exercise, evidence: tuple[str, ...], present: frozenset[str]) -> str | None:
    """The one finding a 'why' sentence names: evidence for the cause that this exercise
    fits best, else any evidence, else the patient's own finding that the exercise fits."""
    fits = set(exercise.atoms) | set(exercise.facts)
    ordered = (
        [x for x in evidence if x in fits and "=" in x]
        + [x for x in evidence if x in fits]
        + [x for x in evidence if "=" in x]
        + list(evidence)
        + sorted(x for x in fits & present if "=" in x)
        + sorted(fits & present)
    )
    return ordered[0] if ordered else None


def _why(
    exercise: Exercise,
    cause: str | None,
    evidence: tuple[str, ...],
    present: frozenset[str],
    texts: Catalogue,
    vocab: Vocabulary,
) -> dict[str, str]:
    if cause is None:
        return texts.every("program.why.general")
    finding = _finding(exercise, evidence, present)
    out = {}
    for lang in LANGUAGES:
        label = texts.get(f"program.cause_labels.{cause}", lang)
        obs, _, rating = (finding or "").partition("=")
        if finding and obs in vocab.observations and rating in RATINGS:
            out[lang] = texts.get(
                "program.why.atom",
                lang,
                cause=label,
                observation=vocab.observations[obs].text[lang],
                rating=texts.get(f"program.ratings.{rating}", lang),
            )
        elif finding and finding in vocab.facts:
            out[lang] = texts.get(
                "program.why.fact", lang, cause=label, fact=vocab.facts[finding].text[lang]
            )
        else:
            out[lang] = texts.get("program.why.cause", lang, cause=label)
    return out


def dose_text(dose: Dose, texts: Catalogue | None = None) -> dict[str, str]:
    """The dose in words, e.g. "2 × 8 reps, hold 5 s, each side, 5 days a week"."""
    texts = texts or default_texts()
    out = {}
    for lang in LANGUAGES:
        parts = []
        if dose.reps is not None:
            parts.append(texts.get("program.dose.sets_reps", lang, sets=dose.sets, reps=dose.reps))
        elif dose.sets > 1:
            parts.append(texts.get("program.dose.sets", lang, sets=dose.sets))
        if dose.hold_s is not None:
            parts.append(texts.get("program.dose.hold", lang, seconds=dose.hold_s))
        if dose.minutes is not None:
            parts.append(texts.get("program.dose.minutes", lang, minutes=dose.minutes))
        if dose.per_side:
            parts.append(texts.get("program.dose.per_side", lang))
        parts.append(texts.get("program.dose.days", lang, days=dose.days_per_week))
        out[lang] = texts.get("program.dose.joiner", lang).join(parts)
    return out


def _prescription(
    e: Exercise,
    cause: str | None,
    evidence: tuple[str, ...],
    present: frozenset[str],
    band: str,
    texts: Catalogue,
    vocab: Vocabulary,
) -> Prescription:
    dose = e.dose[band]
    return Prescription(
        exercise_id=e.id,
        name=dict(e.name),
        instructions=dict(e.instructions),
        dose=dose,
        why=_why(e, cause, evidence, present, texts, vocab),
        video_url=e.video_url,
        progression=dict(e.progression),
        regression=dict(e.regression),
        stop_if=dict(e.safety),
        causes=e.causes,
        chosen_for=cause,
        category=e.category,
        dose_text=dose_text(dose, texts),
    )


def _advice(
    texts: Catalogue, facts: frozenset[str], causes: list[str], unexplained: bool = False
) -> dict[str, tuple[str, ...]]:
    groups = ["program.advice.general"]
    if unexplained:
        groups.insert(0, "program.advice.unexplained")
    if HIGH_RISK in facts or "psychosocial_risk" in causes:
        groups.append("program.advice.psychological")
    if "sitting_long" in facts or "sitting_posture" in causes:
        groups.append("program.advice.sitting")
    items = [text for group in groups for text in texts.group(group)]
    return {lang: tuple(t[lang] for t in items) for lang in LANGUAGES}


def _notes(
    texts: Catalogue,
    scores: Mapping[str, float],
    facts: frozenset[str],
    band: str,
    eased: bool,
    skipped: list[Exercise],
) -> dict[str, str]:
    by_pain = pain_band(scores, facts)  # the patient's own band (``band`` may be eased)
    out = {}
    for lang in LANGUAGES:
        parts = [
            texts.get(
                "program.notes.dose", lang, band=texts.get(f"program.notes.band.{by_pain}", lang)
            )
            if by_pain
            else texts.get("program.notes.no_pain_score", lang)
        ]
        if eased:
            parts.append(texts.get("program.notes.eased", lang))
        if skipped:
            joiner = texts.get("program.dose.joiner", lang)
            parts.append(
                texts.get(
                    "program.notes.skipped", lang, names=joiner.join(e.name[lang] for e in skipped)
                )
            )
        out[lang] = language(lang).join(parts)
    return out
