"""Texts in every language, one mechanism for every catalogue (a YAML file of them).

A catalogue maps dotted keys (``consent.agree``: the path through the file's nested
mappings) to a leaf: a mapping of language -> template, one per language of the table
(backcare/kernel/languages.yaml; a ``note`` beside them is for translators). Loading refuses,
naming the file, line and field: a missing language, an empty text, a text with letters
but none of its language's script (an untranslated copy), placeholders that differ
between languages or from what the code fills in, a key the code needs that is missing,
and, in a closed catalogue, a key nobody uses.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backcare.kernel.languages import DEFAULT, LANGUAGES, from_client, language
from backcare.kernel.yamlfile import Checker

NOTE = "note"  # beside the languages: a word for translators, never shown


def placeholders(template: str) -> set[str]:
    """The names a template fills in ("{sets} x {reps}" -> {"sets", "reps"})."""
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


@dataclass(frozen=True)
class Catalogue:
    table: dict[str, dict[str, str]]  # key -> language -> template

    def get(self, key: str, language: str | None, /, **values: Any) -> str:
        """The text in ``language`` (a code or a client tag such as "ja-JP"; else the
        default language), filled in."""
        return self.template(key, language).format(**values)

    def every(self, key: str, /, **values: Any) -> dict[str, str]:
        """The text in every language, filled in."""
        return {lang: text.format(**values) for lang, text in self.table[key].items()}

    def has(self, key: str) -> bool:
        return key in self.table

    def template(self, key: str, language: str | None) -> str:
        """The text unfilled (for a caller that fills it in pieces)."""
        entry = self.table[key]
        return entry[language if language in entry else (from_client(language) or DEFAULT)]

    def group(self, prefix: str) -> list[dict[str, str]]:
        """The texts directly under ``prefix``, in file order."""
        head = prefix + "."
        return [
            text
            for key, text in self.table.items()
            if key.startswith(head) and "." not in key[len(head) :]
        ]


def parse_catalogue(
    data: Any,
    filename: str,
    *,
    required: Iterable[str] = (),
    fills: Mapping[str, frozenset[str]] | None = None,
    closed: bool = False,
) -> Catalogue:
    """A catalogue from a loaded YAML file. ``required``: keys the code needs; ``fills``:
    key -> the placeholders the code can fill in (a text may use some of them); every
    text's placeholders are the same in every language; ``closed``: refuse keys outside
    ``required``."""
    check = Checker(filename)
    table: dict[str, dict[str, str]] = {}
    present: set[str] = set()  # leaves found, complete or not (each problem named once)
    groups: dict[str, Any] = {}  # path -> its mapping (a missing key is shown at its group)
    fills = fills or {}
    needed = list(required)

    def walk(node: Any, path: str) -> None:
        groups[path] = node
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
            if closed and sub not in needed and not any(k.startswith(sub + ".") for k in needed):
                check.problem(node, key, sub, "unknown text key (a typo?)")
            elif isinstance(child, dict):
                walk(child, sub)
            else:
                check.problem(node, key, sub, f"expected a text in every language ({_codes()})")

    def leaf(node: dict, path: str) -> None:
        present.add(path)
        entry = check_text(check, node, path, allowed=fills.get(path), blank=True)
        if entry is not None:
            table[path] = entry

    walk(data, "")
    for key in needed:
        if key not in present:
            parents = [key.rsplit(".", n)[0] for n in range(1, key.count(".") + 1)]
            group = next((groups[p] for p in parents if p in groups), data)
            check.problem(group, None, key, "missing text (the code needs it)")
    check.raise_if_any()
    return Catalogue(table)


def check_text(
    check: Checker,
    node: dict,
    path: str,
    *,
    allowed: frozenset[str] | None = None,
    exact: frozenset[str] | None = None,
    others: Iterable[str] = (),
    blank: bool = False,
    script: bool = True,
) -> dict[str, str] | None:
    """One text in every language, as every catalogue and every data file's text leaf is
    checked (the one rule for them all): each language of the table present and non-empty,
    well-formed braces, letters in the language's script, and placeholders equal in every
    language (and within ``allowed``, what the code can fill), or exactly ``exact``. Keys
    in ``others`` may stand beside the languages (a data file's own fields); ``blank``
    admits a text of spaces (a joiner); ``script=False`` admits symbols every language
    writes alike (units: "cm", "kg"). Each problem goes to ``check`` with its line;
    the result is None when there was one."""
    entry: dict[str, str] = {}
    for extra in set(node) - set(LANGUAGES) - {NOTE} - set(others):
        check.problem(node, extra, f"{path}.{extra}", f"unknown language (expected {_codes()})")
    for lang in LANGUAGES:
        text = node.get(lang)
        if lang not in node:
            check.problem(node, None, f"{path}.{lang}", "missing translation")
        elif not isinstance(text, str) or not (text if blank else text.strip()):
            check.problem(node, lang, f"{path}.{lang}", "expected a non-empty text")
        elif not _well_formed(text):
            check.problem(
                node, lang, f"{path}.{lang}", "malformed braces (write {{ and }} for literal ones)"
            )
        elif script and not _in_script(text, lang):
            check.problem(
                node,
                lang,
                f"{path}.{lang}",
                f"missing translation (nothing in the script of {lang})",
            )
        else:
            entry[lang] = text
    if len(entry) != len(LANGUAGES):
        return None
    names = {lang: placeholders(t) for lang, t in entry.items()}
    ok = True
    for lang, found in names.items():
        if exact is not None and found != exact:
            missing = ", ".join(sorted(exact - found)) or "-"
            extra = ", ".join(sorted(found - exact)) or "-"
            problem = f"placeholders differ: missing {{{missing}}}, unexpected {{{extra}}}"
        elif allowed is not None and found - allowed:
            extra, fine = ", ".join(sorted(found - allowed)), ", ".join(sorted(allowed))
            problem = f"unknown placeholder {extra}; " + (
                f"allowed here: {fine}" if fine else "none allowed here"
            )
        elif exact is None and found != names[DEFAULT]:
            problem = (
                f"placeholders differ: {sorted(found)}, {DEFAULT} has {sorted(names[DEFAULT])}"
            )
        else:
            continue
        check.problem(node, lang, f"{path}.{lang}", problem)
        ok = False
    return entry if ok else None


def is_text(value: Any) -> bool:
    """A mapping keyed by languages only (a text leaf of a data file)."""
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= set(LANGUAGES) | {NOTE}
        and any(lang in value for lang in LANGUAGES)
    )


def need_text(
    check: Checker,
    container: Any,
    key: Any,
    field: str,
    expected: frozenset[str] | None = frozenset(),
    required: bool = True,
) -> dict[str, str] | None:
    """``container[key]``, a data file's text leaf, checked by ``check_text``; ``expected``:
    exactly the placeholders the code fills in (None: any, equal in every language)."""
    path = f"{field}.{key}" if field else str(key)
    value = check.need(container, key, field, dict, required=required)
    if value is None:
        return None
    return check_text(check, value, path, exact=expected)


def _codes() -> str:
    return ", ".join(LANGUAGES)


def _well_formed(text: str) -> bool:
    try:
        placeholders(text)
    except ValueError:
        return False
    return True


def _in_script(text: str, lang: str) -> bool:
    """A text with letters has some in its language's script (placeholders aside)."""
    bare = "".join(literal for literal, _, _, _ in string.Formatter().parse(text))
    if not any(c.isalpha() for c in bare):
        return True
    return language(lang).written_in(bare)
