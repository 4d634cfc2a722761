"""The dialogs' words (bot/dialogs/texts.yaml): every key in every language, validated on load.

Keys are dotted paths into the YAML (``consent.agree``); a leaf is a mapping of
language -> text. Loading refuses a leaf missing a language, a placeholder that
differs between languages, and a missing key that the dialogs need (every
capture step's guidance, every photo refusal's advice, every answer error).
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.interview import ANSWER_ERRORS
from backcare.languages import DEFAULT, LANGUAGES
from backcare.vision.errors import Reason
from backcare.vision.types import Movement
from backcare.vocabulary import ADVICE, URGENCIES, vocabulary
from backcare.yamlfile import Checker, load

PATH = Path(__file__).with_name("texts.yaml")


def required_keys() -> list[str]:
    """Keys built at run time from names (the dialogs' literal keys are checked by the tests)."""
    keys = [f"photo.steps.{m}" for m in vocabulary().movements]
    keys += [f"photo.reasons.{r.value}" for r in Reason]
    keys += list(ANSWER_ERRORS)
    keys += [f"days.{d}" for d in range(7)]
    keys += [f"referral.{u}" for u in (*URGENCIES, "unexplained")]
    keys += [f"triage.{a}" for a in ADVICE]
    keys += [f"photo.movements.{m.value}" for m in Movement]
    keys += ["reminders.bad_time", "reminders.bad_zone", "common.error"]
    from backcare.bot.dialogs.flow import (
        STEPS,  # the flow imports the dialog modules, which never import texts
    )

    keys += [f"{group}.{step.name}" for step in STEPS for group in ("help", "status")]
    from backcare.bot.dialogs.commands import REGISTRY

    keys += [f"commands.{c.name}" for c in REGISTRY]  # the help text and Telegram's menu
    return keys


def placeholders(template: str) -> set[str]:
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


@dataclass(frozen=True)
class Texts:
    table: dict[str, dict[str, str]]  # key -> language -> template

    def get(self, key: str, language: str, /, **params: Any) -> str:
        entry = self.table[key]
        return entry[language if language in entry else DEFAULT].format(**params)

    def every(self, key: str) -> dict[str, str]:
        """The text in every language (e.g. a unit the patient may type in any of them)."""
        return dict(self.table[key])

    def has(self, key: str) -> bool:
        return key in self.table


def parse_texts(data: Any, filename: str, required: Iterable[str] = ()) -> Texts:
    check = Checker(filename)
    table: dict[str, dict[str, str]] = {}

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict) or not node:
            check.problem(node, None, path, "expected a mapping of keys or of languages")
            return
        if set(node) & set(LANGUAGES):
            leaf(node, path)
            return
        for key, child in node.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                check.problem(node, key, f"{path}.{key}", "keys are plain names")
                continue
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(child, dict):
                walk(child, sub)
            else:
                check.problem(node, key, sub, "expected a mapping of languages (en, ja)")

    def leaf(node: dict, path: str) -> None:
        entry: dict[str, str] = {}
        for lang in node:
            if lang not in LANGUAGES:
                check.problem(
                    node,
                    lang,
                    f"{path}.{lang}",
                    f"unknown language (expected {', '.join(LANGUAGES)})",
                )
        for lang in LANGUAGES:
            text = node.get(lang)
            if lang not in node:
                check.problem(node, None, f"{path}.{lang}", "missing translation")
            elif not isinstance(text, str) or not text.strip():
                check.problem(node, lang, f"{path}.{lang}", "expected a non-empty text")
            else:
                entry[lang] = text
        if len(entry) == len(LANGUAGES):
            names = {lang: placeholders(t) for lang, t in entry.items()}
            first = names[LANGUAGES[0]]
            for lang, found in names.items():
                if found != first:
                    check.problem(
                        node,
                        lang,
                        f"{path}.{lang}",
                        f"placeholders {sorted(found)} differ from {LANGUAGES[0]}'s {sorted(first)}",
                    )
            table[path] = entry

    walk(data, "")
    for key in required:
        if key not in table:
            check.problem(data, None, key, "missing text (the dialogs need it)")
    check.raise_if_any()
    return Texts(table)


def load_texts(path: str | Path = PATH) -> Texts:
    return parse_texts(load(path), str(path), required_keys())


@lru_cache(maxsize=1)
def default_texts() -> Texts:
    return load_texts(PATH)


__all__ = ["Texts", "default_texts", "load_texts", "parse_texts", "placeholders", "required_keys"]
