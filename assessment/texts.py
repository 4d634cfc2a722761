"""The patient's sentences (``texts.yaml``): one per observation and rating, why
something was not assessed, and how it changed since last time.

Validated against the vocabulary's languages and against the thresholds (every
rating a rule can give needs a sentence; ``{side}`` only where the rule gives a side).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.assessment.thresholds import SIDES, Thresholds, thresholds
from backcare.assessment.types import DIRECTIONS
from backcare.assessment.values import REASONS
from backcare.kernel.catalogue import Catalogue, parse_catalogue
from backcare.kernel.languages import DEFAULT, LANGUAGES, language
from backcare.kernel.translations import load_translated
from backcare.kernel.units import limit, plus_minus
from backcare.kernel.vocabulary import vocabulary

PATH = Path(__file__).with_name("texts.yaml")

Text = dict[str, str]  # language -> sentence


@dataclass(frozen=True)
class Texts:
    """The findings' catalogue (backcare/kernel/catalogue.py), and the sentences built from it."""

    catalogue: Catalogue

    def rating(self, name: str, rating: str, side: str | None = None) -> Text:
        """The sentence for an observation's rating, with the side filled in."""
        key = f"observations.{name}.{rating}"
        return {
            lang: self.catalogue.get(
                key, lang, side=self.catalogue.get(f"words.{side}", lang) if side else ""
            )
            for lang in LANGUAGES
        }

    def borderline_sentence(
        self,
        name: str,
        leaning: str,
        value: float,
        uncertainty: float,
        normal_range: tuple[float, float],
        unit: str,
    ) -> Text:
        """The sentence for a value whose interval crosses a limit, with the interval."""
        what = vocabulary().observations[name].text
        return {
            lang: self.catalogue.get(
                f"borderline.{leaning}",
                lang,
                what=language(lang).sentence_case(what.get(lang, what.get(DEFAULT, name))),
                value=plus_minus(value, uncertainty, unit, lang),
                low=limit(normal_range[0], unit, lang),
                high=limit(normal_range[1], unit, lang),
            )
            for lang in LANGUAGES
        }

    def missing(self, reason: str) -> Text:
        return self.catalogue.every(f"not_assessed.{reason}")

    def change(self, direction: str, what: Text) -> Text:
        return {
            lang: self.catalogue.get(
                f"changes.{direction}",
                lang,
                what=language(lang).sentence_case(what.get(lang, what.get(DEFAULT, ""))),
            )
            for lang in LANGUAGES
        }


def parse(data: Any, filename: str, rules: Thresholds | None = None) -> Texts:
    """The findings' texts: a sentence for every rating each rule of thresholds.yaml can
    give ({side} where the rule gives one), every reason not to rate, every change."""
    rules = rules or thresholds()
    fills: dict[str, frozenset[str]] = {}
    for group, names, fields in (
        ("words", SIDES, frozenset()),
        ("not_assessed", REASONS, frozenset()),
        ("changes", DIRECTIONS, frozenset({"what"})),
        ("borderline", ("insufficient", "excessive"), frozenset({"what", "value", "low", "high"})),
    ):
        fills.update({f"{group}.{n}": fields for n in names})
    for name, rule in rules.rules.items():
        fields = frozenset({"side"}) if rule.value.sides else frozenset()
        fills.update({f"observations.{name}.{r}": fields for r in rule.ratings()})
    return Texts(parse_catalogue(data, filename, required=fills, fills=fills, closed=True))


def load_texts(path: str | Path = PATH, rules: Thresholds | None = None) -> Texts:
    """Read and validate a texts file. Raises DataFileError naming file, line, field."""
    return parse(load_translated(path), str(path), rules)


@lru_cache(maxsize=1)
def texts() -> Texts:
    """The project's texts, loaded once."""
    return load_texts()
