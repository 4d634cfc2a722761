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


def _mirror(node: Any, default: str) -> Any:
    """The pseudo texts of ``node`` in its own structure: a string where ``node`` has a text
    leaf, the plural forms where it has a counted one; None where it holds no text."""
    if isinstance(node, dict):
        if isinstance(node.get(default), str):
            return pseudo(node[default])
        if isinstance(node.get(default), dict) and "count" in node:
            return _deep(node[default])
        found = {k: m for k, v in node.items() if (m := _mirror(v, default)) is not None}
        return found or None
    if isinstance(node, list):
        items = [_mirror(v, default) for v in node]
        return items if any(i is not None for i in items) else None
    return None


def _deep(node: Any) -> Any:
    """A whole language-first table in pseudo text."""
    if isinstance(node, dict):
        return {k: _deep(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_deep(v) for v in node]
    return pseudo(node) if isinstance(node, str) else node


def build(into: Path) -> Path:
    """A copy of the product under ``into`` with the pseudo-language added as a language is
    added: its entry in backcare/kernel/languages.yaml and one file of its texts,
    backcare/kernel/locale/xx.yaml, and nothing else. Returns the folder to put on
    PYTHONPATH (it holds the ``backcare`` package)."""
    package = into / "backcare"
    shutil.copytree(
        REPO / "backcare",
        package,
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    table = package / "kernel" / "languages.yaml"
    first = next(iter(yaml.safe_load(table.read_text(encoding="utf-8"))["languages"]))
    texts = {}
    for path in sorted(package.rglob("*.yaml")):
        found = _mirror(yaml.safe_load(path.read_text(encoding="utf-8")), first)
        if found is not None and path != table:
            texts[path.relative_to(package).as_posix()] = found
    entry = {
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
    block = yaml.safe_dump({CODE: entry}, allow_unicode=True, sort_keys=False)
    with table.open("a", encoding="utf-8") as f:  # the table's last section is "languages"
        f.write("".join(f"  {line}\n" for line in block.splitlines()))
    locale = package / "kernel" / "locale"
    locale.mkdir(exist_ok=True)
    (locale / f"{CODE}.yaml").write_text(
        yaml.safe_dump(texts, allow_unicode=True, sort_keys=False), "utf-8"
    )
    return into
