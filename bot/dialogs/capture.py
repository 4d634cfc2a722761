"""Photo capture, one movement at a time in vocabulary order, then the analysis.

State (``data.photos``, a bot.dialogs.state.PhotoProgress): index (the capture step asked now), results
(step -> PhotoResult.to_dict() of the latest photo), skipped (steps left out
because they hurt) and tries (step -> photos sent). Photo bytes are never in the
state; annotated pictures stay in memory only (Dialogs.pictures). A re-assessment
(bot/dialogs/reassessment.py) runs the same capture and analysis again.
"""

from __future__ import annotations

import inspect
import logging
from typing import Protocol, TypeGuard

from backcare.bot.dialogs import buttons, history, reassessment
from backcare.bot.dialogs.buttons import ANALYSIS_RETRY, PHOTO_RETAKE, PHOTO_SKIP, PHOTO_USE
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Event, Image
from backcare.bot.dialogs.feature import Feature, Step, no_back
from backcare.bot.dialogs.interviewing import back_interview
from backcare.bot.dialogs.results import summarise
from backcare.bot.dialogs.state import PhotoProgress
from backcare.interview import InterviewResult
from backcare.kernel.languages import DEFAULT
from backcare.kernel.vocabulary import vocabulary
from backcare.report.types import PhotoResult
from backcare.vision.errors import Reason

log = logging.getLogger(__name__)

# After this many refused photos of one step, the skip button is offered with a nudge.
TRIES_BEFORE_NUDGE = 3
# Refusals that mean the photo was never analysed (not a verdict on what it shows)
ANALYSIS_FAILED = frozenset({Reason.WORKER_FAILED.value, Reason.TIMEOUT.value})


def steps() -> list[str]:
    return list(vocabulary().movements)


def state(conv: Conversation) -> PhotoProgress:
    if conv.data.photos is None:
        conv.data.photos = PhotoProgress()
    return conv.data.photos


def step_name(conv: Conversation, step: str) -> str:
    return conv.text_of(vocabulary().movements[step].text)


def prompt_photos(conv: Conversation, note: str | None = None) -> None:
    st = state(conv)
    all_steps = steps()
    step = all_steps[st.index]
    again = reassessment.running(conv.data)
    if st.index == 0 and not st.results and not st.skipped and note is None:
        conv.say(conv.t("reassess.intro" if again else "photo.intro", n=len(all_steps)))
    lines = [note] if note else []
    lines.append(
        conv.t("photo.step_title", n=st.index + 1, total=len(all_steps), name=step_name(conv, step))
    )
    lines.append(conv.t(f"photo.steps.{step}"))
    choices = [conv.button("photo.skip", PHOTO_SKIP)]
    if st.tries.get(step, 0) >= TRIES_BEFORE_NUDGE:
        lines.append(conv.t("photo.many_tries"))
    first_back = "reassess.cancel" if again else "common.back"
    choices.append(conv.button("photo.back" if st.index else first_back, buttons.command("back")))
    conv.say("\n\n".join(lines), choices=choices, expects="photo", step=step)


async def on_photos(conv: Conversation, event: Event) -> None:
    st = state(conv)
    step = steps()[st.index]
    pressed = buttons.pressed(event)
    if pressed == PHOTO_SKIP:
        if step not in st.skipped:
            st.skipped.append(step)
        st.results.pop(step, None)
        advance(conv, note=conv.t("photo.skipped"))
        return
    if pressed in (PHOTO_USE, PHOTO_RETAKE):
        pending, st.pending = st.pending, None
        if pressed == PHOTO_USE and pending and pending.get("step") == step:
            # measured as this step already: the patient says it is this movement
            st.results[step] = {**pending, "accepted": True, "reason": None, "detail": ""}
            if step in st.skipped:
                st.skipped.remove(step)
            advance(conv, note=conv.t("photo.accepted", name=step_name(conv, step)))
        else:
            prompt_photos(conv, note=conv.t("photo.retake", name=step_name(conv, step)))
        return
    if event.kind != "photo" or not event.photo:
        prompt_photos(conv, note=conv.t("photo.send_a_photo"))
        return
    st.pending = None
    st.tries[step] = st.tries.get(step, 0) + 1
    result = await analyse(conv, event.photo, event.filename, step)
    st.results[step] = result.to_dict()
    if result.accepted:
        if step in st.skipped:
            st.skipped.remove(step)
        if result.annotated_jpeg:
            conv.dialogs.pictures.put(conv.data.session, step, result.annotated_jpeg)
            conv.say(
                "",
                images=[
                    Image(
                        result.annotated_jpeg, conv.t("photo.accepted", name=step_name(conv, step))
                    )
                ],
            )
            advance(conv)
        else:
            advance(conv, note=conv.t("photo.accepted", name=step_name(conv, step)))
        return
    reason = (
        result.reason if result.reason in {r.value for r in Reason} else Reason.WORKER_FAILED.value
    )
    detail = refusal_detail(conv, reason, result.detail)
    if reason == Reason.WRONG_MOVEMENT.value and result.measurements:
        ask_use_it(conv, step, result, detail)
        return
    prompt_photos(
        conv, note=conv.t("photo.refused") + "\n" + conv.t(f"photo.reasons.{reason}", detail=detail)
    )
    if reason in ANALYSIS_FAILED:  # drivers must not show "Photo analysed." for it
        conv.replies[-1].meta["analysis_failed"] = reason


