"""The one pipeline: photos + interview answers -> report.

The Telegram bot, the console chat and the command line all call this module;
nothing here knows about chat. Photo analysis runs in vision's worker pool, or on
``backcare worker`` processes through a task queue when BACKCARE_BROKER_URL is set
(backcare.taskqueue), never on the caller's event loop; ratings, reasoning and the
program are pure and take milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backcare.assessment.rating import assess
from backcare.assessment.types import Observation, Profile
from backcare.content.catalog import Catalog, load_catalog
from backcare.content.program import build_program
from backcare.interview import InterviewResult, rank
from backcare.kernel import metrics
from backcare.kernel.languages import DEFAULT
from backcare.kernel.vocabulary import STOPS, Vocabulary, vocabulary
from backcare.reasoning.abduction import Engine
from backcare.reasoning.case import build_case
from backcare.reasoning.knowledge import load_knowledge_base
from backcare.report.types import PhotoResult, Report
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.movement import check_step
from backcare.vision.pool import PoseService
from backcare.vision.types import AnalysedPhoto, PhotoAnalysis

if TYPE_CHECKING:
    from backcare.taskqueue.service import QueuedPoseService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MovementCheck:
    """Whether a photo shows what its capture step asked for; when it clearly shows another
    movement, the step it looks like (``suggested``)."""

    ok: bool
    seen: str
    detail: str = ""
    suggested: str | None = None


# views that face the camera (front and back) against those that do not (side, oblique)
FACING = ("front", "back")
# the signed measurement that tells the side of a one-sided movement class (positive: left)
SIDE_MEASURE = {"rotation": "trunk_rotation", "side_bend": "lateral_bend"}


def check_movement(step: str, analysis: PhotoAnalysis, vocab: Vocabulary) -> MovementCheck:
    """Measure the photo as its step unless it clearly shows another movement (vision's
    check_step: a restricted movement is a finding, never a wrong photo)."""
    term = vocab.movements[step]
    judged = check_step(analysis.movement, term.expects or "standing", term.side)
    if judged.ok:
        return MovementCheck(True, judged.seen)
    seen = judged.suggested or judged.seen
    suggested = step_for(seen, judged.side, analysis.view.kind.value, vocab)
    return MovementCheck(False, judged.seen, seen, suggested)


def step_for(movement: str, side: str | None, view: str, vocab: Vocabulary) -> str:
    """The capture step that asks for ``movement`` (to ``side``) seen from ``view``, chosen
    from the vocabulary's movements, so a new capture step needs no code here."""
    candidates = [s for s, t in vocab.movements.items() if t.expects == movement]
    if side is not None:
        candidates = [s for s in candidates if vocab.movements[s].side == side] or candidates
    facing = view in FACING
    candidates = [
        s for s in candidates if (vocab.movements[s].view in FACING) == facing
    ] or candidates
    return candidates[0] if candidates else movement


UNASSIGNED = "unassigned"


def guess_step(analysis: PhotoAnalysis, vocab: Vocabulary) -> str:
    """The capture step a photo without a step name most likely belongs to."""
    movement = analysis.movement.movement.value
    side = None
    if movement in SIDE_MEASURE:
        signed = analysis.measurements.get(SIDE_MEASURE[movement])
        side = "right" if signed is not None and signed.value < 0 else "left"
    return step_for(movement, side, analysis.view.kind.value, vocab)


