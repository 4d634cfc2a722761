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
from dataclasses import dataclass, field
from typing import Any

from backcare.kernel.languages import DEFAULT, LANGUAGES, from_client, language
from backcare.kernel.yamlfile import Checker

NOTE = "note"  # beside the languages: a word for translators, never shown
COUNT = "count"  # beside the languages: the placeholder whose number picks a plural form
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's


@dataclass(frozen=True)
class Plural:
    count: str  # the placeholder that picks the form
    forms: dict[str, dict[str, str]]  # language -> CLDR category -> template


def placeholders(template: str) -> set[str]:
    """The names a template fills in ("{sets} x {reps}" -> {"sets", "reps"})."""
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


@dataclass(frozen=True)
class Catalogue:
    table: dict[str, dict[str, str]]  # key -> language -> template (its "other" form)
    plurals: dict[str, Plural] = field(default_factory=dict)  # key -> its plural forms

    def get(self, key: str, language: str | None, /, **values: Any) -> str:
        """The text in ``language`` (a code or a client tag such as "ja-JP"; else the
        default language), filled in; in the plural form its count takes."""
        return self._form(key, self._language(key, language), values).format(**values)

    def every(self, key: str, /, **values: Any) -> dict[str, str]:
        """The text in every language, filled in."""
        return {lang: self._form(key, lang, values).format(**values) for lang in self.table[key]}

    def _form(self, key: str, lang: str, values: Mapping[str, Any]) -> str:
        plural = self.plurals.get(key)
        if plural is not None and isinstance(values.get(plural.count), (int, float)):
            forms = plural.forms[lang]
            return forms.get(language(lang).plural(values[plural.count]), forms["other"])
        return self.table[key][lang]

    def has(self, key: str) -> bool:
        return key in self.table

    def template(self, key: str, language: str | None) -> str:
        """The text unfilled (for a caller that fills it in pieces)."""
        return self.table[key][self._language(key, language)]

    def _language(self, key: str, language: str | None) -> str:
        """The language of ``key`` to use: the one asked, a client tag's, else the default."""
        return language if language in self.table[key] else (from_client(language) or DEFAULT)

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
    plurals: dict[str, Plural] = {}
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
        entry = check_text(check, node, path, allowed=fills.get(path), blank=True, plurals=plurals)
        if entry is not None:
            table[path] = entry

    walk(data, "")
    for key in needed:
        if key not in present:
            parents = [key.rsplit(".", n)[0] for n in range(1, key.count(".") + 1)]
            group = next((groups[p] for p in parents if p in groups), data)
            check.problem(group, None, key, "missing text (the code needs it)")
    check.raise_if_any()
    return Catalogue(table, plurals)


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
    plurals: dict[str, Plural] | None = None,
) -> dict[str, str] | None:
    """One text in every language, as every catalogue and every data file's text leaf is
    checked (the one rule for them all): each language of the table present and non-empty,
    well-formed braces, letters in the language's script, and placeholders equal in every
    language (and within ``allowed``, what the code can fill), or exactly ``exact``. Keys
    in ``others`` may stand beside the languages (a data file's own fields); ``blank``
    admits a text of spaces (a joiner); ``script=False`` admits symbols every language
    writes alike (units: "cm", "kg"). Each problem goes to ``check`` with its line;
    the result is None when there was one.

    With ``plurals`` (catalogues), a leaf may name in ``count`` the placeholder whose
    number picks the form, and a language may then give one text per plural category
    of its CLDR locale (``{one: "{n} day", other: "{n} days"}``); the result holds the
    ``other`` forms and ``plurals[path]`` all of them."""
    entry: dict[str, str] = {}
    forms: dict[str, dict[str, str]] = {}
    counted = COUNT in node and plurals is not None
    for extra in (
        set(node) - set(LANGUAGES) - {NOTE} - set(others) - ({COUNT} if counted else set())
    ):
        check.problem(node, extra, f"{path}.{extra}", f"unknown language (expected {_codes()})")
    for lang in LANGUAGES:
        value = node.get(lang)
        if lang not in node:
            check.problem(node, None, f"{path}.{lang}", "missing translation")
        elif counted and isinstance(value, dict):
            need = language(lang).plural_forms
            for extra in set(value) - set(PLURAL_CATEGORIES):
                check.problem(value, extra, f"{path}.{lang}.{extra}", "not a plural category")
            for missing in sorted(need - set(value)):
                check.problem(value, None, f"{path}.{lang}.{missing}", "missing plural form")
            good = {
                c: t
                for c, t in value.items()
                if c in PLURAL_CATEGORIES
                and _one(check, value, c, f"{path}.{lang}.{c}", lang, t, blank, script)
            }
            if set(good) == set(value) and need <= set(value):
                forms[lang], entry[lang] = good, good["other"]
        elif _one(check, node, lang, f"{path}.{lang}", lang, value, blank, script):
            entry[lang] = str(value)
            forms[lang] = {"other": str(value)}
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
        elif any(placeholders(t) - found for t in forms[lang].values()):
            problem = "a plural form fills in what its other form does not"
        else:
            continue
        check.problem(node, lang, f"{path}.{lang}", problem)
        ok = False
    if counted and plurals is not None and ok:
        count = node[COUNT]
        if not isinstance(count, str) or count not in names[DEFAULT]:
            check.problem(node, COUNT, f"{path}.{COUNT}", "must name a placeholder of the text")
            return None
        plurals[path] = Plural(count, forms)
    return entry if ok else None


def _one(
    check: Checker,
    node: dict,
    key: str,
    field: str,
    lang: str,
    text: Any,
    blank: bool,
    script: bool,
) -> bool:
    """One language's text: a non-empty string, well-formed braces, its script."""
    if not isinstance(text, str) or not (text if blank else text.strip()):
        check.problem(node, key, field, "expected a non-empty text")
    elif not _well_formed(text):
        check.problem(node, key, field, "malformed braces (write {{ and }} for literal ones)")
    elif script and not _in_script(text, lang):
        check.problem(node, key, field, f"missing translation (nothing in the script of {lang})")
    else:
        return True
    return False


def is_text(value: Any) -> bool:
    """A mapping keyed by languages only (a text leaf of a data file; beside them a note,
    and the count that picks a plural form)."""
    return (
        isinstance(value, dict)
        and bool(value)
        and set(value) <= set(LANGUAGES) | {NOTE, COUNT}
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
