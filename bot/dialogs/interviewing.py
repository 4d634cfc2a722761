"""The interview, one question at a time: buttons, typed answers, back, red-flag triage.

Red flags go through backcare.interview.judge (the one triage of the bot, the
console and ``backcare analyze``): the interview stops for a referral as soon as
triage is decided at a level that stops self-care, never earlier, so a milder
flag cannot hide a more severe one still to be asked.

State (``data.interview``, a bot.dialogs.state.InterviewProgress): digest and version
of the interview, answers (question id -> stored value), history (the answered
questions in order: the way back), current (the question asked now, None when
finished) and pending (a multiple choice being ticked).
"""

from __future__ import annotations

from typing import Any

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.buttons import ANSWER, DONE, TOGGLE
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.feature import Feature, Step
from backcare.bot.dialogs.state import InterviewProgress, Referral
from backcare.interview import (
    MULTI_TYPES,
    AnswerError,
    Interview,
    Question,
    Triage,
    derive,
    fmt_number,
    judge,
    most_urgent,
    next_question,
    remaining,
    rules_of,
    validate_answer,
)


def start_interview(conv: Conversation) -> None:
    interview = conv.dialogs.interviews.current
    data = conv.data
    data.interview = InterviewProgress(
        digest=interview.digest,
        version=interview.version,
        current=next_question(interview, {}, None),
        started=conv.now.isoformat(timespec="seconds"),
    )
    # a new assessment: a new program, compared with nothing before it
    data.result = data.referral = data.photos = data.report = data.checkin = None
    data.program_started = data.previous_report = data.reassessment = None


# -- rendering a question (shared with the check-in) --------------------------------
def question_hint(conv: Conversation, q: Question) -> str:
    if q.type == "number":
        if not q.unit:
            return conv.t(
                "interview.hint_number_plain", min=fmt_number(q.min), max=fmt_number(q.max)
            )
        return conv.t(
            "interview.hint_number",
            min=fmt_number(q.min),
            max=fmt_number(q.max),
            unit=conv.text_of(q.unit),
        )
    if q.type == "scale":
        return conv.t(
            "interview.hint_scale",
            min=fmt_number(q.min),
            max=fmt_number(q.max),
            min_label=conv.text_of(q.labels.get("min")) or fmt_number(q.min),
            max_label=conv.text_of(q.labels.get("max")) or fmt_number(q.max),
        )
    if q.type in MULTI_TYPES:
        return conv.t("interview.hint_multi")
    if q.type == "text":
        return conv.t("interview.hint_text", max=q.max_length)
    return ""


def question_buttons(
    conv: Conversation, q: Question, pending: list[str], checkin: bool = False
) -> list[Choice]:
    """Answer buttons of the interview, or of the check-in's warning signs (``checkin``)."""
    if q.type == "yes_no":
        return [
            conv.button("common.yes_button", buttons.yes_no(q.id, True, checkin)),
            conv.button("common.no_button", buttons.yes_no(q.id, False, checkin)),
        ]
    if q.type == "scale":
        assert q.min is not None and q.max is not None  # the loader gives a scale its range
        return [
            Choice(str(n), buttons.answer(q.id, n, checkin).data)
            for n in range(int(q.min), int(q.max) + 1)
        ]
    if q.type == "single":
        return [
            Choice(conv.text_of(o.text), buttons.answer(q.id, o.id, checkin).data)
            for o in q.options
        ]
    if q.type in MULTI_TYPES:
        ticked = set(pending)
        choices = [
            Choice(
                ("✓ " if o.id in ticked else "") + conv.text_of(o.text),
                buttons.toggle(q.id, o.id, checkin).data,
            )
            for o in q.options
        ]
        return choices + [conv.button("interview.done", buttons.done(q.id, checkin))]
    return []


def expects_of(q: Question) -> str:
    return {"number": "number", "scale": "number", "text": "text"}.get(q.type, "choice")


