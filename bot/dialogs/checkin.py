"""Check-in: pain today, exercises done, new warning signs asked again; the advice follows.

State: ``data["checkin"]`` while it runs ({pain, done, answers, current, pending});
``data["checkins"]`` keeps the finished ones ({at, pain, done, outcome}).
"""

from __future__ import annotations

from typing import Any

from backcare.interview import AnswerError, Interview, Question, is_shown, red_flags_now, validate_answer
from bot.dialogs.checkin_rule import evaluate_checkin
from bot.dialogs.conversation import Conversation
from bot.dialogs.events import Choice, Event
from bot.dialogs.interviewing import (
    DONE, TOGGLE, error_text, expects_of, parse_button, question_buttons, question_hint, refer, toggle,
)

PREFIX = "c"  # check-in answer buttons: "ca:<question>:<option>"
PAIN = Question(id="checkin_pain", type="scale", section="checkin", text={}, min=0, max=10, integer=True)
DONE_CHOICES = ("all", "some", "none")
KEEP_CHECKINS = 100


def state(conv: Conversation) -> dict:
    return conv.data.setdefault("checkin", {"pain": None, "done": None, "answers": {}, "current": None,
                                            "pending": []})


def interview_of(conv: Conversation) -> Interview:
    registry = conv.dialogs.interviews
    return registry.get((conv.data.get("interview") or {}).get("digest")) or registry.current


# -- pain ---------------------------------------------------------------------------------
def start_checkin(conv: Conversation) -> None:
    conv.data.pop("checkin", None)
    conv.go("check_in")


def prompt_pain(conv: Conversation, note: str | None = None) -> None:
    state(conv)
    buttons = [Choice(str(n), f"ck:pain:{n}") for n in range(11)]
    text = conv.t("checkin.pain")
    conv.say(f"{note}\n\n{text}" if note else text, choices=buttons, expects="number")


async def on_pain(conv: Conversation, event: Event) -> None:
    raw = event.data[8:] if event.kind == "choice" and (event.data or "").startswith("ck:pain:") else event.text
    try:
        pain = validate_answer(PAIN, raw)
    except AnswerError as error:
        prompt_pain(conv, note=error_text(conv, PAIN, error))
        return
    state(conv)["pain"] = pain
    conv.go("pain_rated")


# -- exercises done ----------------------------------------------------------------------
def prompt_done(conv: Conversation) -> None:
    conv.say(conv.t("checkin.done"),
             choices=[conv.button(f"checkin.done_{d}", f"ck:done:{d}") for d in DONE_CHOICES]
             + [conv.button("common.back", "cmd:back")],
             expects="choice")


async def on_done(conv: Conversation, event: Event) -> None:
    value = (event.data or "")[8:] if event.kind == "choice" and (event.data or "").startswith("ck:done:") else None
    if value not in DONE_CHOICES:
        prompt_done(conv)
        return
    state(conv)["done"] = value
    conv.go("exercise_reported")


# -- new warning signs ----------------------------------------------------------------------
def prompt_gate(conv: Conversation) -> None:
    conv.say(conv.t("checkin.signs"),
             choices=[conv.button("common.yes_button", "ck:signs:yes"), conv.button("common.no_button", "ck:signs:no"),
                      conv.button("common.back", "cmd:back")],
             expects="choice")


async def on_gate(conv: Conversation, event: Event) -> None:
    if event.kind == "choice" and event.data == "ck:signs:no":
        complete(conv)
    elif event.kind == "choice" and event.data == "ck:signs:yes":
        st = state(conv)
        st["answers"], st["pending"] = {}, []
        st["current"] = next_recheck(conv, None)
        if st["current"] is None:
            complete(conv)
        else:
            conv.go("new_signs")
    else:
        prompt_gate(conv)


def merged_answers(conv: Conversation, interview: Interview) -> dict[str, Any]:
    """The interview's answers with the rechecked questions replaced by today's answers."""
    old = dict((conv.data.get("interview") or {}).get("answers") or {})
    for qid, q in interview.questions.items():
        if q.recheck:
            old.pop(qid, None)
    old.update(state(conv)["answers"])
    return old


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
    q = interview_of(conv).questions[st["current"]]
    lines = ([note] if note else []) + [conv.text_of(q.text)]
    hint = question_hint(conv, q)
    if hint:
        lines.append(hint)
    conv.say("\n\n".join(lines), choices=question_buttons(conv, q, PREFIX, st["pending"]),
             expects=expects_of(q), multi=q.type in ("multiple", "body_map"), question=q.id)


async def on_flags(conv: Conversation, event: Event) -> None:
    st = state(conv)
    interview = interview_of(conv)
    q = interview.questions[st["current"]]
    raw: Any
    if event.kind == "text":
        raw = event.text
    else:
        parsed = parse_button(event.data[1:] if (event.data or "").startswith(PREFIX) else None)
        if parsed is None or parsed[1] != q.id:
            prompt_flags(conv, note=conv.t("interview.use_buttons"))
            return
        kind, _, option = parsed
        if kind == TOGGLE:
            st["pending"] = toggle(st["pending"], q, option)
            prompt_flags(conv)
            conv.replies[-1].meta["update"] = True
            return
        raw = list(st["pending"]) if kind == DONE else option
    try:
        value = validate_answer(q, raw)
    except AnswerError as error:
        prompt_flags(conv, note=error_text(conv, q, error))
        return
    st["answers"][q.id] = value
    st["pending"] = []
    fired = red_flags_now(interview, merged_answers(conv, interview))
    if fired:
        finish_record(conv, outcome="red_flag")
        refer(conv, fired, origin="checkin")
        return
    st["current"] = next_recheck(conv, q.id)
    if st["current"] is None:
        conv.say(conv.t("checkin.no_new_flags"))
        complete(conv)
    else:
        prompt_flags(conv)


# -- the outcome ----------------------------------------------------------------------------
def baseline(conv: Conversation) -> float | None:
    for source in (conv.data.get("report") or {}, conv.data.get("result") or {}):
        pain = (source.get("scores") or {}).get("pain")
        if pain is not None:
            return float(pain)
    return None


def finish_record(conv: Conversation, outcome: str) -> None:
    st = conv.data.pop("checkin", None) or {}
    history = conv.data.setdefault("checkins", [])
    history.append({"at": conv.now.isoformat(timespec="seconds"), "pain": st.get("pain"), "done": st.get("done"),
                    "outcome": outcome})
    del history[:-KEEP_CHECKINS]


def complete(conv: Conversation) -> None:
    st = state(conv)
    outcome = evaluate_checkin(st["pain"], baseline(conv), conv.data.get("checkins", []), st["done"])
    finish_record(conv, outcome.kind)
    conv.say(conv.t(f"checkin.outcome.{outcome.kind}", pain=st["pain"]))
    conv.go("checked_in")


def back_flags(conv: Conversation) -> bool | None:
    """One warning-sign question back; from the first, the machine goes back to the yes/no question."""
    st = state(conv)
    asked = list(st["answers"])
    if not asked:
        return None
    previous = asked[-1]
    st["answers"].pop(previous)
    st["current"], st["pending"] = previous, []
    prompt_flags(conv)
    return True