def ask_use_it(conv: Conversation, step: str, result: PhotoResult, seen: str) -> None:
    """The photo looks like another movement but was measured as this step: a restricted
    movement is a finding, so the patient decides ([use it] or [retake]), not vision."""
    st = state(conv)
    st.pending = result.to_dict()
    if result.annotated_jpeg:
        conv.dialogs.pictures.put(conv.data.session, step, result.annotated_jpeg)
    conv.say(
        conv.t("photo.looks_like", seen=seen, name=step_name(conv, step)),
        choices=[
            conv.button("photo.use_it", PHOTO_USE),
            conv.button("photo.retake_it", PHOTO_RETAKE),
            conv.button("photo.skip", PHOTO_SKIP),
        ],
        expects="photo",
        step=step,
    )


def refusal_detail(conv: Conversation, reason: str, detail: str) -> str:
    """Plain words for the detail: the movement seen, the body parts cut off (vision names them in English)."""
    texts = conv.dialogs.texts
    if reason == Reason.WRONG_MOVEMENT.value:
        key = f"photo.movements.{detail}"
        return conv.t(key) if texts.has(key) else conv.t("photo.another_movement")
    if reason == Reason.CROPPED.value:
        parts = [p.strip() for p in (detail or "").split(",") if p.strip()]
        words = [conv.t(f"photo.parts.{p}") if texts.has(f"photo.parts.{p}") else p for p in parts]
        return conv.t("reminders.list_separator").join(words)
    return detail or ""


class LabellingServices(Protocol):
    """Services whose annotated picture is labelled in the language they are given."""

    async def analyse_photo(
        self, data: bytes, step: str, filename: str | None = None, language: str = DEFAULT
    ) -> PhotoResult: ...


def labels_in_language(services: object) -> TypeGuard[LabellingServices]:
    """Whether the services label the annotated picture in a language they are given
    (the pipeline does; a service written before that keeps working, in English)."""
    method = getattr(services, "analyse_photo", None)
    try:
        return method is not None and "language" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


async def analyse(conv: Conversation, photo: bytes, filename: str | None, step: str) -> PhotoResult:
    services = conv.dialogs.services
    try:
        if labels_in_language(services):  # the picture in the patient's language
            return await services.analyse_photo(photo, step, filename, language=conv.lang)
        return await services.analyse_photo(photo, step, filename)
    except Exception:  # the pipeline failed on this photo: the user may simply send another
        log.exception("photo analysis failed for step %s", step)
        return PhotoResult(
            step=step,
            source=filename or step,
            accepted=False,
            reason=Reason.WORKER_FAILED.value,
        )


def advance(conv: Conversation, note: str | None = None) -> None:
    st = state(conv)
    st.index += 1
    if st.index >= len(steps()):
        st.index = len(steps()) - 1
        if note:
            conv.say(note)
        conv.go("captured_all")
    else:
        prompt_photos(conv, note=note)


def back_photos(conv: Conversation) -> bool:
    """Retake the previous photo; from the first one, back to the last interview question
    (or, in a re-assessment, back to the program as it was)."""
    st = state(conv)
    if st.index > 0:
        st.index -= 1
        prompt_photos(conv, note=conv.t("photo.retake", name=step_name(conv, steps()[st.index])))
        return True
    if reassessment.running(conv.data):
        reassessment.cancel(conv)
        return True
    if conv.data.interview is not None and conv.data.interview.history:
        back_interview(conv)
        conv.go("back")
        return True
    return False


# -- analysis --------------------------------------------------------------------------
def prompt_analysis(conv: Conversation) -> None:
    conv.say(conv.t("analysis.working"))


async def run_analysis(conv: Conversation) -> None:
    st = state(conv)
    photos = [PhotoResult.from_dict(d) for d in st.results.values()]
    assert conv.data.result is not None, "the analysis follows the interview"
    result = InterviewResult.from_dict(conv.data.result)
    try:
        report = await conv.dialogs.services.build_report(result, photos, conv.lang)
    except Exception:
        log.exception("building the report failed")
        conv.say(
            conv.t("analysis.failed"),
            choices=[conv.button("analysis.retry", ANALYSIS_RETRY)],
            expects="choice",
        )
        return
    summary = summarise(report)
    data = conv.data
    # read before the report changes: an older state knows the start only from the report's time
    started = history.program_started(data) if data.report else None
    if reassessment.running(data):
        reassessment.finish(conv, summary)
    else:
        data.report = summary
    if summary["program"] and not data.program_started:
        # check-ins count from here
        data.program_started = started or conv.now.isoformat(timespec="seconds")
    if summary["referral"] and data.reminders is not None:
        data.reminders.active = False  # no exercises to remind of
    conv.go("reported")


async def on_analysis(conv: Conversation, event: Event) -> None:
    if buttons.pressed(event) == ANALYSIS_RETRY:
        prompt_analysis(conv)
        await run_analysis(conv)
    else:
        conv.say(
            conv.t("analysis.waiting"),
            choices=[conv.button("analysis.retry", ANALYSIS_RETRY)],
            expects="choice",
        )


FEATURE = Feature(
    "photos",
    steps=(
        Step("photos", prompt_photos, on_photos, back=back_photos),
        Step("analysis", prompt_analysis, on_analysis, back=no_back, auto=run_analysis),
    ),
    texts=("photo", "analysis"),
)