def ask(conv: Conversation, note: str | None = None) -> None:
    """Ask the current question (with the section's title when it starts one)."""
    st = started(conv)
    interview = conv.interview
    qid = st.current
    assert qid is not None, "no question to ask"
    q = interview.questions[qid]
    lines = [note] if note else []
    history = st.history
    section = interview.section_of(qid)
    previous = interview.questions.get(history[-1]) if history else None
    if previous is None or previous.section != section.id:
        lines.append(conv.t("interview.section", title=conv.text_of(section.title)))
        if section.intro:
            lines.append(conv.text_of(section.intro))
    number = len(history) + 1
    total = len(history) + remaining(interview, st.answers, qid)
    lines.append(conv.t("interview.progress", n=number, total=total))
    lines.append(conv.text_of(q.text))
    hint = question_hint(conv, q)
    if hint:
        lines.append(hint)
    choices = question_buttons(conv, q, st.pending)
    if not q.required:
        choices.append(conv.button("interview.skip", buttons.skip(qid)))
    if q.help:
        choices.append(conv.button("common.help", buttons.command("help")))
    if history:
        choices.append(conv.button("common.back", buttons.command("back")))
    conv.say(
        "\n\n".join(lines),
        choices=choices,
        expects=expects_of(q),
        multi=q.type in MULTI_TYPES,
        question=qid,
    )


def started(conv: Conversation) -> InterviewProgress:
    """The interview in progress (every step from the interview on has one)."""
    st = conv.data.interview
    assert st is not None, "the interview has not started"
    return st


def prompt_interview(conv: Conversation) -> None:
    st = started(conv)
    if st.current is None:  # finished (e.g. after moving to a new version): go on
        finish(conv)
        return
    ask(conv)


# -- answering -----------------------------------------------------------------------
def raw_answer(conv: Conversation, q: Question, event: Event) -> tuple[str, Any] | None:
    """What the event says about question ``q``: ("answer", raw) | ("toggle", option) | ("stale", None)."""
    if event.kind == "text":
        return "answer", event.text or ""
    if event.kind != "choice":
        return None
    parsed = buttons.question_button(buttons.pressed(event))
    if parsed is None or parsed.checkin:
        return None
    kind, option = parsed.kind, parsed.option
    if parsed.question != q.id:
        return "stale", None
    if kind == ANSWER:
        return "answer", option
    if kind == TOGGLE:
        return "toggle", option
    if kind == DONE:
        return "answer", list(started(conv).pending) if q.type in MULTI_TYPES else None
    return "answer", None  # SKIP: validate_answer accepts None only for optional questions


def toggle(pending: list[str], q: Question, option: str | None) -> list[str]:
    """Tick or untick; an exclusive choice ("none of these") clears the others and vice versa."""
    chosen = q.option(option or "")
    if option is None or chosen is None:
        return pending
    if option in pending:
        return [o for o in pending if o != option]
    if chosen.exclusive:
        return [option]
    kept = [o for o in pending if not _exclusive(q, o)]
    return [o for o in q.option_ids if o in kept or o == option]


def _exclusive(q: Question, option_id: str) -> bool:
    option = q.option(option_id)
    assert option is not None  # pending holds only the question's own options
    return option.exclusive


def error_text(conv: Conversation, q: Question, error: AnswerError) -> str:
    params = dict(error.params)
    params.setdefault("unit", conv.text_of(q.unit))
    option = q.option(params["option"]) if "option" in params else None
    if option:
        params["option"] = conv.text_of(option.text)
    return conv.t(error.key, **params)


async def on_interview(conv: Conversation, event: Event) -> None:
    st = started(conv)
    interview = conv.interview
    if st.current is None:
        finish(conv)
        return
    q = interview.questions[st.current]
    what = raw_answer(conv, q, event)
    if what is None:
        ask(
            conv,
            note=conv.t(
                "interview.not_photo" if event.kind == "photo" else "interview.use_buttons"
            ),
        )
        return
    kind, raw = what
    if kind == "stale":
        ask(conv, note=conv.t("interview.stale"))
        return
    if kind == "toggle":
        st.pending = toggle(st.pending, q, raw)
        ask(conv)
        conv.replies[-1].meta["update"] = True  # drivers may edit the previous message instead
        return
    try:
        value = validate_answer(q, raw)
    except AnswerError as error:
        ask(conv, note=error_text(conv, q, error))
        return
    record(conv, interview, q, value)


