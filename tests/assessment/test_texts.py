"""texts.yaml: a plain sentence for every rating the thresholds can give, in every
language, and refused with file, line and field when incomplete."""

from __future__ import annotations

import pytest

from backcare.assessment.texts import PATH, load_texts, texts
from backcare.assessment.thresholds import thresholds
from backcare.assessment.values import REASONS
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.yamlfile import DataFileError

TEXT = PATH.read_text(encoding="utf-8")


def test_every_rating_a_rule_can_give_has_one_plain_sentence_per_language():
    t = texts()
    for name, rule in thresholds().rules.items():
        given = {
            k.rsplit(".", 1)[1] for k in t.catalogue.table if k.startswith(f"observations.{name}.")
        }
        assert given == set(rule.ratings())
        for rating in rule.ratings():
            for lang in LANGUAGES:
                sentence = t.rating(name, rating, "left")[lang]
                assert sentence.strip() and "{" not in sentence
                if lang == "en":
                    assert sentence[0].isupper() and sentence.endswith(".")
                    assert len(sentence.split()) <= 20, "one plain sentence"
                    assert not any(ch.isdigit() for ch in sentence), "numbers are for the clinician"


def test_every_not_assessed_reason_has_a_sentence():
    for reason in REASONS:
        assert set(texts().missing(reason)) == set(LANGUAGES)


def test_a_change_sentence_names_the_observation_in_each_language():
    out = texts().change("better", {"en": "bending at the hips", "ja": "股関節の曲がり"})
    assert out["en"].startswith("Bending at the hips")
    assert out["ja"].startswith("股関節の曲がり")


def _refused(tmp_path, old, new):
    assert old in TEXT, old
    text = TEXT.replace(old, new, 1)
    path = tmp_path / "texts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_texts(path)
    return err.value.problems, text, str(path)


def test_a_missing_rating_sentence_is_refused_naming_the_observation(tmp_path):
    old = '    excessive:    {en: "You bent a lot from your hips.", ja: "前屈で股関節が大きく曲がっています。"}\n'
    problems, text, path = _refused(tmp_path, old, "")
    p = next(p for p in problems if p.field == "observations.forward_bend.hip_flexion.excessive")
    assert "missing" in p.message and p.file == path
    assert p.line == text[: text.index("  forward_bend.hip_flexion:")].count("\n") + 2


def test_a_missing_language_is_refused_with_its_line(tmp_path):
    old = '{en: "You bent little from your hips.", ja: "前屈で股関節があまり曲がっていません。"}'
    problems, text, _ = _refused(tmp_path, old, '{en: "You bent little from your hips."}')
    p = next(
        p for p in problems if p.field == "observations.forward_bend.hip_flexion.insufficient.ja"
    )
    assert p.line == text[: text.index('{en: "You bent little')].count("\n") + 1


def test_a_side_placeholder_where_the_rule_gives_no_side_is_refused(tmp_path):
    problems, _, _ = _refused(
        tmp_path, "You bent little from your hips.", "You bent little from your {side} hip."
    )
    assert any("unknown placeholder side" in p.message for p in problems)


def test_a_sentence_for_a_rating_the_rule_never_gives_is_refused(tmp_path):
    old = '    normal:       {en: "Your shoulders are level.", ja: "肩の高さはそろっています。"}\n'
    new = old + '    insufficient: {en: "Too level.", ja: "水平すぎます。"}\n'
    problems, _, _ = _refused(tmp_path, old, new)
    assert any(p.field == "observations.standing.shoulder_level.insufficient" for p in problems)


def test_malformed_braces_are_refused(tmp_path):
    problems, _, _ = _refused(tmp_path, "Your shoulders are level.", "Your shoulders are {level.")
    assert any("braces" in p.message for p in problems)
