"""A language's texts in one file of its own: ``backcare/kernel/locale/<code>.yaml``.

The languages backcare has spoken from the start keep their texts beside each other in
every catalogue and data file. A language added later brings all of its texts in one
file instead (plus its line in languages.yaml): for each file with texts, keyed by the
file's path inside the package (``bot/dialogs/texts.yaml``, ``interview.yaml``), the
same structure as that file with the language's text where the others' leaf is (a text
that counts gives its plural forms). ``load_translated`` puts them into the file's
leaves as it loads it, so every loader checks them exactly as it checks its own: a
missing or untranslated text is named at the file's line. A text the language file
gives that the file does not have is refused at the language file's line.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.kernel.catalogue import COUNT, PLURAL_CATEGORIES
from backcare.kernel.languages import DEFAULT, LANGUAGES
from backcare.kernel.paths import PACKAGE
from backcare.kernel.yamlfile import Checker, load

LOCALE = Path(__file__).with_name("locale")
INTERVIEW = "interview.yaml"  # an admin's own interview file takes the shipped one's texts


def file_id(path: str | Path) -> str:
    """How language files name a data file: its path inside the package."""
    path = Path(path)
    try:
        return path.relative_to(PACKAGE).as_posix()
    except ValueError:
        return path.name


@lru_cache(maxsize=1)
def language_files() -> tuple[tuple[str, str, Any], ...]:
    """(code, file name, content) of every language of the table that has a file."""
    found = []
    for code in LANGUAGES:
        path = LOCALE / f"{code}.yaml"
        if path.is_file():
            found.append((code, str(path), load(path)))
    return tuple(found)


def load_translated(path: str | Path) -> Any:
    """A data file with texts, loaded, with the texts of the languages that have a file."""
    return translate(load(path), file_id(path))


def translate(data: Any, fid: str, files: Iterable[tuple[str, str, Any]] | None = None) -> Any:
    """``data`` (the loaded file ``fid``) with the language files' texts in its leaves
    (``files``: (code, file name, content), by default those of the table)."""
    for code, filename, content in language_files() if files is None else files:
        check = Checker(filename)
        section = content.get(fid) if isinstance(content, dict) else None
        if section is not None:
            _merge(data, section, code, check, fid)
        check.raise_if_any()
    return data


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get(DEFAULT), (str, dict))


def _merge(base: Any, over: Any, code: str, check: Checker, field: str) -> None:
    if _is_leaf(base) and (isinstance(over, str) or _forms(base, over)):
        base[code] = over
    elif isinstance(base, dict) and isinstance(over, dict):
        for key, value in over.items():
            if key in base and not (_is_leaf(base) and key in LANGUAGES):
                _merge(base[key], value, code, check, f"{field}.{key}")
            else:
                check.problem(over, key, f"{field}.{key}", "no such text in the file")
    elif isinstance(base, list) and isinstance(over, list):
        for i, value in enumerate(over):
            if i >= len(base):
                check.problem(over, i, f"{field}[{i}]", "no such text in the file")
            elif value is not None:  # an item without texts
                _merge(base[i], value, code, check, f"{field}[{i}]")
    else:
        check.problem(over, None, field, "does not match the file (a text, a mapping or a list)")


def _forms(base: dict, over: Any) -> bool:
    """A counted text's plural forms."""
    return COUNT in base and isinstance(over, dict) and set(over) <= set(PLURAL_CATEGORIES)
