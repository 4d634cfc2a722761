"""interview.yaml is validated on load; a broken file names the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.interview import load_interview, loads_interview
from backcare.interview.model import QUESTION_TYPES
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.vocabulary import URGENCIES, vocabulary
from backcare.kernel.yamlfile import DataFileError


def line_of_snippet(text: str, snippet: str) -> int:
    return text.count("\n", 0, text.index(snippet)) + 1


def problems_of(text: str) -> list:
    with pytest.raises(DataFileError) as caught:
        loads_interview(text, "interview.yaml")
    return caught.value.problems


def test_the_shipped_interview_loads_with_a_version(interview):
    assert interview.version
    assert len(interview.digest) == 16
    assert {q.type for q in interview.questions.values()} == set(QUESTION_TYPES)


def test_every_vocabulary_fact_is_derived_or_marked_not_asked(interview):
    covered = (
        set(interview.facts)
        | {r.fact for r in interview.red_flags if r.fact}
        | set(interview.not_asked)
    )
    assert covered == set(vocabulary().facts)


def test_every_red_flag_fact_has_a_rule_at_its_vocabulary_urgency_and_none_milder(
    interview,
) -> None:
    alone = vocabulary().red_flags()
    by_fact: dict[str, set[str]] = {}
    for rule in interview.red_flags:
        if rule.fact:
            by_fact.setdefault(rule.fact, set()).add(rule.urgency)
    assert set(by_fact) == set(alone)
    for fact, urgencies in by_fact.items():
        assert alone[fact] in urgencies
        assert all(URGENCIES.index(u) <= URGENCIES.index(alone[fact]) for u in urgencies)


def test_every_triage_rule_names_its_source(interview):
    assert all(len(r.source) > 10 and "20" in r.source for r in interview.red_flags)


def test_every_text_is_in_every_language(interview):
    texts = [interview.title]
    for section in interview.sections:
        texts += [section.title] + ([section.intro] if section.intro else [])
    for q in interview.questions.values():
        texts += [q.text] + [o.text for o in q.options] + ([q.help] if q.help else [])
    texts += [r.message for r in interview.red_flags]
    assert all(set(t) == set(LANGUAGES) and all(t.values()) for t in texts)


def test_the_same_content_has_the_same_digest(interview_text):
    a = loads_interview(interview_text)
    b = loads_interview(interview_text + "\n# a comment\n")
    assert a.digest == loads_interview(interview_text).digest
    assert a.digest != b.digest


def test_a_missing_file_is_a_data_file_error(tmp_path: Path):
    with pytest.raises(DataFileError, match="file not found"):
        load_interview(tmp_path / "nope.yaml")


# Each broken variant: (old snippet, new snippet, the line to expect at the new
# snippet, a word of the message, the field it names).
BROKEN = {
    "yaml syntax": ("      - id: height\n", "      - id: height: [\n", "YAML syntax", ""),
    "unknown question type": (
        "      - id: saddle\n        type: yes_no",
        "      - id: saddle\n        type: yes_or_maybe",
        "unknown question type",
        "questions.saddle.type",
    ),
    "branch to a missing question": (
        "      - id: trauma\n        type: yes_no\n",
        '      - id: trauma\n        type: yes_no\n        next: [{when: {q: trauma, op: "==", value: false}, goto: fevr}]\n',
        "branch to unknown question 'fevr'",
        "questions.trauma.next[0].goto",
    ),
    "condition on a missing question": (
        'when: {q: weakness, op: "==", value: true}\n        text: {en: "Is this weakness',
        'when: {q: weaknes, op: "==", value: true}\n        text: {en: "Is this weakness',
        "unknown question 'weaknes'",
        "questions.weakness_worse.when.q",
    ),
    "a cycle": (
        "      - id: fever\n        type: yes_no\n",
        '      - id: fever\n        type: yes_no\n        next: [{when: {q: fever, op: "==", value: false}, goto: saddle}]\n',
        "makes a cycle",
        "questions.fever.next[0].goto",
    ),
    "a condition on a later answer": (
        'when: {q: weakness, op: "==", value: true}\n        text: {en: "Is this weakness',
        'when: {q: cancer, op: "==", value: true}\n        text: {en: "Is this weakness',
        "asked after",
        "questions.weakness_worse.when.q",
    ),
    "a missing translation": (
        'text: {en: "How tall are you?", ja: "身長を教えてください。"}',
        'text: {en: "How tall are you?"}',
        "missing translation",
        "questions.height.text.ja",
    ),
    "a red-flag rule with an unknown urgency": (
        "    fact: red_flag_fever\n    urgency: urgent",
        "    fact: red_flag_fever\n    urgency: soonish",
        "unknown urgency",
        "red_flags.fever.urgency",
    ),
    "a red-flag rule on a fact that is no red flag": (
        "    fact: red_flag_fever\n",
        "    fact: smoker\n",
        "not a red-flag fact",
        "red_flags.fever.fact",
    ),
    "a red-flag rule with another urgency than the vocabulary": (
        "    fact: red_flag_trauma\n    urgency: urgent",
        "    fact: red_flag_trauma\n    urgency: routine",
        "vocabulary.yaml",
        "red_flags.trauma.urgency",
    ),
    "a routine rule with unknown advice": (
        "    urgency: routine\n    advice: caution\n",
        "    urgency: routine\n    advice: carefully\n",
        "unknown advice",
        "red_flags.age_onset.advice",
    ),
    "a red-flag rule without its source": (
        '    source: "Downie A et al. BMJ 2013;347:f7095 (a history',
        '    sources: "Downie A et al. BMJ 2013;347:f7095 (a history',
        "unknown field",
        "red_flags.cancer.sources",
    ),
    "a criteria count larger than its criteria": (
        "        - at_least: 4\n",
        "        - at_least: 6\n",
        "from 1 to 5",
        "red_flags.inflammatory_asas.when.all[1].at_least",
    ),
    "a red-flag rule with a bad condition": (
        'when: {q: steroids, op: "==", value: true}',
        'when: {q: steroids, op: ">", value: 3}',
        "does not apply to a yes_no question",
        "red_flags.steroids.when.op",
    ),
    "a fact not in the vocabulary": (
        "  smoker: {when:",
        "  smokes_a_lot: {when:",
        "not in backcare/kernel/vocabulary.yaml",
        "facts.smokes_a_lot",
    ),
    "an option that does not exist": (
        '{q: smoking, op: "==", value: current}',
        '{q: smoking, op: "==", value: daily}',
        "is not a choice of smoking",
        "facts.smoker.when.value",
    ),
    "an unknown field": (
        "        max_length: 500\n",
        "        max_lenght: 500\n",
        "unknown field",
        "questions.notes.max_lenght",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_names_the_line_and_the_field(interview_text, case):
    old, new, message, field = BROKEN[case]
    assert old in interview_text, "the shipped interview changed: update the test's snippet"
    text = interview_text.replace(old, new, 1)
    # the line of the changed part: the first line where old and new differ
    start = interview_text.index(old)
    differ = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    expected_line = text.count("\n", 0, start + differ) + 1
    problems = problems_of(text)
    matching = [p for p in problems if message in p.message]
    assert matching, f"no problem says {message!r}: {[str(p) for p in problems]}"
    assert matching[0].line == expected_line, str(matching[0])
    assert matching[0].field == field
    assert matching[0].file == "interview.yaml"


def test_a_fact_neither_derived_nor_marked_is_refused(interview_text):
    text = interview_text.replace(
        '  smoker: {when: {q: smoking, op: "==", value: current}}\n', "", 1
    )
    problems = problems_of(text)
    assert any(p.field == "facts.smoker" and "not derived" in p.message for p in problems)


def test_a_fact_may_be_marked_not_asked(interview_text):
    text = interview_text.replace(
        '  smoker: {when: {q: smoking, op: "==", value: current}}',
        '  smoker: {not_asked: "asked by the GP form instead"}',
        1,
    )
    assert loads_interview(text).not_asked == {"smoker": "asked by the GP form instead"}


def test_all_problems_are_reported_at_once(interview_text):
    text = interview_text.replace(
        "    fact: red_flag_fever\n    urgency: urgent",
        "    fact: red_flag_fever\n    urgency: soonish",
        1,
    ).replace(
        'text: {en: "How tall are you?", ja: "身長を教えてください。"}',
        'text: {en: "How tall are you?"}',
        1,
    )
    messages = " | ".join(p.message for p in problems_of(text))
    assert "unknown urgency" in messages and "missing translation" in messages