def photo_result(
    step: str, source: str, outcome: AnalysedPhoto | PhotoRejected, vocab: Vocabulary | None = None
) -> PhotoResult:
    """Turn vision's outcome for one capture step into a PhotoResult (pure)."""
    vocab = vocab or vocabulary()
    if isinstance(outcome, PhotoRejected) or step not in vocab.movements:
        if not isinstance(outcome, PhotoRejected):
            outcome = PhotoRejected(Reason.WRONG_MOVEMENT, outcome.analysis.movement.movement.value)
        return PhotoResult(
            step=step,
            source=source,
            accepted=False,
            reason=outcome.reason.value,
            detail=outcome.detail,
        )
    analysis = outcome.analysis
    check = check_movement(step, analysis, vocab)
    confidences = [m.confidence for m in analysis.measurements.values()]
    # measured as the step either way: a photo that looks like another movement keeps its
    # measurements, so the patient can still use it for this step
    return PhotoResult(
        step=step,
        source=source,
        accepted=check.ok,
        reason=None if check.ok else Reason.WRONG_MOVEMENT.value,
        detail="" if check.ok else check.detail,
        measurements=dict(analysis.measurements),
        view=analysis.view.kind.value,
        movement_seen=check.seen,
        confidence=round(min(confidences), 3) if confidences else 0.0,
        annotated_jpeg=outcome.annotated_jpeg,
        suggested_step=check.suggested,
        unusable=dict(analysis.unusable),
    )


# refusals that rest on how BlazePose read the body, not on the picture itself
SECOND_LOOK = frozenset({Reason.WRONG_MOVEMENT.value, Reason.TILTED.value})
SAGITTAL_BENDS = frozenset({"forward_bend", "backward_bend"})
# takes one of other_looks, by the name of its vision.analysis.analyse_image flag
Look = Callable[[str], AnalysedPhoto | PhotoRejected]


def other_looks(step: str, first: PhotoResult, vocab: Vocabulary) -> tuple[str, ...]:
    """The other looks a doubtful photo for ``step`` gets, in turn, until one settles it,
    each by the name of its vision.analysis.analyse_image flag: read mirrored left to
    right; then with the depth turned over, the body mirrored in depth that the picture
    shows as well (vision.pose.flip_depth: a backward bend seen 40-55 deg off the side can
    come out leaning forward, and so as a side bend or a twist).

    Turning the depth over turns a lean in depth round, and the body with it, so it is not
    asked what it cannot judge: the side of a one-sided movement (it turns left into right:
    on the real photos it read a side bend to the right, sent for the left, as one to the
    left), nor a first look that saw a bend the other way (``first``, e.g. a forward bend
    sent for the backward bend: of 509 rendered forward bends sent so, it turned 5 into
    backward bends, all of which the first look had seen as forward bends)."""
    term = vocab.movements.get(step)
    if term is None or term.side is not None:
        return ("mirrored",)
    asked = term.expects or "standing"
    if first.movement_seen in SAGITTAL_BENDS and first.movement_seen != asked:
        return ("mirrored",)
    return ("mirrored", "depth_flipped")


def look_again(
    step: str, source: str, first: PhotoResult, look: Look, vocab: Vocabulary
) -> tuple[PhotoResult, str | None, AnalysedPhoto | PhotoRejected | None]:
    """``first`` checked by the other looks it wants (other_looks), each taken with
    ``look(name)`` and settled against ``first``: the photo's result, and the look whose
    reading it is with that look's outcome (None, None when the first stands). The
    awaited twin is Pipeline.analyse_photo's loop."""
    if not wants_second_look(first):
        return first, None, None
    for name in other_looks(step, first, vocab):
        outcome = look(name)
        result = settle(first, photo_result(step, source, outcome, vocab), vocab)
        if result is not first:
            return result, name, outcome
    return first, None, None


def wants_second_look(result: PhotoResult) -> bool:
    """Whether a photo's refusal must be confirmed before the patient hears it: a photo
    questioned as another movement, or refused as tilted or upside down, costs the patient
    a step, and the reading that raised the doubt can be wrong itself. BlazePose sometimes
    reads a person seen obliquely from behind as a mirror-image body, which turns the view
    ~90 deg and a backward bend into a side bend, or folds a skeleton upside down on an
    upright person (bench/vision_accuracy.py on renders); read again mirrored
    (vision.pose.estimate_mirrored), or with its depth turned over, it often reads them
    right (other_looks). A photo really taken tilted or of another movement reads so every
    way."""
    return not result.accepted and result.reason in SECOND_LOOK


