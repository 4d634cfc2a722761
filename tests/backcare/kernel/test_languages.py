"""The table of languages: each language owns its rules, and no code names a language.

Issue 15: code tested for "en" and "ja" in a dozen places (joining sentences without
spaces, capitalising English only, the zones to propose, the fallback), so a third
language would have broken silently. Now the table (backcare/kernel/languages.yaml) holds
every language and its rules, and code asks the language."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from backcare.kernel.languages import DEFAULT, LANGUAGES, from_client, language, parse, supported
from backcare.kernel.yamlfile import DataFileError, loads

REPO = Path(__file__).resolve().parents[3]
# the production packages (backcare/ links the design's top-level folders in)
PACKAGES = ("backcare", "bot", "vision", "assessment", "reasoning", "content")


def test_the_default_language_is_the_first_and_an_unknown_one_falls_back_to_it():
    assert LANGUAGES[0] == DEFAULT
    assert supported("xx") == DEFAULT and supported(None) == DEFAULT
    assert all(supported(code) == code for code in LANGUAGES)


def test_a_client_tag_chooses_a_language_backcare_speaks_or_none():
    for code in LANGUAGES:
        for prefix in language(code).client_prefixes:
            assert from_client(f"{prefix.upper()}-XX") == code
    assert from_client("zz-ZZ") is None and from_client(None) is None


def test_each_language_joins_and_starts_sentences_by_its_own_rules():
    spaced = language("en")
    assert spaced.join(["One.", "", "Two."]) == "One. Two."
    assert spaced.sentence_case("lower back") == "Lower back"
    unspaced = language("ja")
    assert unspaced.join(["一。", "二。"]) == "一。二。"
    assert unspaced.sentence_case("abc") == "abc"
    assert unspaced.written_in("腰") and not unspaced.written_in("Low back")
    assert spaced.written_in("anything")


def test_a_broken_table_names_the_file_the_line_and_the_field():
    text = (
        "languages:\n"
        "  xx:\n"
        "    name: X\n"
        "    client_prefixes: [xx]\n"
        "    sentence_joiner: ' '\n"
        "    capitalise: maybe\n"
        "    script: '['\n"
        "    cjk_font: false\n"
        "    zones: [Nowhere/City]\n"
        "    colour: red\n"
        "    locale: xx_NOWHERE\n"
    )
    with pytest.raises(DataFileError) as e:
        parse(loads(text, "languages.yaml"), "languages.yaml")
    problems = str(e.value)
    assert "languages.yaml:6: languages.xx.capitalise: expected bool" in problems
    assert "languages.yaml:7: languages.xx.script: not a regular expression" in problems
    assert "languages.yaml:9: languages.xx.zones: unknown time zone 'Nowhere/City'" in problems
    assert "languages.yaml:10: languages.xx.colour: unknown field" in problems
    assert "languages.yaml:11: languages.xx.locale: unknown CLDR locale 'xx_NOWHERE'" in problems


def _code_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in LANGUAGES
    ]


def test_no_code_names_a_language_outside_the_catalogues_and_the_table():
    files = sorted(
        f
        for package in PACKAGES
        for f in (REPO / package).rglob("*.py")
        if not f.is_symlink() and ".venv" not in f.parts
    )
    assert len(files) > 100  # the scan sees the product
    found = [
        f"{f.relative_to(REPO)}:{line}: {value!r}"
        for f in files
        for line, value in _code_literals(f)
    ]
    assert found == []


def test_the_scan_finds_a_language_named_in_code(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(f"x = {{{DEFAULT!r}: 1}}\ny = {DEFAULT!r} if z else None\n")
    assert _code_literals(sample) == [(1, DEFAULT), (2, DEFAULT)]


def test_each_language_owns_its_plural_forms_and_how_it_writes_a_date():
    en, ja = language("en"), language("ja")
    assert en.plural_forms == {"one", "other"} and ja.plural_forms == {"other"}
    assert (en.plural(1), en.plural(2), en.plural(0)) == ("one", "other", "other")
    assert ja.plural(1) == "other"
    day = date(2026, 12, 5)
    assert en.date(day) == "Dec 5, 2026" and ja.date(day) == "2026/12/05"
    assert en.short_date(day) == "Dec 5" and ja.short_date(day) == "12月5日"


def test_each_language_writes_numbers_with_its_own_decimal_sign():
    en = language("en")
    assert en.decimal(3.5, 1) == "3.5" and en.decimal(15.0, 0) == "15"
    assert en.decimal(2.25, 2, signed=True) == "+2.25" and en.decimal(-2.0, 0) == "-2"
    german = replace(en, code="de", locale="de")  # a language whose decimal sign is a comma
    assert german.decimal(3.5, 1) == "3,5"
