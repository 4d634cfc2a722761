"""Check-in: pain today, the days the exercises were done, new warning signs asked again;
then backcare.followup.checkin.evaluate (the project's one rule) says what it means and what to advise.

State: ``data.checkin`` while it runs (bot.dialogs.state.CheckinProgress: pain, planned,
done_days, answers, current, pending); the finished ones are records in ``data.checkins``
(see bot/dialogs/history.py).
"""

from __future__ import annotations

from typing import Any

from backcare.bot.dialogs import buttons, history
from backcare.bot.dialogs.buttons import DONE, TOGGLE
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.feature import Feature, Step, no_back
from backcare.bot.dialogs.interviewing import (
    error_text,
    expects_of,
    question_buttons,
    question_hint,
    refer,
    toggle,
)
from backcare.bot.dialogs.state import CheckinProgress, Reassessment
from backcare.followup.checkin import CheckIn, CheckinOutcome, evaluate
from backcare.interview import (
    AnswerError,
    Interview,
    Question,
    is_shown,
    rules_of,
    validate_answer,
)
from backcare.interview import judge as triage_of
from backcare.kernel.vocabulary import vocabulary

PAIN = Question(
    id="checkin_pain", type="scale", section="checkin", text={}, min=0, max=10, integer=True
)


def days_question(planned: int, unit: dict[str, str]) -> Question:
    """Days done since the last check-in: a whole number from 0 to the days planned
    (``unit``: the word for days in every language, accepted after the number)."""
    return Question(
        id="checkin_done",
        type="number",
        section="checkin",
        text={},
        min=0,
        max=planned,
        integer=True,
        unit=unit,
    )


def state(conv: Conversation) -> CheckinProgress:
    if conv.data.checkin is None:
        conv.data.checkin = CheckinProgress()
    return conv.data.checkin


def interview_of(conv: Conversation) -> Interview:
    registry = conv.dialogs.interviews
    st = conv.data.interview
    return registry.get(st.digest if st is not None else None) or registry.current


# -- pain ---------------------------------------------------------------------------------
def start_checkin(conv: Conversation) -> None:
    conv.data.checkin = None
    conv.go("check_in")


def prompt_pain(conv: Conversation, note: str | None = None) -> None:
    history.make_room(conv.data)  # here, not when the record is added: see history's module doc
    state(conv)
    choices = [Choice(str(n), buttons.pain(n).data) for n in range(11)]
    text = conv.t("checkin.pain")
    conv.say(f"{note}\n\n{text}" if note else text, choices=choices, expects="number")


async def on_pain(conv: Conversation, event: Event) -> None:
    pressed = buttons.checkin_value(buttons.pressed(event), "pain")
    raw = pressed if pressed is not None else event.text
    try:
        pain = validate_answer(PAIN, raw)
    except AnswerError as error:
        prompt_pain(conv, note=error_text(conv, PAIN, error))
        return
    st = state(conv)
    st.pain = pain
    st.planned = history.planned_days(conv.data)
    conv.go("pain_rated")


# -- days the exercises were done ---------------------------------------------------------
def planned_of(conv: Conversation) -> int:
    st = state(conv)
    if not st.planned:
        st.planned = history.planned_days(conv.data)
    return st.planned


def prompt_done(conv: Conversation, note: str | None = None) -> None:
    planned = planned_of(conv)
    choices = [Choice(str(n), buttons.days_done(n).data) for n in range(planned + 1)]
    text = conv.t("checkin.days", planned=planned)
    conv.say(
        f"{note}\n\n{text}" if note else text,
        choices=choices + [conv.button("common.back", buttons.command("back"))],
        expects="number",
    )


async def on_done(conv: Conversation, event: Event) -> None:
    question = days_question(planned_of(conv), conv.dialogs.texts.every("checkin.days_unit"))
    pressed = buttons.checkin_value(buttons.pressed(event), "done")
    if event.kind == "choice" and pressed is None:
        prompt_done(conv, note=conv.t("interview.use_buttons"))
        return
    raw = pressed if event.kind == "choice" else event.text
    try:
        days = validate_answer(question, raw)
    except AnswerError as error:
        prompt_done(conv, note=error_text(conv, question, error))
        return
    state(conv).done_days = int(days)
    conv.go("exercise_reported")


# -- new warning signs ----------------------------------------------------------------------
def prompt_gate(conv: Conversation) -> None:
    conv.say(
        conv.t("checkin.signs"),
        choices=[
            conv.button("common.yes_button", buttons.SIGNS_YES),
            conv.button("common.no_button", buttons.SIGNS_NO),
            conv.button("common.back", buttons.command("back")),
        ],
        expects="choice",
    )


async def on_gate(conv: Conversation, event: Event) -> None:
    pressed = buttons.pressed(event)
    if pressed == buttons.SIGNS_NO:
        complete(conv)
    elif pressed == buttons.SIGNS_YES:
        st = state(conv)
        st.answers, st.pending = {}, []
        st.current = next_recheck(conv, None)
        if st.current is None:
            complete(conv)
        else:
            conv.go("new_signs")
    else:
        prompt_gate(conv)


def merged_answers(conv: Conversation, interview: Interview) -> dict[str, Any]:
    """The interview's answers with the rechecked questions replaced by today's answers."""
    old = conv.data.answers()
    for qid, q in interview.questions.items():
        if q.recheck:
            old.pop(qid, None)
    old.update(state(conv).answers)
    return old