def settle(first: PhotoResult, second: PhotoResult, vocab: Vocabulary) -> PhotoResult:
    """The second look's result when it measures the photo as its step and reads it
    otherwise than the first (another movement, or the same one to the other side: the
    side of the movement seen, or of the step's own when the look saw none, e.g. a side
    bend read as standing, refused as leaning 40 deg the wrong way by one look and read
    leaning 20 deg the asked way by the other), else the first. A second look that sees
    what the first saw, only a little less of it, is
    a second roll at a threshold, not a second opinion: it must not wave through a bend
    to the wrong side that both looks see (a real side bend, read 11 deg then 9 deg to
    the right when the left was asked). A refusal the first look made without a reading
    (tilted, upside down) gives way to any second look that measures the photo.

    Two readings of one photo that disagree say how far either can be trusted: each
    reading the first look also made has its uncertainty widened by half their
    difference (in quadrature), so the rating is only as sure as the looks agree
    (renders: of 21 photos a second look let through, 7 read the step's main angle
    more than 10 deg off, against 8% of the other accepted photos)."""
    term = vocab.movements.get(first.step)
    own = SIDE_MEASURE.get(term.expects or "") if term else None
    if not second.accepted or _reading(second, own) == _reading(first, own):
        return first
    widened = dict(second.measurements)
    for name, m in second.measurements.items():
        before = first.measurements.get(name)
        if before is not None and m.uncertainty is not None:
            spread = abs(m.value - before.value) / 2
            widened[name] = replace(m, uncertainty=round(math.hypot(m.uncertainty, spread), 2))
    return replace(second, measurements=widened)


def _reading(result: PhotoResult, own: str | None) -> tuple[str | None, bool | None]:
    """What a look saw: the movement, and for a one-sided one which side (True: left); for
    a movement without a side, the side of the step's ``own`` measure, if it has one."""
    measure = SIDE_MEASURE.get(result.movement_seen or "", own)
    side = result.measurements.get(measure) if measure else None
    return result.movement_seen, None if side is None else side.value >= 0


def latest_by_step(photos: Iterable[PhotoResult]) -> dict[str, PhotoResult]:
    """The last accepted photo of each step (a retake replaces the earlier one)."""
    out: dict[str, PhotoResult] = {}
    for photo in photos:
        if photo.accepted:
            out[photo.step] = photo
    return out


