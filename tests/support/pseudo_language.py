"""A generated pseudo-language ("xx"): a copy of the product whose every catalogue gains an
``xx`` text made from the default language's by turning each ASCII letter into its
full-width twin ("Hip" -> "Ｈｉｐ"; punctuation and digits too), placeholders, tags and
links left as they are.

Run the copy and read what it says: a run of ASCII letters in its output is a string that
did not come from a catalogue (English left in the code), and adding the language needed
nothing but catalogue entries and one entry in backcare/kernel/languages.yaml (issue 15).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from backcare.kernel.languages import LANGUAGES

CODE = "xx"
REPO = Path(__file__).resolve().parents[2]
# what stays as written inside a text: placeholders, HTML tags, links, entities
_KEEP = re.compile(r"\{[^{}]*\}|<[^<>]*>|https?://\S+|&\w+;")


def pseudo(text: str) -> str:
    """``text`` with every printable ASCII character outside placeholders, tags and links
    full-width."""
    out, last = [], 0
    for m in _KEEP.finditer(text):
        out.append(_wide(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_wide(text[last:]))
    return "".join(out)


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _add(node: Any, default: str) -> Any:
    """Every text leaf ({default: ..., other languages}) gains the pseudo text."""
    if isinstance(node, dict):
        out = {k: _add(v, default) for k, v in node.items()}
        if isinstance(node.get(default), str) and any(k != default for k in node):
            out[CODE] = pseudo(node[default])
        elif isinstance(node.get(default), dict) and "count" in node:  # one text per plural form
            out[CODE] = _deep(node[default])
        return out
    if isinstance(node, list):
        return [_add(v, default) for v in node]
    return node


def _deep(node: Any) -> Any:
    """A whole language-first table in pseudo text."""
    if isinstance(node, dict):
        return {k: _deep(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_deep(v) for v in node]
    return pseudo(node) if isinstance(node, str) else node


def build(into: Path) -> Path:
    """A copy of the product under ``into`` with the pseudo-language added; returns the
    folder to put on PYTHONPATH (it holds the ``backcare`` package)."""
    package = into / "backcare"
    shutil.copytree(
        REPO / "backcare",
        package,
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    table = package / "kernel" / "languages.yaml"
    default = yaml.safe_load(table.read_text(encoding="utf-8"))
    first = next(iter(default["languages"]))
    for path in sorted(package.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path == table:
            data["languages"][CODE] = {
                "name": pseudo("Pseudo"),
                "client_prefixes": [CODE],
                "sentence_joiner": " ",
                "capitalise": False,
                "script": "[\uff01-\uff5e]",
                "cjk_font": True,
                "zones": ["UTC"],
                # a CLDR locale whose dates have no Latin letters ("2025/06/02"), so a date
                # written by the default language's rules would show up in the scan
                "locale": "ja",
            }
        elif isinstance(data, dict) and set(LANGUAGES) <= set(data):
            data[CODE] = _deep(data[first])  # language-first (the report's texts)
        else:
            data = _add(data, first)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return into
