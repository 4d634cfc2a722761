"""The patient's sentences (``texts.yaml``): one per observation and rating, why
something was not assessed, and how it changed since last time.

Validated against the vocabulary's languages and against the thresholds (every
rating a rule can give needs a sentence; ``{side}`` only where the rule gives a side).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.assessment.thresholds import SIDES, Thresholds, thresholds
from backcare.assessment.types import DIRECTIONS
from backcare.assessment.values import REASONS
from backcare.languages import DEFAULT, LANGUAGES, language
from backcare.units import limit, plus_minus
from backcare.vocabulary import vocabulary
from backcare.yamlfile import Checker, load

PATH = Path(__file__).with_name("texts.yaml")

Text = dict[str, str]  # language -> sentence


@dataclass(frozen=True)
class Texts:
    words: dict[str, Text]
    observations: dict[str, dict[str, Text]]
    not_assessed: dict[str, Text]
    changes: dict[str, Text]
    borderline: dict[str, Text] | None = (
        None  # leaning -> sentence with {what} {value} {low} {high}
    )

    def rating(self, name: str, rating: str, side: str | None = None) -> Text:
        """The sentence for an observation's rating, with the side filled in."""
        return {
            lang: text.format(side=self.words.get(side, {}).get(lang, "") if side else "")
            for lang, text in self.observations[name][rating].items()
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
        table = self.borderline or {}
        out = {}
        for lang, text in table.get(leaning, table.get("excessive", {})).items():
            words = language(lang).sentence_case(what.get(lang, what.get(DEFAULT, name)))
            out[lang] = text.format(
                what=words,
                value=plus_minus(value, uncertainty, unit),
                low=limit(normal_range[0], unit),
                high=limit(normal_range[1], unit),
            )
        return out

    def missing(self, reason: str) -> Text:
        return dict(self.not_assessed[reason])

    def change(self, direction: str, what: Text) -> Text:
        out = {}
        for lang, text in self.changes[direction].items():
            words = language(lang).sentence_case(what.get(lang, what.get(DEFAULT, "")))
            out[lang] = text.format(what=words)
        return out


def _fields(text: str) -> set[str] | None:
    """Placeholder names in a format string, or None if the braces are malformed."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        return None


def _text(
    entry: Any, check: Checker, container: Any, key: Any, field: str, allowed: set[str]
) -> Text | None:
    if not isinstance(entry, dict):
        check.problem(container, key, field, "expected a mapping of language to text")
        return None
    out: Text = {}
    for lang in LANGUAGES:
        value = check.need(entry, lang, field, str)
        if value is None:
            continue
        if not value.strip():
            check.problem(entry, lang, f"{field}.{lang}", "empty text")
            continue
        names = _fields(value)
        if names is None:
            check.problem(
                entry,
                lang,
                f"{field}.{lang}",
                "malformed braces (write {{ and }} for literal ones)",
            )
        elif names - allowed:
            check.problem(
                entry,
                lang,
                f"{field}.{lang}",
                f"unknown placeholder {', '.join(sorted(names - allowed))}"
                + (
                    f"; allowed here: {', '.join(sorted(allowed))}"
                    if allowed
                    else "; none allowed here"
                ),
            )
        out[lang] = value
    for lang in entry:
        if lang not in LANGUAGES:
            check.problem(
                entry, lang, f"{field}.{lang}", f"unknown language; use {', '.join(LANGUAGES)}"
            )
    return out if len(out) == len(LANGUAGES) else None


def _section(
    data: Any, name: str, keys: tuple[str, ...], check: Checker, allowed: set[str]
) -> dict[str, Text]:
    raw = check.need(data, name, "", dict) or {}
    out: dict[str, Text] = {}
    for key in keys:
        if key not in raw:
            check.problem(raw, None, f"{name}.{key}", "missing")
    for key, entry in raw.items():
        if key not in keys:
            check.problem(raw, key, f"{name}.{key}", f"unknown; use {', '.join(keys)}")
            continue
        text = _text(entry, check, raw, key, f"{name}.{key}", allowed)
        if text is not None:
            out[key] = text
    return out


def parse(data: Any, filename: str, rules: Thresholds | None = None) -> Texts:
    rules = rules or thresholds()
    check = Checker(filename)
    words = _section(data, "words", SIDES, check, set())
    not_assessed = _section(data, "not_assessed", REASONS, check, set())
    changes = _section(data, "changes", DIRECTIONS, check, {"what"})
    borderline = _section(
        data, "borderline", ("insufficient", "excessive"), check, {"what", "value", "low", "high"}
    )
    raw = check.need(data, "observations", "", dict) or {}
    observations: dict[str, dict[str, Text]] = {}
    for name, rule in rules.rules.items():
        if name not in raw:
            check.problem(raw, None, f"observations.{name}", "missing")
            continue
        entry = raw[name]
        if not isinstance(entry, dict):
            check.problem(raw, name, f"observations.{name}", "expected a mapping of rating to text")
            continue
        allowed = {"side"} if rule.value.sides else set()
        texts: dict[str, Text] = {}
        for rating in rule.ratings():
            if rating not in entry:
                check.problem(
                    entry,
                    None,
                    f"observations.{name}.{rating}",
                    "missing (thresholds.yaml can give this rating)",
                )
        for rating, text in entry.items():
            field = f"observations.{name}.{rating}"
            if rating not in rule.ratings():
                check.problem(
                    entry,
                    rating,
                    field,
                    f"thresholds.yaml never rates this {rating!r} (it gives {', '.join(rule.ratings())})",
                )
                continue
            parsed = _text(text, check, entry, rating, field, allowed)
            if parsed is not None:
                texts[rating] = parsed
        observations[name] = texts
    for name in raw:
        if name not in rules.rules:
            check.problem(
                raw, name, f"observations.{name}", "not an observation of thresholds.yaml"
            )
    check.raise_if_any()
    return Texts(words, observations, not_assessed, changes, borderline)


def load_texts(path: str | Path = PATH, rules: Thresholds | None = None) -> Texts:
    """Read and validate a texts file. Raises DataFileError naming file, line, field."""
    return parse(load(path), str(path), rules)


@lru_cache(maxsize=1)
def texts() -> Texts:
    """The project's texts, loaded once."""
    return load_texts()
