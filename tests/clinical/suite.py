"""The clinical validation suite: case histories from the literature, run through the bot.

A case (``tests/clinical/cases/<id>.yaml``) is a patient's story as interview answers
(on top of ``base.yaml``, a neutral red-flag-free adult), the outcome the sources lead
to, and the source line. Fields:

    id, title, source, story       what the case is and where its expected outcome comes from
    answers                        question id -> answer (validated like an answers file)
    expected.urgency               emergency | urgent | soon | routine (triage)
    expected.program               true | false (default: true when routine)
    expected.advice                kinds the patient must be told: rheumatology, caution
                                   (triage, exact), psychological, sitting (program advice)
    photos                         optional {capture step: file, relative to the case}
                                   (tests/clinical/photos/<case>/, bench/synth/render_clinical.py)
    expected_top_cause             optional: the knowledge base's cause expected first, or
                                   ``none`` for a person who moves normally: no headline
                                   cause and no abnormal rating (judged with photos only)

:func:`run_case` plays the case as a patient of the bot: the real dialogs and the
real pipeline (``backcare.application.pipeline.Pipeline``), answering every question it is asked
with the case's answers and skipping the photo steps it has no photo for. With the
default pipeline (reports only, no photo workers) every photo step is skipped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backcare.application.pipeline import Pipeline
from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.buttons import Button
from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.dialogs.events import Event, Reply
from backcare.bot.dialogs.state import DialogState
from backcare.content.texts import default_texts
from backcare.interview import Interview, InterviewRegistry, load_interview, validate_answers
from backcare.interview.answers import AnswersError
from backcare.kernel.vocabulary import ADVICE, STOPS, URGENCIES, vocabulary
from backcare.kernel.yamlfile import Checker, DataFileError, load

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
PHOTOS = HERE / "photos"
NONE = "none"  # expected_top_cause of a person who moves normally
ABNORMAL = ("insufficient", "excessive")
BASE = HERE / "base.yaml"
INTERVIEW_PATH = HERE.parents[1] / "interview.yaml"
PROGRAM_ADVICE = ("psychological", "sitting", "unexplained")  # content/texts.yaml groups
ADVICE_KINDS = (*ADVICE, *PROGRAM_ADVICE)
CASE_FIELDS = {
    "id",
    "title",
    "source",
    "story",
    "answers",
    "expected",
    "photos",
    "expected_top_cause",
}


@dataclass(frozen=True)
class Expected:
    urgency: str
    program: bool
    advice: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    source: str
    story: str
    answers: dict[str, Any]  # base.yaml with the case's own answers on top
    own: tuple[str, ...]  # the questions the case itself answers
    expected: Expected
    path: Path
    photos: dict[str, Path] = field(default_factory=dict)
    expected_top_cause: str | None = None

    @property
    def red_flag(self) -> bool:
        return self.expected.urgency in STOPS

    @property
    def normal(self) -> bool:
        """A person who moves normally: judged on having no headline cause, no abnormal rating."""
        return self.expected_top_cause == NONE

    @property
    def photos_in_repo(self) -> bool:
        return bool(self.photos) and all(p.is_file() for p in self.photos.values())


@dataclass(frozen=True)
class Outcome:
    urgency: str  # the referral the patient got (emergency | urgent | soon), or routine
    program: bool
    advice: tuple[str, ...]
    referral: str | None  # what the report says (may be the reasoning's own, e.g. unexplained)
    top_cause: str | None  # the most plausible cause (summed over the explanations)
    asked: tuple[str, ...]  # the questions asked, in order
    text: str  # everything the patient read
    headline: tuple[str, ...] = ()  # the causes under "what most likely keeps your pain going"
    abnormal: tuple[str, ...] = ()  # photo ratings outside the normal range ("<name>=<rating>")
    photos_sent: int = 0


# -- loading ------------------------------------------------------------------------------
def load_base(interview: Interview) -> dict[str, Any]:
    try:
        return validate_answers(load(BASE), interview, str(BASE))
    except AnswersError as exc:
        raise DataFileError(exc.problems) from None


def load_case(path: Path, interview: Interview, base: Mapping[str, Any]) -> Case:
    """One case file, validated; DataFileError names file, line and field."""
    data = load(path)
    name = str(path)
    check = Checker(name)
    if not isinstance(data, dict):
        check.problem(data, None, "", "expected a mapping (id, title, source, answers, expected)")
        check.raise_if_any()
    for key in data:
        if key not in CASE_FIELDS:
            check.problem(data, key, str(key), f"unknown field ({', '.join(sorted(CASE_FIELDS))})")
    cid = check.need(data, "id", "", str)
    if cid is not None and cid != path.stem:
        check.problem(data, "id", "id", f"the id must be the file's name ({path.stem})")
    texts = {k: check.need(data, k, "", str) for k in ("title", "source", "story")}
    if texts["source"] is not None and len(texts["source"].strip()) < 10:
        check.problem(data, "source", "source", "name the source: author, year, journal")
    raw_answers = check.need(data, "answers", "", dict) or {}
    own: dict[str, Any] = {}
    try:
        own = validate_answers(raw_answers, interview, name)
    except AnswersError as exc:
        check.problems += list(exc.problems)
    exp = check.need(data, "expected", "", dict) or {}
    urgency = check.need(exp, "urgency", "expected", str)
    if urgency is not None and urgency not in URGENCIES:
        check.problem(exp, "urgency", "expected.urgency", f"one of {', '.join(URGENCIES)}")
    program = exp.get("program", urgency not in STOPS)
    if not isinstance(program, bool):
        check.problem(exp, "program", "expected.program", "true or false")
    advice = check.need(exp, "advice", "expected", list, required=False) or []
    for i, kind in enumerate(advice):
        if kind not in ADVICE_KINDS:
            check.problem(advice, i, f"expected.advice[{i}]", f"one of {', '.join(ADVICE_KINDS)}")
    for key in set(exp) - {"urgency", "program", "advice"}:
        check.problem(exp, key, f"expected.{key}", "unknown field (urgency, program, advice)")
    photos_raw = check.need(data, "photos", "", dict, required=False) or {}
    photos: dict[str, Path] = {}
    for step, file in photos_raw.items():
        if step not in vocabulary().movements:
            check.problem(photos_raw, step, f"photos.{step}", "not a capture step")
        elif not isinstance(file, str):
            check.problem(photos_raw, step, f"photos.{step}", "a file name next to the case")
        else:
            photos[step] = path.parent / file
    top = check.need(data, "expected_top_cause", "", str, required=False)
    if top is not None and top != NONE and top not in vocabulary().causes:
        check.problem(
            data, "expected_top_cause", "expected_top_cause", f"a vocabulary cause or {NONE}"
        )
    check.raise_if_any()
    return Case(
        id=cid or path.stem,
        title=texts["title"] or "",
        source=" ".join((texts["source"] or "").split()),
        story=" ".join((texts["story"] or "").split()),
        answers={**base, **own},
        own=tuple(own),
        expected=Expected(urgency or "routine", bool(program), tuple(advice)),
        path=path,
        photos=photos,
        expected_top_cause=top,
    )


def load_cases(folder: Path = CASES, interview: Interview | None = None) -> list[Case]:
    interview = interview or load_interview(INTERVIEW_PATH)
    base = load_base(interview)
    return [load_case(p, interview, base) for p in sorted(folder.glob("*.yaml"))]


# -- playing a case through the bot ---------------------------------------------------------
class Patient:
    """Answers the bot as the case's patient would (buttons, typed numbers, skipped photos)."""

    def __init__(self, dialogs: Dialogs, case: Case, language: str):
        self.dialogs, self.case, self.language = dialogs, case, language
        self.state: DialogState | None = None
        self.replies: list[Reply] = []
        self.read: list[str] = []
        self.photos_sent = 0

    async def send(self, event: Event) -> None:
        state, self.replies = await self.dialogs.handle(self.state, event)
        # what a driver stores between messages, read back
        self.state = DialogState.from_json(json.loads(json.dumps(state)))
        self.read += [r.text for r in self.replies if r.text]

    def offered(self) -> set[str]:
        return {c.value for r in self.replies for c in r.choices}

    async def press(self, button: Button) -> None:
        if button.data not in self.offered():
            raise AssertionError(
                f"{self.case.id}: no button {button}; offered {sorted(self.offered())}"
            )
        await self.send(Event("choice", data=button.data))

    @property
    def step(self) -> str:
        return self.state.step if self.state is not None else ""

    async def answer(self, interview: Interview) -> None:
        qid = self.state.asked() if self.state is not None else None
        if qid is None or qid not in self.case.answers:
            raise AssertionError(f"{self.case.id}: the bot asks {qid!r}, the case has no answer")
        q, value = interview.questions[qid], self.case.answers[qid]
        if value is None:
            await self.press(buttons.skip(qid))
        elif q.type == "yes_no":
            await self.press(buttons.yes_no(qid, value))
        elif q.type in ("single", "scale"):
            await self.press(buttons.answer(qid, value))
        elif q.type in ("multiple", "body_map"):
            for option in value:
                await self.press(buttons.toggle(qid, option))
            await self.press(buttons.done(qid))
        else:
            await self.send(Event("text", text=str(value)))

    async def play(self, interview: Interview, use_photos: bool) -> None:
        await self.send(Event("start", language=self.language))
        await self.press(buttons.CONSENT_YES)
        await self.press(buttons.DELETE_PHOTOS)
        for _ in range(200):
            if self.step != "interview":
                break
            await self.answer(interview)
        steps = list(vocabulary().movements)
        for _ in range(4 * len(steps)):
            if self.step != "photos":
                break
            assert self.state is not None and self.state.photos is not None
            st = self.state.photos
            step = steps[st.index]
            photo = self.case.photos.get(step)
            if use_photos and photo is not None and st.tries.get(step, 0) < 1:
                await self.send(Event("photo", photo=photo.read_bytes(), filename=photo.name))
                self.photos_sent += 1
                if buttons.PHOTO_USE.data in self.offered():
                    # "This looks like ...: use it anyway?" The patient did the movement asked.
                    await self.press(buttons.PHOTO_USE)
            else:
                await self.press(buttons.PHOTO_SKIP)


