"""Every triage rule of interview.yaml, through the dialogs: the ones that stop self-care stop it
with at least their urgency, never before every more severe flag was asked; the advice rules
keep self-care and say why.

The answers that trigger a rule are worked out from the rule's own condition,
so a rule an admin adds is tested without touching this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.texts import default_texts
from backcare.interview import load_interview
from backcare.interview.conditions import AllOf, AnyOf, AtLeast, Compare, Condition, evaluate
from backcare.interview.scoring import compute_scores
from backcare.kernel.vocabulary import STOPS, URGENCIES, vocabulary

INTERVIEW = load_interview(Path(__file__).resolve().parents[3] / "interview.yaml")
RULES = {rule.id: rule for rule in INTERVIEW.red_flags}
STOPPING = sorted(r.id for r in INTERVIEW.red_flags if r.urgency in STOPS)
ADVISING = sorted(r.id for r in INTERVIEW.red_flags if r.advice)


def witness(cond: Condition | None) -> dict:
    """Answers that make ``cond`` true (and show the questions it needs)."""
    if cond is None:
        return {}
    if isinstance(cond, (AllOf, AtLeast)):
        parts = cond.parts if isinstance(cond, AllOf) else cond.parts[: cond.count]
        out: dict = {}
        for part in parts:
            out.update(witness(part))
        return out
    if isinstance(cond, AnyOf):
        return witness(cond.parts[0])
    assert isinstance(cond, Compare) and cond.kind == "q", f"extend witness() for {cond!r}"
    v, op = cond.value, cond.op
    if op in ("==", ">=", "<="):
        value = v
    elif op == "!=" and isinstance(v, bool):
        value = not v
    elif op in ("in", "contains_any"):
        value = v[0] if op == "in" else [v[0]]
    elif op == "contains":
        value = [v]
    elif op in (">", "<"):
        value = v + 1 if op == ">" else v - 1
    else:
        raise AssertionError(f"extend witness() for {cond!r}")
    q = INTERVIEW.questions[cond.ref]
    if q.type in ("number", "scale") and q.integer:
        value = int(value)
    return {**witness(q.when), cond.ref: value}


def rank(level: str) -> int:
    return URGENCIES.index(level)


EMERGENCY_WORDS = {"en": "emergency department", "ja": "救急外来"}


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("rule_id", STOPPING)
async def test_each_stopping_rule_refers_with_at_least_its_urgency_after_every_severer_question(
    new_chat, healthy, services, rule_id, language
):
    rule = RULES[rule_id]
    answers = {**healthy, **witness(rule.when)}
    chat = new_chat(language=language)
    await chat.consent()
    await chat.answer_all(INTERVIEW, answers)

    assert chat.step == "referred"
    referral = chat.state.referral
    level = referral.urgency
    # at least the rule's urgency; the interview may stop at an equally urgent flag first
    assert rank(level) <= rank(rule.urgency)
    assert all(rank(RULES[r].urgency) <= rank(rule.urgency) for r in referral.rules[:1])
    assert services.photo_calls == [] and chat.state.photos is None
    # a milder flag never hides a severer one: every rule more urgent than the outcome
    # was ruled out by the answers given before the interview stopped
    given = chat.state.interview.answers
    for other in INTERVIEW.red_flags:
        if rank(other.urgency) < rank(level):
            assert evaluate(other.when, given, compute_scores(INTERVIEW, given)) is False, (
                f"{other.id} was not ruled out; asked: {sorted(given)}"
            )

    # a clear, kind message: the urgency's instruction and the rule's own reason
    text = chat.text
    texts = default_texts()
    assert texts.get(f"referral.{level}", language) in text
    assert all(RULES[r].message[language] in text for r in referral.rules)
    assert referral.rules and texts.get("referral.stop_exercises", language) in text
    assert chat.replies[-1].meta["urgency"] == level
    assert (EMERGENCY_WORDS[language] in text) == (level == "emergency")

    # anything else the user sends gets the same advice; the program never starts
    await chat.type("can I do the exercises anyway?")
    assert chat.step == "referred" and texts.get(f"referral.{level}", language) in chat.text
    assert await chat.timer("reminder") == []


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("rule_id", ADVISING)
async def test_each_advice_rule_keeps_self_care_and_says_why(new_chat, healthy, rule_id, language):
    rule = RULES[rule_id]
    answers = {**healthy, **witness(rule.when)}
    chat = new_chat(language=language)
    await chat.consent()
    await chat.answer_all(INTERVIEW, answers)

    assert chat.step == "photos" and chat.state.referral is None
    transcript = "\n".join(r.text for r in chat.replies)
    assert default_texts().get(f"triage.{rule.advice}", language) in transcript
    assert rule.message[language] in transcript
    assert chat.state.result["triage"]["advice"] == [rule.advice]


def test_every_red_flag_fact_of_the_vocabulary_has_a_tested_rule():
    assert {r.fact for r in RULES.values() if r.fact} == set(vocabulary().red_flags())


async def test_a_mistaken_red_flag_answer_can_be_taken_back(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "saddle": True})
    assert chat.step == "referred" and "I answered by mistake" in chat.replies[-1].choices[0].label
    await chat.press(buttons.command("back"))
    assert chat.step == "interview" and chat.current == "saddle"
    assert "saddle" not in chat.state.interview.answers and chat.state.referral is None
    await chat.answer(INTERVIEW, False)
    assert chat.current == "bladder_bowel"


async def test_a_red_flag_in_the_results_of_the_reasoning_is_a_referral_too(
    chat, healthy, services
):
    services.referral = "urgent"
    await chat.consent()
    await chat.answer_all(INTERVIEW, healthy)
    await chat.all_photos()
    assert chat.step == "results"
    assert "within the next 24 hours" in chat.text and "fever with back pain" in chat.text
    assert not any(r.links for r in chat.replies)  # no program
    assert chat.choices()[0] == buttons.command("restart")
