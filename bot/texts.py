"""The adapter's own messages (file too large, erase, export, admin), per language.

Loaded from ``bot/locale/texts.yaml`` through the strict YAML loader: every key
must exist in every language with the same placeholders, or the bot refuses to start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from backcare.languages import DEFAULT, LANGUAGES, from_client
from backcare.yamlfile import Checker, load

PATH = Path(__file__).with_name("locale") / "texts.yaml"
REQUIRED = (
    "too_large",
    "not_an_image",
    "unsupported",
    "download_failed",
    "analysing",
    "analysing_album",
    "analysed",
    "analysed_album",
    "not_analysed",
    "delete_confirm",
    "delete_yes",
    "delete_no",
    "deleted",
    "delete_cancelled",
    "export_caption",
    "export_chart_caption",
    "button_expired",
    "error",
    "not_saved",
    "edit_applied",
    "edit_old",
    "picture_lost",
    "admin_reloaded",
    "admin_reload_failed",
    "admin_version",
    "admin_stats",
)
_PLACEHOLDER = re.compile(r"{(\w+)}")


def pick_language(*candidates: str | None) -> str:
    """The first supported language among ``candidates`` (client tags such as "pt-BR")."""
    for candidate in candidates:
        code = from_client(candidate)
        if code:
            return code
    return DEFAULT


@dataclass(frozen=True)
class Texts:
    table: dict[str, dict[str, str]]

    def get(self, key: str, language: str | None, **values: object) -> str:
        by_language = self.table[key]
        text = by_language.get(pick_language(language), by_language[DEFAULT])
        return text.format(**values)


def load_texts(path: Path = PATH) -> Texts:
    data = load(path)
    check = Checker(str(path))
    table: dict[str, dict[str, str]] = {}
    if not isinstance(data, dict):
        check.problem(data, None, "", "expected a mapping of text keys")
        check.raise_if_any()
    for key in REQUIRED:
        if key not in data:
            check.problem(data, None, key, "missing")
    for key, entry in data.items():
        if key not in REQUIRED:
            check.problem(data, key, key, "unknown text key (a typo?)")
            continue
        row = {}
        for language in LANGUAGES:
            text = check.need(entry, language, key, str)
            if text is not None:
                row[language] = text
        names = {lang: set(_PLACEHOLDER.findall(t)) for lang, t in row.items()}
        if len({frozenset(n) for n in names.values()}) > 1:
            check.problem(entry, None, key, f"placeholders differ between languages: {names}")
        table[key] = row
    check.raise_if_any()
    return Texts(table)
