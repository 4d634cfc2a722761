"""Every red-flag rule of interview.yaml stops self-care at once, with the right urgency and words.

The answers that trigger a rule are worked out from the rule's own condition,
so a rule an admin adds is tested without touching this file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.bot.dialogs.texts import default_texts
from backcare.interview import load_interview
from backcare.interview.conditions import AllOf, AnyOf, Compare, Condition
from backcare.vocabulary import vocabulary

INTERVIEW = load_interview(Path(__file__).resolve().parents[3] / "interview.yaml")
RULES = {rule.id: rule for rule in INTERVIEW.red_flags}


def witness(cond: Condition | None) -> dict:
    """Answers that make ``cond`` true (and show the questions it needs)."""
    if cond is None:
        return {}
    if isinstance(cond, AllOf):
        out: dict = {}
        for part in cond.parts:
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


EMERGENCY_WORDS = {"en": "emergency department", "ja": "救急外来"}


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("rule_id", sorted(RULES))
async def test_each_red_flag_rule_stops_self_care_with_its_urgency(
    new_chat, healthy, services, rule_id, language
):
    rule = RULES[rule_id]
    answers = {**healthy, **witness(rule.when)}
    chat = new_chat(language=language)
    await chat.consent()
    await chat.answer_all(INTERVIEW, answers)

    # stopped right at the question that raised it: nothing more is asked, no photos
    assert chat.step == "referred"
    referral = chat.state["referral"]
    assert referral["urgency"] == rule.urgency and rule_id in referral["rules"]
    assert referral["facts"] == [rule.fact]
    last = chat.state["interview"]["history"][-1]
    assert last in {c.ref for c in _compares(rule.when)}
    assert services.photo_calls == [] and "photos" not in chat.state

    # a clear, kind message: the urgency's instruction and the rule's own reason
    text = chat.text
    texts = default_texts()
    assert texts.get(f"referral.{rule.urgency}", language) in text
    assert rule.message[language] in text
    assert texts.get("referral.stop_exercises", language) in text
    assert chat.replies[-1].meta["urgency"] == rule.urgency
    if rule.urgency == "emergency":
        assert EMERGENCY_WORDS[language] in text
    else:
        assert EMERGENCY_WORDS[language] not in text

    # anything else the user sends gets the same advice; the program never starts
    await chat.type("can I do the exercises anyway?")
    assert chat.step == "referred" and rule.message[language] in chat.text
    assert await chat.timer("reminder") == []


def _compares(cond):
    if isinstance(cond, Compare):
        return [cond]
    parts = cond.parts if hasattr(cond, "parts") else [cond.part]
    return [c for p in parts for c in _compares(p)]


def test_every_red_flag_fact_of_the_vocabulary_has_a_tested_rule():
    assert {r.fact for r in RULES.values()} == set(vocabulary().red_flags())


async def test_a_mistaken_red_flag_answer_can_be_taken_back(chat, healthy):
    await chat.consent()
    await chat.answer_all(INTERVIEW, {**healthy, "saddle": True})
    assert chat.step == "referred" and "I answered by mistake" in chat.replies[-1].choices[0].label
    await chat.press("cmd:back")
    assert chat.step == "interview" and chat.current == "saddle"
    assert "saddle" not in chat.state["interview"]["answers"] and "referral" not in chat.state
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
    assert chat.replies[-1].choices[0].value == "cmd:restart"
