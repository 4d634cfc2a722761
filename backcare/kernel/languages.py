"""The languages backcare speaks (``languages.yaml``) and the rules each one owns.

Callers never test for a language code: they ask the language how it joins sentences,
whether it capitalises, which script its texts are in, which zones to propose, which
plural form a number takes and how a date is written (the last two from CLDR, through
Babel, for the language's ``locale``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import NumberPattern, parse_pattern

from backcare.kernel.yamlfile import Checker, load

PATH = Path(__file__).with_name("languages.yaml")


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    client_prefixes: tuple[str, ...]
    sentence_joiner: str
    capitalise: bool
    script: re.Pattern[str] | None
    cjk_font: bool
    zones: tuple[str, ...]
    locale: str  # its CLDR locale (Babel): plural forms, dates, the decimal sign

    def join(self, sentences: Iterable[str]) -> str:
        """Sentences as one paragraph, as this language writes them."""
        return self.sentence_joiner.join(s for s in sentences if s)

    def sentence_case(self, text: str) -> str:
        """``text`` as the start of a sentence."""
        return text[:1].upper() + text[1:] if self.capitalise else text

    def written_in(self, text: str) -> bool:
        """Whether ``text`` can be this language's (its script appears in it)."""
        return self.script is None or bool(self.script.search(text))

    @property
    def plural_forms(self) -> frozenset[str]:
        """The CLDR plural categories this language tells apart ("other" always)."""
        return frozenset(_cldr(self.locale).plural_form.tags) | {"other"}

    def plural(self, count: float) -> str:
        """The plural category of ``count`` ("one" for 1 in English; "other" always in Japanese)."""
        return str(_cldr(self.locale).plural_form(count))

    def decimal(self, value: float, places: int, signed: bool = False) -> str:
        """A number already rounded to ``places`` decimals, with this language's decimal
        sign ("3.5"; German would write "3,5"), a "+" before a positive one if ``signed``."""
        return str(_pattern(places, signed).apply(value, _cldr(self.locale)))

    def date(self, day: dt.date) -> str:
        """A date as this language writes it in a sentence ("Dec 5, 2026", "2026/12/05")."""
        return str(format_date(day, "medium", locale=_cldr(self.locale)))

    def short_date(self, day: dt.date) -> str:
        """Month and day, for a chart's axis ("Dec 5", "12月5日")."""
        return str(format_skeleton("MMMd", day, locale=_cldr(self.locale)))


@cache
def _cldr(locale: str) -> Locale:
    return Locale.parse(locale)


@cache
def _pattern(places: int, signed: bool) -> NumberPattern:
    """The CLDR number pattern for ``places`` decimals, parsed once (Babel's
    format_decimal parses its pattern on every call: most of the time of a label on
    every annotated photo)."""
    digits = "0" + ("." + "0" * places if places else "")
    return parse_pattern(f"+{digits};-{digits}" if signed else digits)


def parse(data: Any, filename: str) -> dict[str, Language]:
    check = Checker(filename)
    entries = check.need(data, "languages", "", dict) or {}
    out: dict[str, Language] = {}
    for code, entry in entries.items():
        field = f"languages.{code}"
        if not isinstance(entry, dict):
            check.problem(entries, code, field, "expected a mapping")
            continue
        known = {
            "name",
            "client_prefixes",
            "sentence_joiner",
            "capitalise",
            "script",
            "cjk_font",
            "zones",
            "locale",
        }
        for extra in set(entry) - known:
            check.problem(entry, extra, f"{field}.{extra}", "unknown field")
        name = check.need(entry, "name", field, str)
        prefixes = check.need(entry, "client_prefixes", field, list) or []
        joiner = check.need(entry, "sentence_joiner", field, str)
        capitalise = check.need(entry, "capitalise", field, bool)
        script = check.need(entry, "script", field, str)
        cjk = check.need(entry, "cjk_font", field, bool)
        zones = check.need(entry, "zones", field, list) or []
        locale = check.need(entry, "locale", field, str)
        if locale is not None:
            try:
                _cldr(locale)
            except (UnknownLocaleError, ValueError):
                check.problem(entry, "locale", f"{field}.locale", f"unknown CLDR locale {locale!r}")
                locale = None
        pattern = None
        if script:
            try:
                pattern = re.compile(script)
            except re.error as e:
                check.problem(entry, "script", f"{field}.script", f"not a regular expression: {e}")
        for i, zone in enumerate(zones):
            try:
                ZoneInfo(str(zone))
            except (ZoneInfoNotFoundError, ValueError):
                check.problem(zones, i, f"{field}.zones", f"unknown time zone {zone!r}")
        if not zones:
            check.problem(entry, "zones", f"{field}.zones", "at least one time zone")
        if None in (name, joiner, capitalise, cjk, locale) or script is None:
            continue
        out[code] = Language(
            code=code,
            name=name,
            client_prefixes=tuple(str(p).lower() for p in prefixes),
            sentence_joiner=joiner,
            capitalise=capitalise,
            script=pattern,
            cjk_font=cjk,
            zones=tuple(str(z) for z in zones),
            locale=str(locale),
        )
    if not entries:
        check.problem(data, "languages", "languages", "at least one language")
    check.raise_if_any()
    return out


@lru_cache(maxsize=1)
def table() -> dict[str, Language]:
    """Every language, the default first."""
    return parse(load(PATH), str(PATH))


LANGUAGES: tuple[str, ...] = tuple(table())
DEFAULT: str = LANGUAGES[0]


def language(code: str | None) -> Language:
    """The language ``code`` names, or the default one."""
    langs = table()
    return langs.get(code or "", langs[DEFAULT])


def supported(code: str | None) -> str:
    """``code`` when backcare speaks it, else the default."""
    return language(code).code


def from_client(tag: str | None) -> str | None:
    """The language a client's setting (a tag such as "pt-BR") asks for, if backcare speaks it."""
    tag = (tag or "").lower()
    for lang in table().values():
        if any(tag.startswith(p) for p in lang.client_prefixes):
            return lang.code
    return None
