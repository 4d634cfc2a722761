"""The adapter's own texts: complete in every language, mistakes named with file and line."""

from __future__ import annotations

import pytest

from backcare.bot.texts import PATH, REQUIRED, load_texts, pick_language
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.yamlfile import DataFileError


def test_every_text_exists_in_every_language():
    texts = load_texts()
    for key in REQUIRED:
        assert set(texts.table[key]) == set(LANGUAGES), key


def test_language_choice_falls_back_to_english():
    assert pick_language("ja-JP") == "ja"
    assert pick_language(None, "fr", "ja") == "ja"
    assert pick_language("xx", None) == "en"
    texts = load_texts()
    assert texts.get("analysing", "de") == texts.get("analysing", "en")


def test_placeholders_are_filled():
    assert "12.5 MB" in load_texts().get("too_large", "en", size="12.5", limit="10")


def write(tmp_path, body: str):
    path = tmp_path / "texts.yaml"
    original = PATH.read_text(encoding="utf-8")
    path.write_text(original + body, encoding="utf-8")
    return path


def test_a_missing_language_is_named_with_its_line(tmp_path):
    path = tmp_path / "texts.yaml"
    text = PATH.read_text(encoding="utf-8").replace('  ja: "写真を解析しています…"\n', "")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_texts(path)
    (problem,) = info.value.problems
    assert problem.field == "analysing.ja" and problem.line is not None


def test_placeholders_must_match_between_languages(tmp_path):
    path = tmp_path / "texts.yaml"
    text = PATH.read_text(encoding="utf-8").replace("{n} 枚目", "{m} 枚目")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="placeholders differ"):
        load_texts(path)


def test_unknown_keys_and_duplicates_are_refused(tmp_path):
    with pytest.raises(DataFileError, match="unknown text key"):
        load_texts(write(tmp_path, 'surplus:\n  en: "x"\n  ja: "x"\n'))
    with pytest.raises(DataFileError, match="duplicate key"):
        load_texts(write(tmp_path, 'error:\n  en: "x"\n  ja: "x"\n'))