def asking(st: CheckinProgress) -> str:
    assert st.current is not None, "no warning sign is being asked"
    return st.current


def next_recheck(conv: Conversation, after: str | None) -> str | None:
    interview = interview_of(conv)
    order = [q for q in interview.order if interview.questions[q].recheck]
    start = order.index(after) + 1 if after in order else 0
    answers = merged_answers(conv, interview)
    for qid in order[start:]:
        if is_shown(interview, qid, answers):
            return qid
    return None


def prompt_flags(conv: Conversation, note: str | None = None) -> None:
    st = state(conv)
    q = interview_of(conv).questions[asking(st)]
    lines = ([note] if note else []) + [conv.text_of(q.text)]
    hint = question_hint(conv, q)
    if hint:
        lines.append(hint)
    conv.say(
        "\n\n".join(lines),
        choices=question_buttons(conv, q, st.pending, checkin=True),
        expects=expects_of(q),
        multi=q.type in ("multiple", "body_map"),
        question=q.id,
    )


async def on_flags(conv: Conversation, event: Event) -> None:
    st = state(conv)
    interview = interview_of(conv)
    q = interview.questions[asking(st)]
    raw: Any
    if event.kind == "text":
        raw = event.text
    else:
        parsed = buttons.question_button(buttons.pressed(event))
        if parsed is None or not parsed.checkin or parsed.question != q.id:
            prompt_flags(conv, note=conv.t("interview.use_buttons"))
            return
        if parsed.kind == TOGGLE:
            st.pending = toggle(st.pending, q, parsed.option)
            prompt_flags(conv)
            conv.replies[-1].meta["update"] = True
            return
        raw = list(st.pending) if parsed.kind == DONE else parsed.option
    try:
        value = validate_answer(q, raw)
    except AnswerError as error:
        prompt_flags(conv, note=error_text(conv, q, error))
        return
    st.answers[q.id] = value
    st.pending = []
    triage = triage_of(interview, merged_answers(conv, interview))
    after = next_recheck(conv, q.id)
    # the same triage as the interview's, on today's answers: it refers once no question
    # still to come could make it more urgent (night pain asked first hides no cauda equina)
    if triage.stops and (triage.decided or after is None):
        known = vocabulary().red_flags()
        stopping = [r for r in rules_of(interview, triage) if r.advice is None]
        checkin, outcome = judge(conv, sorted({r.fact for r in stopping if r.fact in known}))
        finish(conv, checkin, outcome, kind="red_flag")
        refer(conv, interview, triage, origin="checkin", urgency=outcome.referral)
        return
    st.current = after
    if st.current is None:
        conv.say(conv.t("checkin.no_new_flags"))
        complete(conv)
    else:
        prompt_flags(conv)


def back_flags(conv: Conversation) -> bool | None:
    """One warning-sign question back; from the first, the machine goes back to the yes/no question."""
    st = state(conv)
    asked = list(st.answers)
    if not asked:
        return None
    previous = asked[-1]
    st.answers.pop(previous)
    st.current, st.pending = previous, []
    prompt_flags(conv)
    return True


# -- the outcome ----------------------------------------------------------------------------
def judge(
    conv: Conversation, red_flags: tuple[str, ...] | list[str] = ()
) -> tuple[CheckIn, CheckinOutcome]:
    """Today's check-in and what backcare.followup.checkin.evaluate makes of it."""
    st = state(conv)
    planned = planned_of(conv)
    # days were counted since issue 8 (the state's migration counts an older check-in's)
    done = st.done_days if st.done_days is not None else 0
    assert st.pain is not None, "the pain comes first"
    checkin = CheckIn(
        at=conv.now.isoformat(timespec="seconds"),
        pain=st.pain,
        done_days=min(done, planned),
        planned_days=planned,
        red_flags=tuple(red_flags),
    )
    data = conv.data
    outcome = evaluate(
        history.baseline_pain(data),
        history.checkins(data),
        checkin,
        program_started=history.program_started(data),
    )
    return checkin, outcome


def finish(conv: Conversation, checkin: CheckIn, outcome: CheckinOutcome, kind: str) -> None:
    conv.data.checkin = None
    history.add_record(conv.data, checkin, outcome, kind)


def complete(conv: Conversation) -> None:
    checkin, outcome = judge(conv)
    finish(conv, checkin, outcome, kind=outcome.status)
    if outcome.invite_reassessment:
        conv.data.reassessment = Reassessment(invited=checkin.at)
    choices = []
    if outcome.invite_reassessment:
        choices += [
            conv.button("reassess.accept", buttons.REASSESS_YES),
            conv.button("reassess.decline", buttons.REASSESS_NO),
        ]
    choices += [
        conv.button("active.progress", buttons.PROGRESS),
        conv.button("active.program", buttons.PROGRAM),
    ]
    conv.say(
        conv.text_of(outcome.advice), choices=choices, expects="choice", outcome=outcome.status
    )
    conv.skip_prompt = True  # the advice and its buttons are the resting step's prompt this time
    conv.go("checked_in")


FEATURE = Feature(
    "check-in",
    steps=(
        Step("checkin_pain", prompt_pain, on_pain, back=no_back),
        Step("checkin_done", prompt_done, on_done),
        Step("checkin_signs", prompt_gate, on_gate),
        Step("checkin_flags", prompt_flags, on_flags, back=back_flags),
    ),
    texts=("checkin",),
)
