"""Who a usual range holds for, as data: one canonical form (stored, report.json) that each
language writes in its own words (issue 15: the report translated the English wording with
regular expressions kept for Japanese only)."""

from __future__ import annotations

import pytest

from backcare.application.render import population_text, texts
from backcare.assessment.population import CANONICAL, TEMPLATES, Population
from backcare.assessment.rating import assess
from backcare.assessment.thresholds import thresholds
from backcare.assessment.types import Profile
from backcare.kernel.catalogue import placeholders
from backcare.kernel.languages import LANGUAGES
from tests.assessment.construct import measurements_for

PROFILES = [
    Profile(),
    Profile(age=25),
    Profile(age=45, sex="female"),
    Profile(age=75, sex="male"),
    Profile(sex="male"),
]


def _populations() -> set[str]:
    out = set()
    for rule in thresholds().rules.values():
        for profile in PROFILES:
            band = rule.band_for(profile)
            (obs,) = [
                o
                for o in assess(measurements_for(rule, (band.low + band.high) / 2), profile)
                if o.name == rule.name
            ]
            out.add(obs.population)
    return out


def test_every_population_the_ratings_give_reads_back_as_itself():
    seen = _populations()
    assert {"adults", "other adults"} & seen and any("not given" in p for p in seen)
    for text in seen:
        parsed = Population.parse(text)
        assert parsed is not None and str(parsed) == text, text


@pytest.mark.parametrize(
    "population, english, japanese",
    [
        (Population(sex="female", age=(40, 60)), "women, age 40-59", "女性、40〜59歳"),
        (Population(age=(70, None)), "age 70+", "70歳以上"),
        (Population(age=(None, 40)), "under 40", "40歳未満"),
        (Population(other=True), "other adults", "その他の成人"),
        (
            Population(unknown=("age", "sex")),
            "adults (age and sex not given)",
            "成人（年齢・性別の回答なし）",
        ),
        (Population(), "adults", "成人"),
    ],
)
def test_each_language_writes_the_population_in_its_own_words(population, english, japanese):
    assert str(population) == english
    assert population_text(english, "en") == english
    assert population_text(english, "ja") == japanese


def test_every_language_gives_every_template_with_its_placeholders():
    assert set(CANONICAL) == set(TEMPLATES)
    given = {key.split(".", 1)[1] for key in texts().table if key.startswith("population.")}
    assert given == set(TEMPLATES)
    for name, fields in TEMPLATES.items():
        for lang in LANGUAGES:
            assert placeholders(texts().template(f"population.{name}", lang)) == fields


def test_a_text_in_no_canonical_form_is_shown_as_it_is():
    assert Population.parse("people who row") is None
    assert population_text("people who row", "ja") == "people who row"
