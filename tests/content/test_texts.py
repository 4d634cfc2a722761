"""Patient-facing texts: every text the code uses is there in every language, with the
placeholders the code fills in; mistakes name the file, line and field."""

from __future__ import annotations

import pytest

from backcare.content.texts import PATH, SPEC, default_texts, load_texts
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.vocabulary import vocabulary
from backcare.kernel.yamlfile import DataFileError

TEXT = PATH.read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    return text.count("\n", 0, text.index(fragment)) + 1


def problems(tmp_path, text):
    path = tmp_path / "texts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_texts(path)
    return info.value.problems


def test_shipped_texts_cover_every_key_and_cause_in_both_languages():
    texts = default_texts()
    for key in SPEC:
        assert set(texts.table[key]) == set(LANGUAGES)
    for cause in vocabulary().causes:
        assert texts.get(f"program.cause_labels.{cause}", "ja")


def test_text_falls_back_to_english_for_an_unsupported_language():
    texts = default_texts()
    assert texts.get("checkin.worse_again", "fr") == texts.get("checkin.worse_again", "en")


def test_missing_translation(tmp_path):
    text = TEXT.replace(
        'title:     {en: "Your progress", ja: "経過"}', 'title:     {en: "Your progress"}'
    )
    [p] = problems(tmp_path, text)
    assert (p.field, p.message) == ("progress.chart.title.ja", "missing translation")
    assert p.line == line_of(text, 'title:     {en: "Your progress"}')


def test_placeholder_typo_in_one_language(tmp_path):
    text = TEXT.replace(
        "（10段階で{before}→{now}）。このまま", "（10段階で{before}→{nwo}）。このまま"
    )
    [p] = problems(tmp_path, text)
    assert p.field == "checkin.better.ja"
    assert "missing {now}" in p.message and "unexpected {nwo}" in p.message
    assert p.line == line_of(text, "{nwo}")


def test_unknown_text_key_is_a_typo(tmp_path):
    text = TEXT.replace("  worse_again:", "  worse_agian:")
    found = {(p.field, p.message) for p in problems(tmp_path, text)}
    assert ("checkin.worse_agian", "unknown text (not used by the code: a typo?)") in found
    assert ("checkin.worse_again", "missing text") in found


def test_missing_cause_label(tmp_path):
    text = TEXT.replace("    deconditioning:        {en:", "    deconditioned:         {en:")
    found = {p.field for p in problems(tmp_path, text)}
    assert {"program.cause_labels.deconditioned", "program.cause_labels.deconditioning"} <= found