class Pipeline:
    """Photos and answers in, report out. One instance serves every user."""

    def __init__(
        self,
        pose: PoseService | QueuedPoseService | None,
        engine: Engine | None = None,
        catalog: Catalog | None = None,
        vocab: Vocabulary | None = None,
    ):
        """pose: the photo workers; None for a pipeline that only builds reports."""
        self._pose = pose
        self.vocab = vocab or vocabulary()
        self.engine = engine or Engine(load_knowledge_base())
        self.catalog = catalog or load_catalog()
        self._pending = 0  # photos handed to the workers and not answered yet
        self._pending_lock = threading.Lock()

    @classmethod
    def create(cls, workers: int = 1, timeout_s: float = 60.0, niceness: int = 0) -> Pipeline:
        """In-process workers, or the task queue when BACKCARE_BROKER_URL is set (then
        ``workers`` and ``niceness`` are the workers' own: ``backcare worker``)."""
        from backcare.taskqueue.config import QueueConfig

        queue = QueueConfig.from_env()
        if queue is not None:
            from backcare.taskqueue.service import QueuedPoseService

            log.info("photos analysed by backcare worker through queue %s", queue.queue)
            return cls(QueuedPoseService(queue, timeout_s=timeout_s))
        return cls(PoseService(workers=workers, timeout_s=timeout_s, niceness=niceness))

    @property
    def pose(self) -> PoseService | QueuedPoseService:
        if self._pose is None:
            raise RuntimeError("this pipeline was made without photo workers: reports only")
        return self._pose

    def queue_depth(self) -> int:
        """Photos waiting: the broker's queue with a task queue, else those handed to the
        in-process workers and not answered yet."""
        depth = getattr(self._pose, "queue_depth", None)
        return int(depth()) if depth is not None else self._pending

    def analysis_available(self) -> bool:
        """Photos can be analysed now (the queue and its Redis answer; the pool is open)."""
        if self._pose is None:
            return False
        available = getattr(self._pose, "available", None)
        return bool(available()) if available is not None else not self._pose._closed

    def _track(self, change: int) -> None:
        with self._pending_lock:
            self._pending += change

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- photos ---------------------------------------------------------------
    def _check_step(self, step: str) -> None:
        if step not in self.vocab.movements:
            raise ValueError(
                f"unknown capture step {step!r}; expected one of {', '.join(self.vocab.movements)}"
            )

    def analyse_photo_sync(
        self, data: bytes, step: str, filename: str | None = None, language: str = DEFAULT
    ) -> PhotoResult:
        self._check_step(step)
        return self.analyse_file(data, filename or step, step, language=language)

    def analyse_file(
        self,
        data: bytes,
        filename: str,
        step: str | None = None,
        too_large: bool = False,
        language: str = DEFAULT,
    ) -> PhotoResult:
        """One photo from a folder: the step comes from its name, or from what it shows.
        The annotated picture is labelled in ``language``."""
        if too_large:
            outcome: AnalysedPhoto | PhotoRejected = PhotoRejected(Reason.TOO_LARGE, "file size")
        else:
            outcome = self._look(data, language)
        if step is None:
            step = (
                UNASSIGNED
                if isinstance(outcome, PhotoRejected)
                else guess_step(outcome.analysis, self.vocab)
            )
        first = photo_result(step, filename, outcome, self.vocab)
        result, _, _ = look_again(
            step, filename, first, lambda name: self._look(data, language, name), self.vocab
        )
        return self._logged(result)

    def _look(
        self, data: bytes, language: str, other: str | None = None
    ) -> AnalysedPhoto | PhotoRejected:
        """One look: the plain one, or one of other_looks (by its flag's name)."""
        with self._looking() as look:
            look.outcome = self.pose.analyse(data, annotate=language, **_flag(other))
        return look.taken()

    async def _look_async(
        self, data: bytes, language: str, other: str | None = None
    ) -> AnalysedPhoto | PhotoRejected:
        with self._looking() as look:
            look.outcome = await self.pose.analyse_async(data, annotate=language, **_flag(other))
        return look.taken()

    @contextmanager
    def _looking(self) -> Iterator[_Look]:
        """One analysis, sync or awaited: pending (queue_depth) while it runs, its refusal
        kept as its outcome, the outcome counted by kind and time."""
        start = time.monotonic()
        look = _Look()
        self._track(+1)
        try:
            yield look
        except PhotoRejected as exc:
            look.outcome = exc
        finally:
            self._track(-1)
        _count(look.taken(), start)

    def _logged(self, result: PhotoResult) -> PhotoResult:
        log.info(
            "photo %s for %s: %s",
            "accepted" if result.accepted else "refused",
            result.step,
            result.reason or result.view,
        )
        return result

    async def analyse_photo(
        self, data: bytes, step: str, filename: str | None = None, language: str = DEFAULT
    ) -> PhotoResult:
        self._check_step(step)
        source = filename or step
        outcome = await self._look_async(data, language)
        first = result = photo_result(step, source, outcome, self.vocab)
        looks = other_looks(step, first, self.vocab) if wants_second_look(first) else ()
        for name in looks:  # look_again, awaited
            second = await self._look_async(data, language, name)
            result = settle(first, photo_result(step, source, second, self.vocab), self.vocab)
            if result is not first:
                break
        return self._logged(result)

    # -- report ---------------------------------------------------------------
    def report_sync(
        self,
        result: InterviewResult,
        photos: Iterable[PhotoResult],
        language: str = DEFAULT,
        now: datetime | None = None,
    ) -> Report:
        photos = tuple(photos)
        measurements = {step: p.measurements for step, p in latest_by_step(photos).items()}
        profile = (
            result.profile
            if isinstance(result.profile, Profile)
            else Profile(
                age=getattr(result.profile, "age", None), sex=getattr(result.profile, "sex", None)
            )
        )
        triage = result.triage
        if not triage.stops and not triage.complete:
            raise TriageIncomplete(triage.missing)
        observations: list[Observation] = assess(measurements, profile)
        # Red flags are triage's alone (one graded judgement); reasoning explains the rest.
        red = set(self.vocab.red_flags())
        facts, false_facts = result.facts - red, result.false_facts - red
        case = build_case(observations, facts, false_facts)
        diagnosis = self.engine.diagnose(case)
        if triage.stops:
            stopping = [
                f for f in _flags_by_urgency(result.red_flags) if result.red_flags[f] in STOPS
            ]
            diagnosis = replace(diagnosis, referral=triage.level, referral_reasons=tuple(stopping))
        program = None
        if diagnosis.referral in (None, "unexplained"):  # unexplained: never a dead end
            program = build_program(diagnosis, observations, facts, result.scores, language)
            if program is not None and triage.notes:  # rheumatology, caution: said first
                program = replace(program, advice=_with_notes(program.advice, triage.notes))
        created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        return Report(
            created=created,
            language=language,
            facts=tuple(sorted(result.facts)),
            scores=dict(result.scores),
            photos=photos,
            observations=tuple(observations),
            diagnosis=diagnosis,
            program=program,
            referral=diagnosis.referral,
            triage=triage,
        )

    async def build_report(
        self, result: InterviewResult, photos: list[PhotoResult], language: str = DEFAULT
    ) -> Report:
        # Milliseconds of work, but a thread keeps the loop free even on a slow solve.
        return await asyncio.to_thread(self.report_sync, result, photos, language)


