"""A language added later brings its texts in one file (backcare/kernel/locale/<code>.yaml):
they go into the leaves of each file as it loads, and each loader checks them as its own."""

from __future__ import annotations

import pytest

from backcare.kernel.catalogue import parse_catalogue
from backcare.kernel.paths import PACKAGE
from backcare.kernel.translations import file_id, translate
from backcare.kernel.yamlfile import DataFileError, loads

FILE = """
consent:
  agree: {en: "I agree"}
days: {count: n, en: {one: "{n} day", other: "{n} days"}}
steps:
  - {id: a, en: "Stand"}
  - {id: b}
  - {id: c, en: "Bend"}
"""
JA = """
texts.yaml:
  consent:
    agree: "同意する"
  days: {other: "{n}日"}
  steps: ["立つ", null, "曲げる"]
"""


def language_file(text: str, code: str = "ja"):
    return [(code, "locale/ja.yaml", loads(text, "locale/ja.yaml"))]


def test_the_language_file_puts_its_texts_into_the_leaves():
    data = translate(loads(FILE, "texts.yaml"), "texts.yaml", language_file(JA))
    assert data["consent"]["agree"] == {"en": "I agree", "ja": "同意する"}
    assert data["days"]["ja"] == {"other": "{n}日"}
    assert [s.get("ja") for s in data["steps"]] == ["立つ", None, "曲げる"]
    texts = parse_catalogue({"consent": data["consent"], "days": data["days"]}, "texts.yaml")
    assert texts.get("consent.agree", "ja") == "同意する"
    assert texts.get("days", "ja", n=1) == "1日" and texts.get("days", "en", n=1) == "1 day"


def test_a_text_the_file_does_not_have_is_refused_at_the_language_files_line():
    stray = JA.replace('    agree: "同意する"\n', '    agree: "同意する"\n    refuse: "拒否"\n')
    with pytest.raises(DataFileError) as e:
        translate(loads(FILE, "texts.yaml"), "texts.yaml", language_file(stray))
    assert "locale/ja.yaml:5: texts.yaml.consent.refuse: no such text in the file" in str(e.value)


def test_a_text_left_out_of_the_language_file_is_missing_where_the_file_has_it():
    partial = JA.replace('    agree: "同意する"\n', "    {}\n").replace("  consent:\n    {}\n", "")
    data = translate(loads(FILE, "texts.yaml"), "texts.yaml", language_file(partial))
    with pytest.raises(DataFileError) as e:
        parse_catalogue({"consent": data["consent"]}, "texts.yaml")
    assert "texts.yaml:3: consent.agree.ja: missing translation" in str(e.value)


def test_files_are_named_by_their_path_inside_the_package():
    assert file_id(PACKAGE / "bot" / "dialogs" / "texts.yaml") == "bot/dialogs/texts.yaml"
    assert file_id("/srv/admin/interview.yaml") == "interview.yaml"  # an admin's own file
