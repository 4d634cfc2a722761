"""Data that leaves content/: the exercise program."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Dose:
    sets: int
    reps: int | None  # repetitions per set, or None when held
    hold_s: int | None  # seconds held per repetition, or None
    days_per_week: int
    minutes: int | None = None  # for activities timed in minutes (walking), else None
    per_side: bool = False  # reps/holds are done on each side


@dataclass(frozen=True)
class Prescription:
    """One exercise in a program, dosed for this patient, with the reason it was chosen."""

    exercise_id: str
    name: dict[str, str]  # language -> name
    instructions: dict[str, str]  # language -> how to do it
    dose: Dose
    why: dict[str, str]  # language -> one sentence tied to a finding
    video_url: str
    progression: dict[str, str]  # language -> how to make it harder when easy
    regression: dict[str, str]  # language -> how to make it easier when it hurts
    stop_if: dict[str, str]  # language -> safety note: what stops it
    causes: tuple[str, ...] = ()  # vocabulary causes this exercise addresses (from the catalog)
    chosen_for: str | None = None  # the cause it was chosen for in this program
    category: str = ""  # relaxation | mobility | control | stretch | strength | activity
    dose_text: dict[str, str] = field(default_factory=dict)  # language -> dose in words


@dataclass(frozen=True)
class Program:
    exercises: tuple[Prescription, ...]
    advice: dict[str, tuple[str, ...]]  # language -> general advice (stay active, pacing)
    if_worse: dict[str, str]  # language -> what to do if pain gets worse
    causes: tuple[str, ...] = ()  # the causes it was built for
    notes: dict[str, str] = field(default_factory=dict)