def record(conv: Conversation, interview: Interview, q: Question, value: Any) -> None:
    st = started(conv)
    st.answers[q.id] = value
    st.history.append(q.id)
    st.pending = []
    triage = judge(interview, st.answers)
    if triage.stops and triage.decided:
        refer(conv, interview, triage, origin="interview")
        return
    st.current = next_question(interview, st.answers, q.id)
    if st.current is None and triage.stops:  # nothing left to ask: the level stands
        refer(conv, interview, triage, origin="interview")
        return
    if st.current is None:
        finish(conv)
    else:
        ask(conv)


def refer(
    conv: Conversation,
    interview: Interview,
    triage: Triage,
    origin: str,
    urgency: str | None = None,
) -> None:
    """Stop self-care: keep the messages (both languages) so a restart or an edit cannot lose them.
    ``urgency`` (the check-in rule's) counts too: the most urgent of it and the triage's wins.
    Only the rules that stop self-care are quoted (advice means nothing without a program)."""
    rules = [r for r in rules_of(interview, triage) if r.advice is None]
    conv.data.referral = Referral(
        origin=origin,
        urgency=most_urgent([triage.level] + ([urgency] if urgency else [])),
        rules=[r.id for r in rules],
        facts=sorted({r.fact for r in rules if r.fact}),
        messages=[dict(r.message) for r in rules],
        at=conv.now.isoformat(timespec="seconds"),
    )
    if conv.data.reminders is not None:
        conv.data.reminders.active = False
    conv.data.reassessment = None
    conv.go("red_flag")


def finish(conv: Conversation) -> None:
    st = started(conv)
    interview = conv.interview
    result = derive(interview, st.answers)
    conv.data.result = result.to_dict()
    st.finished = conv.now.isoformat(timespec="seconds")
    advice = triage_advice(conv, interview, result.triage)
    if advice:
        conv.say(advice)
    conv.go("answered_all")


def triage_advice(conv: Conversation, interview: Interview, triage: Triage) -> str:
    """What the routine rules add (rheumatology, caution): their reasons and what to do."""
    if triage.stops or not triage.advice:
        return ""
    lines = [conv.t(f"triage.{kind}") for kind in triage.advice]
    lines += [conv.text_of(r.message) for r in rules_of(interview, triage) if r.advice]
    return "\n\n".join(lines)


def back_interview(conv: Conversation) -> bool | None:
    """One question back; None at the first question (the machine's back transition leaves the interview)."""
    st = started(conv)
    if not st.history:
        return None
    previous = st.history.pop()
    st.answers.pop(previous, None)
    st.current = previous
    st.pending = []
    conv.data.result = None
    if conv.step == "interview":
        ask(conv, note=conv.t("interview.went_back"))
    return True


def question_help(conv: Conversation) -> str | None:
    qid = conv.data.asked()
    if not qid:
        return None
    q = conv.interview.questions.get(qid)
    return conv.text_of(q.help) if q and q.help else None


# -- the referral (red flag) -------------------------------------------------------------
def prompt_referred(conv: Conversation) -> None:
    referral = conv.data.referral or Referral(origin="")
    urgency = referral.urgency or "routine"
    lines = [conv.t(f"referral.{urgency}")]
    lines += [conv.text_of(m) for m in referral.messages]
    lines.append(conv.t("referral.stop_exercises"))
    choices = []
    if referral.origin == "interview":
        lines.append(conv.t("referral.mistake"))
        choices.append(conv.button("referral.mistake_button", buttons.command("back")))
    conv.say(
        "\n\n".join(lines), choices=choices, expects="choice" if choices else None, urgency=urgency
    )


async def on_referred(conv: Conversation, event: Event) -> None:
    prompt_referred(conv)


def back_referred(conv: Conversation) -> bool:
    """Undo a mis-tapped red flag: back to the question that raised it (interview only)."""
    referral = conv.data.referral
    if referral is None or referral.origin != "interview" or not conv.can("back"):
        return False
    st = started(conv)
    previous = st.history.pop()
    st.answers.pop(previous, None)
    st.current = previous
    conv.data.referral = None
    conv.go("back")
    return True


FEATURE = Feature(
    "interview",
    steps=(
        Step("interview", prompt_interview, on_interview, back=back_interview),
        Step("referred", prompt_referred, on_referred, back=back_referred),
    ),
    texts=("interview", "answer", "referral", "triage"),
)
