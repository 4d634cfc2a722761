"""texts.yaml: every key the dialogs use, in every language, with matching placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backcare.bot.dialogs.texts import PATH, default_texts, parse_texts, placeholders, required_keys
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.yamlfile import DataFileError, loads

SOURCES = sorted(Path(PATH).parent.glob("*.py"))
LITERAL_KEY = re.compile(r"""(?:\.t|\.button|texts\.get)\(\s*"([a-z_]+(?:\.[a-z0-9_]+)+)\"""")


def test_the_shipped_texts_load():
    texts = default_texts()
    assert all(set(entry) == set(LANGUAGES) for entry in texts.table.values())


def test_every_literal_key_in_the_dialogs_exists():
    used = {
        key for path in SOURCES for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 80  # the pattern still finds the dialogs' keys
    assert sorted(k for k in used if not default_texts().has(k)) == []


def test_every_key_built_from_names_exists():
    assert [k for k in required_keys() if not default_texts().has(k)] == []


def test_placeholders_agree_between_languages():
    for key, entry in default_texts().table.items():
        assert len({frozenset(placeholders(t)) for t in entry.values()}) == 1, key


GOOD = """
greeting:
  hello: {en: "Hello {name}", ja: "こんにちは、{name}さん"}
"""


def test_a_missing_translation_names_the_line():
    text = GOOD + '  bye:\n    en: "Bye"\n'
    with pytest.raises(DataFileError) as caught:
        parse_texts(loads(text, "texts.yaml"), "texts.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.field, problem.message) == (
        5,
        "greeting.bye.ja",
        "missing translation",
    )


def test_different_placeholders_are_refused():
    text = GOOD.replace("{name}さん", "{user}さん")
    with pytest.raises(DataFileError, match="placeholders") as caught:
        parse_texts(loads(text, "texts.yaml"), "texts.yaml")
    assert caught.value.problems[0].line == 3


def test_a_required_key_missing_is_refused():
    with pytest.raises(DataFileError, match=r"greeting\.bye: missing text"):
        parse_texts(
            loads(GOOD, "texts.yaml"), "texts.yaml", required=["greeting.hello", "greeting.bye"]
        )


def test_an_unknown_language_is_refused():
    text = GOOD.replace(
        'ja: "こんにちは、{name}さん"', 'ja: "こんにちは、{name}さん", fr: "Salut {name}"'
    )
    with pytest.raises(DataFileError, match="unknown language"):
        parse_texts(loads(text, "texts.yaml"), "texts.yaml")


def test_one_of_something_reads_as_one():
    texts = default_texts()
    assert texts.get("results.dose_days", "en", days=1) == "1 day a week"
    assert texts.get("results.dose_days", "en", days=5) == "5 days a week"
    assert "(1 exercise)" in texts.get("results.program", "en", n=1)
    assert texts.get("results.dose_days", "ja", days=1) == "週1日"