def advice_kinds(state: DialogState) -> tuple[str, ...]:
    """What the patient was advised: triage's advice, and the program's advice groups."""
    kinds = list((state.result or {}).get("triage", {}).get("advice", ()))
    program = (state.report or {}).get("program") or {}
    given = set(program.get("advice", {}).get("en", ()))
    texts = default_texts()
    for group in PROGRAM_ADVICE:
        items = texts.group(f"program.advice.{group}")
        if items and all(t["en"] in given for t in items):
            kinds.append(group)
    return tuple(k for k in ADVICE_KINDS if k in kinds)


def outcome_of(patient: Patient) -> Outcome:
    state = patient.state
    if state is None:
        raise AssertionError(f"{patient.case.id}: the journey never started")
    asked = tuple(state.interview.history) if state.interview is not None else ()
    text = "\n".join(patient.read)
    if patient.step == "referred":
        assert state.referral is not None
        urgency = state.referral.urgency or "routine"
        return Outcome(urgency, False, (), urgency, None, asked, text)
    report = state.report
    if patient.step != "results" or report is None:
        raise AssertionError(f"{patient.case.id}: the journey ended at {patient.step!r}")
    referral = report.get("referral")
    urgency = referral if referral in STOPS else "routine"
    causes = report.get("causes") or []  # each cause once, most plausible first
    explanations = report.get("explanations") or []
    if causes:
        top = causes[0]["cause"]
    else:  # a summary without summed causes: the best explanation's first
        top = explanations[0]["causes"][0] if explanations and explanations[0]["causes"] else None
    headline = tuple(c["cause"] for c in causes if c.get("likely"))
    abnormal = tuple(
        f"{o['name']}={o['rating']}"
        for o in report.get("observations") or ()
        if o.get("rating") in ABNORMAL
    )
    program = report.get("program") is not None
    return Outcome(
        urgency,
        program,
        advice_kinds(state),
        referral,
        top,
        asked,
        text,
        headline=headline,
        abnormal=abnormal,
        photos_sent=patient.photos_sent,
    )


