"""Issue 16: the annotated pictures were labelled in English only, and their numbers were
rounded apart from the report's. Labels come in the patient's language and the numbers
go through backcare.kernel.units, as in the report."""

from __future__ import annotations

import numpy as np
import pytest

from backcare.kernel.languages import LANGUAGES
from backcare.kernel.units import number
from backcare.kernel.yamlfile import DataFileError, load
from backcare.vision import annotate
from backcare.vision.labels import labels, parse
from backcare.vision.types import Measurement


@pytest.mark.parametrize(
    "name, value, unit, en, ja",
    [
        ("hip_flexion", 64.6, "deg", "Hip +65°", "股関節 +65°"),
        ("lateral_bend", -14.4, "deg", "Side bend -14°", "側屈 -14°"),
        ("sway", 3.46, "%", "Pelvis", None),
        ("reach", 0.055, "ratio", "Reach 0.06", "指先と床 0.06"),
    ],
)
def test_a_label_names_the_measurement_in_the_language_and_rounds_as_the_report(
    name, value, unit, en, ja
):
    m = Measurement(name, value, unit, 0.9, "test")
    shown = number(value, unit, signed=unit != "ratio")
    assert annotate.label_text(name, m, "en").endswith(shown)
    if name != "sway":
        assert annotate.label_text(name, m, "en") == en
        assert annotate.label_text(name, m, "ja") == ja
    assert annotate.label_text(name, m, "xx") == annotate.label_text(name, m, "en")


def test_every_labelled_measurement_has_a_name_in_every_language():
    labelled = {name for labels in annotate._LABELS.values() for name, _ in labels}
    for name in labelled:
        assert set(labels().texts.every(f"names.{name}")) == set(LANGUAGES), name


def test_a_label_file_lacking_a_language_or_a_word_names_the_file_line_and_field(tmp_path):
    broken = tmp_path / "labels.yaml"
    broken.write_text(
        "names:\n  hip_flexion: {en: Hip}\n"
        "header:\n  view: {en: '{kind}', ja: '{kind}の'}\n"
        "words:\n  side: {en: Side, ja: Side}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as e:
        parse(load(broken), str(broken), ["side", "front"])
    text = str(e.value)
    assert f"{broken}:2: names.hip_flexion.ja: missing" in text
    assert "header.facing: missing" in text and "header.pose: missing" in text
    assert "words.side.ja: missing translation" in text  # an English copy is no Japanese
    assert "words.front: missing" in text


def test_japanese_text_is_drawn_where_hershey_cannot():
    img = np.zeros((80, 400, 3), np.uint8)
    w, h, _ = annotate._text_size("股関節 +65°", 0, 1.0, 2)
    assert w > 0 and h > 0
    annotate._draw_text(img, "股関節 +65°", (10, 50), 0, 1.0, 2)
    ink = img.max(axis=2) > 128
    assert ink.any()
    cols = np.where(ink.any(axis=0))[0]
    assert cols.min() >= 8 and cols.max() <= 10 + w + 2  # within the measured box
