"""Validation of the patient-facing texts in content YAML: every text in every language.

A text is a mapping ``{en: ..., ja: ...}``. A Japanese text with no kana or kanji is
taken as an untranslated copy. Placeholders (``{name}``) must be the same in every
language, and the ones the code fills in must all be there.
"""

from __future__ import annotations

from typing import Any

from backcare.kernel import catalogue
from backcare.kernel.languages import DEFAULT, LANGUAGES, language
from backcare.kernel.yamlfile import Checker


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` fields of a format string (``{{`` escapes are not fields); the one
    reading of placeholders (backcare.kernel.catalogue), malformed braces named as such."""
    try:
        return frozenset(catalogue.placeholders(text))
    except ValueError:
        return frozenset({"<malformed braces>"})


def is_text(value: Any) -> bool:
    """A mapping keyed by languages only (the leaves of a texts file)."""
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= set(LANGUAGES) | {"note"}
        and any(lang in value for lang in LANGUAGES)
    )


def need_text(
    check: Checker,
    container: Any,
    key: str,
    field: str,
    expected: frozenset[str] | None = frozenset(),
    required: bool = True,
) -> dict[str, str] | None:
    """``container[key]`` as ``{language: text}``, recording a problem for anything missing.

    expected: the placeholders the code fills in (None: any, but equal across languages).
    """
    value = check.need(container, key, field, dict, required=required)
    if value is None:
        return None
    return text_value(check, container, key, f"{field}.{key}" if field else key, expected)


def text_value(
    check: Checker,
    container: Any,
    key: Any,
    field: str,
    expected: frozenset[str] | None = frozenset(),
) -> dict[str, str] | None:
    value = container[key]
    if not isinstance(value, dict):
        check.problem(container, key, field, "expected a text in every language (en, ja)")
        return None
    out: dict[str, str] = {}
    ok = True
    for lang in LANGUAGES:
        text = value.get(lang)
        if lang not in value:
            check.problem(container, key, f"{field}.{lang}", "missing translation")
            ok = False
        elif not isinstance(text, str) or not text.strip():
            check.problem(value, lang, f"{field}.{lang}", "missing translation (empty)")
            ok = False
        elif not language(lang).written_in(text):
            check.problem(
                value,
                lang,
                f"{field}.{lang}",
                f"missing translation (nothing in the script of {lang})",
            )
            ok = False
        else:
            out[lang] = text
    for extra in set(value) - set(LANGUAGES) - {"note"}:
        check.problem(value, extra, f"{field}.{extra}", f"unknown language {extra!r}")
        ok = False
    if not ok:
        return None
    fields = {lang: placeholders(text) for lang, text in out.items()}
    reference = fields[DEFAULT] if expected is None else expected
    for lang, names in fields.items():
        if names != reference:
            missing = ", ".join(sorted(reference - names)) or "-"
            extra = ", ".join(sorted(names - reference)) or "-"
            check.problem(
                value,
                lang,
                f"{field}.{lang}",
                f"placeholders differ: missing {{{missing}}}, unexpected {{{extra}}}",
            )
            ok = False
    return out if ok else None
