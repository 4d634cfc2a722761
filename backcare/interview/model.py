"""The interview as typed data (what backcare/interview/loader.py builds from interview.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field

from backcare.interview.conditions import Condition

QUESTION_TYPES = ("single", "multiple", "number", "yes_no", "scale", "text", "body_map")
CHOICE_TYPES = ("single", "multiple", "body_map")
MULTI_TYPES = ("multiple", "body_map")
END = "end"  # a branch target: the interview ends after this question

Text = dict[str, str]  # language -> words


@dataclass(frozen=True)
class Option:
    id: str
    text: Text
    points: float | None = None  # what the option adds to a sum score
    exclusive: bool = False  # multiple choice: cannot be combined ("none of these")


@dataclass(frozen=True)
class Branch:
    """After the question is answered: when ``when`` holds, go to ``goto`` (a question id or "end")."""

    when: Condition | None
    goto: str
    line: int | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    section: str
    text: Text
    help: Text | None = None
    options: tuple[Option, ...] = ()  # single, multiple; body_map regions
    min: float | None = None  # number, scale
    max: float | None = None
    integer: bool = False  # number: whole numbers only (scale always is)
    unit: Text | None = None
    labels: dict[str, Text] = field(default_factory=dict)  # scale: {"min": ..., "max": ...}
    max_length: int | None = None  # text
    required: bool = True
    when: Condition | None = None  # section and question conditions, combined
    next: tuple[Branch, ...] = ()
    recheck: bool = False  # asked again at check-ins
    line: int | None = None

    def option(self, option_id: str) -> Option | None:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        return None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    intro: Text | None
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Score:
    """A computed score. kind "sum": items' points; "bmi": weight / (height/100)^2; "value": one answer."""

    name: str
    kind: str
    items: tuple[str, ...] = ()
    weight: str | None = None
    height: str | None = None
    source: str = ""


@dataclass(frozen=True)
class RedFlagRule:
    """A triage rule: when ``when`` holds, care is at least ``urgency``.

    urgency: emergency | urgent | soon stop self-care; routine keeps it and then
    ``advice`` says what to add (rheumatology: a non-urgent referral while
    exercise continues; caution: a careful start and a doctor if it changes).
    """

    id: str
    fact: str | None  # a vocabulary red-flag fact it establishes (None: advice only)
    urgency: str  # emergency | urgent | soon | routine
    when: Condition
    message: Text
    source: str = ""  # author, year, journal
    advice: str | None = None  # rheumatology | caution


@dataclass(frozen=True)
class FactRule:
    fact: str
    when: Condition


@dataclass(frozen=True, eq=False)
class Interview:
    version: str  # the version the admin wrote in the file
    digest: str  # content hash: identifies this exact file
    source: str  # file name (for messages)
    title: Text
    sections: tuple[Section, ...]
    questions: dict[str, Question]  # in asking order
    scores: dict[str, Score]
    red_flags: tuple[RedFlagRule, ...]
    facts: dict[str, FactRule]
    not_asked: dict[str, str]  # fact -> why the interview does not ask it
    profile_age: str | None = None  # the question giving the age
    profile_sex: str | None = None  # the question giving the sex

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.questions)

    def section_of(self, question_id: str) -> Section:
        sid = self.questions[question_id].section
        return next(s for s in self.sections if s.id == sid)
