"""Data that crosses into and out of reasoning/."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """What is known about one patient.

    observed:     reasoning atoms that hold, e.g. {"forward_bend.hip_flexion=insufficient"}
                  (normal ratings are atoms too: they speak against causes that predict otherwise)
    confidence:   atom -> 0..1, scales the cost of leaving the atom unexplained
    not_assessed: observation names with no usable photo (neither for nor against)
    facts:        interview facts that are true (vocabulary facts)
    false_facts:  interview facts known to be false (asked, answered no)
    borderline:   observation names measured across a limit of their range (value ± u):
                  like not_assessed, neither for nor against any cause
    """

    observed: frozenset[str]
    facts: frozenset[str]
    false_facts: frozenset[str] = frozenset()
    not_assessed: frozenset[str] = frozenset()
    confidence: dict[str, float] = field(default_factory=dict)
    borderline: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Explanation:
    """One set of causes that explains the case.

    cost:          MaxSAT cost (lower is better); causes=() is "none of the base's causes"
    plausibility:  normalised over the reported explanations (sums to 1), from exp(-cost)
    explains:      observed atoms and facts the causes account for
    unexplained:   findings left unexplained (paid for): observed abnormal atoms, and true
                   facts some cause could account for (symptoms, habits, red flags)
    against:       observed atoms or facts that speak against these causes
    evidence:      cause -> the atoms/facts supporting it
    counter_evidence: cause -> the atoms/facts speaking against it ("not:<fact>" for a fact
                   answered no)
    not_assessed:  atoms these causes would explain whose observation had no usable photo
                   (worth checking; they count neither for nor against)
    """

    causes: tuple[str, ...]
    cost: float
    plausibility: float
    explains: tuple[str, ...]
    unexplained: tuple[str, ...]
    against: tuple[str, ...]
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    counter_evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    not_assessed: tuple[str, ...] = ()


@dataclass(frozen=True)
class CauseSupport:
    """One cause over all the ranked explanations: how plausible, and on what evidence.

    plausibility:  the summed plausibility of the explanations that contain the cause
    supports:      findings and facts that support it (photo atoms first)
    photo_against: photo findings that did not support it: observed atoms the cause
                   predicts otherwise (e.g. "forward_bend.lumbar_flexion=normal")
    against:       facts speaking against it ("not:<fact>" for a fact answered no)
    borderline:    atoms it would explain whose observation was too close to call
    not_assessed:  atoms it would explain whose observation had no usable photo
    """

    cause: str
    plausibility: float
    supports: tuple[str, ...] = ()
    photo_against: tuple[str, ...] = ()
    against: tuple[str, ...] = ()
    borderline: tuple[str, ...] = ()
    not_assessed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """The engine's answer: ranked explanations, or a referral.

    referral_reasons: vocabulary names: the red-flag facts (most urgent first); for
                   "unexplained", "refer_clinician" then the abnormal atoms left unexplained;
                   for a "routine" referral the knowledge base concluded, the facts behind it
    solver:        "rc2", "milp", "rc2+milp" (RC2 ran out of budget part-way) or "none"
    complete:      False when the time budget ended before top_k explanations were proven
    causes:        every cause of the explanations once, most plausible first (what the
                   patient reads; the explanations are the clinician's detail)
    unexplained:   abnormal photo findings that no reported explanation accounts for
    """

    explanations: tuple[Explanation, ...]
    referral: str | None  # None, or "emergency" | "urgent" | "routine" | "unexplained"
    referral_reasons: tuple[str, ...] = ()
    solve_ms: float = 0.0
    solver: str = "rc2"
    complete: bool = True
    causes: tuple[CauseSupport, ...] = ()
    unexplained: tuple[str, ...] = ()
