"""The words on the annotated pictures (``labels.yaml``), checked on load: every entry in
every language of the table (backcare/languages.yaml), the same placeholders in each."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.languages import DEFAULT, LANGUAGES, language
from backcare.vision.types import Movement, ViewKind
from backcare.yamlfile import Checker, load

PATH = Path(__file__).with_name("labels.yaml")
HEADER = ("view", "facing", "pose")


@dataclass(frozen=True)
class Labels:
    names: dict[str, dict[str, str]]  # measurement -> language -> short name
    header: dict[str, dict[str, str]]  # view, facing, pose -> language -> template
    words: dict[str, dict[str, str]]  # view kind, side, movement -> language -> word

    def name(self, measurement: str, lang: str) -> str:
        return _pick(self.names.get(measurement), lang) or measurement

    def template(self, key: str, lang: str) -> str:
        return _pick(self.header[key], lang) or ""

    def word(self, key: str, lang: str) -> str:
        return _pick(self.words.get(key), lang) or key


def _pick(entry: dict[str, str] | None, lang: str) -> str | None:
    if not entry:
        return None
    return entry.get(lang) or entry.get(DEFAULT)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def parse(data: Any, filename: str, words: Iterable[str] = ()) -> Labels:
    check = Checker(filename)
    sections: dict[str, dict[str, dict[str, str]]] = {}
    for section in ("names", "header", "words"):
        entries = check.need(data, section, "", dict) or {}
        out: dict[str, dict[str, str]] = {}
        for key, entry in entries.items():
            field = f"{section}.{key}"
            if not isinstance(entry, dict):
                check.problem(entries, key, field, "expected a text in every language")
                continue
            for extra in set(entry) - set(LANGUAGES):
                check.problem(entry, extra, f"{field}.{extra}", f"unknown language {extra!r}")
            texts: dict[str, str] = {}
            for lang in LANGUAGES:
                text = check.need(entry, lang, field, str)
                if text is None:
                    continue
                bare = re.sub(r"{\w*}", "", text)  # a template of placeholders only is fine
                if not text.strip() or (bare.strip() and not language(lang).written_in(bare)):
                    check.problem(entry, lang, f"{field}.{lang}", "missing translation")
                texts[lang] = text
            if len({frozenset(_fields(t)) for t in texts.values()}) > 1:
                check.problem(entries, key, field, "placeholders differ between languages")
            out[key] = texts
        sections[section] = out
    for section, needed in (("header", HEADER), ("words", tuple(words))):
        where = data.get(section) if isinstance(data, dict) else data
        for key in needed:
            if key not in sections[section]:
                check.problem(where, None, f"{section}.{key}", "missing")
    check.raise_if_any()
    return Labels(**sections)


@lru_cache(maxsize=1)
def labels() -> Labels:
    needed = [*(v.value for v in ViewKind), *(m.value for m in Movement), "left", "right"]
    return parse(load(PATH), str(PATH), needed)