def _flag(look: str | None) -> dict[str, bool]:
    """The analysis flag that takes ``look`` (none for the plain one)."""
    return {look: True} if look else {}


@dataclass
class _Look:
    """What one analysis gave: the analysed photo or its refusal."""

    outcome: AnalysedPhoto | PhotoRejected | None = None

    def taken(self) -> AnalysedPhoto | PhotoRejected:
        assert self.outcome is not None, "the analysis neither returned nor refused"
        return self.outcome


def _count(outcome: AnalysedPhoto | PhotoRejected, start: float) -> None:
    label = outcome.reason.value if isinstance(outcome, PhotoRejected) else "accepted"
    metrics.analysis_done(label, time.monotonic() - start)


class TriageIncomplete(ValueError):
    """Red-flag questions were not answered: no program without them (``missing``: their ids)."""

    def __init__(self, missing: tuple[str, ...]):
        self.missing = tuple(missing)
        super().__init__(f"red-flag questions not answered: {', '.join(self.missing)}")


def _with_notes(
    advice: Mapping[str, tuple[str, ...]], notes: tuple[dict[str, str], ...]
) -> dict[str, tuple[str, ...]]:
    return {
        lang: tuple(n[lang] for n in notes if n.get(lang)) + tuple(items)
        for lang, items in advice.items()
    }


def _flags_by_urgency(red_flags: Mapping[str, str]) -> list[str]:
    """Red-flag facts, most urgent first (the order the referral names them)."""
    return sorted(red_flags, key=lambda f: (rank(red_flags[f]), f))


def measurement_record(result: PhotoResult) -> dict:
    """One photo's outcome as plain JSON-able data (``backcare measure``): accepted or
    refused with the reason, the view, the movement seen, the step it looks like when it
    is not the one asked, every measurement with value, unit and uncertainty, and the
    readings set aside as outside the body's envelope."""
    return {
        "photo": result.source,
        "step": result.step,
        "accepted": result.accepted,
        "reason": result.reason,
        "detail": result.detail,
        "view": result.view,
        "movement_seen": result.movement_seen,
        "suggested_step": result.suggested_step,
        "measurements": {
            name: {
                "value": m.value,
                "unit": m.unit,
                "uncertainty": m.uncertainty,
                "confidence": m.confidence,
                "method": m.method,
            }
            for name, m in sorted(result.measurements.items())
        },
        "unusable": dict(sorted(result.unusable.items())),
    }