async def run_case_async(
    case: Case,
    pipeline: Pipeline,
    registry: InterviewRegistry,
    language: str = "en",
    use_photos: bool = False,
) -> Outcome:
    patient = Patient(Dialogs(pipeline, registry), case, language)
    await patient.play(registry.current, use_photos=use_photos)
    return outcome_of(patient)


def movement_judged(case: Case, outcome: Outcome) -> bool:
    """Whether the case's top cause (or normality) can be judged: it names one, and its
    photos were analysed when it has any (answers alone cannot show a movement pattern)."""
    return case.expected_top_cause is not None and (
        not case.photos or outcome.photos_sent == len(case.photos)
    )


def movement_agrees(case: Case, outcome: Outcome) -> bool:
    """The expected top cause is the most plausible one; a normal mover gets no headline
    cause and no abnormal rating."""
    if case.normal:
        return not outcome.headline and not outcome.abnormal
    return outcome.top_cause == case.expected_top_cause


def run_case(
    case: Case,
    pipeline: Pipeline | None = None,
    registry: InterviewRegistry | None = None,
    language: str = "en",
) -> Outcome:
    """Answers only with the default pipeline (no photo workers); photos with a real one."""
    photos = pipeline is not None
    pipeline = pipeline or Pipeline(pose=None)
    registry = registry or InterviewRegistry(INTERVIEW_PATH)
    return asyncio.run(run_case_async(case, pipeline, registry, language, use_photos=photos))


# -- grading --------------------------------------------------------------------------------
def severity(level: str) -> int:
    """Higher is more urgent."""
    return len(URGENCIES) - URGENCIES.index(level)


def verdict(case: Case, outcome: Outcome) -> str:
    """agree | under-graded | over-graded | program | advice | top cause | not normal
    (the top cause only where it can be judged: :func:`movement_judged`)."""
    exp = case.expected
    if severity(outcome.urgency) < severity(exp.urgency):
        return "under-graded"
    if severity(outcome.urgency) > severity(exp.urgency):
        return "over-graded"
    if outcome.program != exp.program:
        return "program"
    triage_advice = {a for a in outcome.advice if a in ADVICE}
    if triage_advice != {a for a in exp.advice if a in ADVICE}:
        return "advice"
    if not set(exp.advice) <= set(outcome.advice):
        return "advice"
    if movement_judged(case, outcome) and not movement_agrees(case, outcome):
        return "not normal" if case.normal else "top cause"
    return "agree"
