"""One mechanism for every catalogue of texts (issue 15: five text systems, three classes
called Texts, each with its own API and checks)."""

from __future__ import annotations

import pytest

from backcare.kernel.catalogue import Catalogue, parse_catalogue
from backcare.kernel.yamlfile import DataFileError, loads

GOOD = """
consent:
  agree: {en: "I agree", ja: "同意する"}
  days: {en: "{n} days", ja: "{n}日", note: "n: a whole number"}
joiner: {en: " ", ja: "、"}
"""


def catalogue(text: str = GOOD, **options) -> Catalogue:
    return parse_catalogue(loads(text, "texts.yaml"), "texts.yaml", **options)


def problems(text: str, **options) -> list[str]:
    with pytest.raises(DataFileError) as e:
        catalogue(text, **options)
    return [str(p) for p in e.value.problems]


def test_texts_are_found_by_dotted_key_and_filled_in_the_language_asked():
    texts = catalogue()
    assert texts.get("consent.days", "ja", n=3) == "3日"
    assert texts.get("consent.days", "ja-JP", n=3) == "3日"  # a client's tag
    assert texts.get("consent.days", "de", n=3) == "3 days"  # the default language
    assert texts.every("consent.agree") == {"en": "I agree", "ja": "同意する"}
    assert texts.template("consent.days", "en") == "{n} days"
    assert texts.group("consent") == [texts.table["consent.agree"], texts.table["consent.days"]]
    assert texts.get("joiner", "en") == " "  # a lone space is a text


def test_every_mistake_is_named_with_its_file_line_and_field():
    found = problems(
        "a: {en: 'One'}\n"
        "b: {en: 'Two {n}', ja: '二 {m}'}\n"
        "c: {en: 'Three', ja: 'Three'}\n"
        "d: {en: 'Four', ja: '四', de: 'Vier'}\n"
        "e: {en: 'Five {', ja: '五'}\n",
        required=["a", "f"],
    )
    assert "texts.yaml:1: a.ja: missing translation" in found
    assert any(p.startswith("texts.yaml:2: b.ja: placeholders differ") for p in found)
    assert "texts.yaml:3: c.ja: missing translation (nothing in the script of ja)" in found
    assert any(p.startswith("texts.yaml:4: d.de: unknown language") for p in found)
    assert "texts.yaml:5: e.en: malformed braces (write {{ and }} for literal ones)" in found
    assert any(p.endswith("f: missing text (the code needs it)") for p in found)
    assert not any(p.endswith("a: missing text (the code needs it)") for p in found)


def test_the_code_says_which_placeholders_it_fills_and_a_closed_catalogue_refuses_strays():
    found = problems(GOOD, fills={"consent.days": frozenset({"count"})})
    assert "texts.yaml:4: consent.days.en: unknown placeholder n; allowed here: count" in found
    assert catalogue(fills={"consent.days": frozenset({"n", "unit"})}).has("consent.days")
    strays = problems(GOOD, required=["consent.agree", "consent.days"], closed=True)
    assert strays == ["texts.yaml:5: joiner: unknown text key (a typo?)"]


def test_every_catalogue_of_the_product_is_one_of_these():
    from backcare.application.render import texts as report
    from backcare.assessment.texts import texts as findings
    from backcare.bot.dialogs.texts import default_texts as dialogs
    from backcare.bot.texts import load_texts as adapter
    from backcare.content.texts import default_texts as program
    from backcare.vision.labels import labels as pictures

    for texts in (
        dialogs(),
        adapter(),
        program(),
        report(),
        pictures().texts,
        findings().catalogue,
    ):
        assert isinstance(texts, Catalogue) and len(texts.table) > 10


PLURAL = """
days:
  count: n
  en: {one: "{n} day a week", other: "{n} days a week"}
  ja: "週{n}日"
"""


def test_a_text_may_give_a_form_per_plural_category_and_its_count_picks_one():
    texts = catalogue(PLURAL)
    assert texts.get("days", "en", n=1) == "1 day a week"
    assert texts.get("days", "en", n=3) == "3 days a week"
    assert texts.get("days", "ja", n=1) == "週1日"  # Japanese has one form for every number
    assert texts.every("days", n=1) == {"en": "1 day a week", "ja": "週1日"}
    assert texts.get("days", "en", n="1") == "1 days a week"  # not a number: the other form


def test_a_plural_text_gives_every_form_its_language_tells_apart_and_counts_a_placeholder():
    missing = problems(PLURAL.replace('{one: "{n} day a week", other:', "{other:"))
    assert "texts.yaml:4: days.en.one: missing plural form" in missing
    stray = problems(PLURAL.replace("one:", "single:"))
    assert any("days.en.single: not a plural category" in p for p in stray)
    uncounted = problems(PLURAL.replace("count: n", "count: m"))
    assert "texts.yaml:3: days.count: must name a placeholder of the text" in uncounted
    extra = problems(PLURAL.replace('one: "{n} day a week"', 'one: "{n} day a week {x}"'))
    assert any("a plural form fills in what its other form does not" in p for p in extra)


def test_without_a_count_a_mapping_is_no_text():
    found = problems('days:\n  en: {one: "a day", other: "days"}\n  ja: "日"\n')
    assert any("days.en: expected a non-empty text" in p for p in found)
