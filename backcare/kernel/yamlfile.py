"""Strict YAML loading for the project's data files, with line numbers.

Every YAML file under version control (interview, knowledge base, thresholds,
exercise catalog, texts) goes through :func:`load`. It returns plain dicts and
lists that remember where each key and item stood, so validators can raise
:class:`DataFileError` naming the file, the line and the field.

It refuses what a hand-edited clinical file should never contain: duplicate
keys (the second silently wins in plain YAML), custom tags, and alias bombs
("billion laughs": aliases that expand to millions of nodes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Far more than any real file uses; an alias bomb needs thousands.
MAX_ALIASES = 100
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class DataFileError(ValueError):
    """A data file is unusable. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class YDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key: str) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


class YList(list):
    """A sequence that remembers the line of itself and of each item (1-based)."""

    line: int | None = None
    item_lines: list

    def line_of(self, index: int) -> int | None:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


def line_of(container: Any, key: Any = None) -> int | None:
    """The line of ``container[key]`` (or of the container) when known."""
    if key is not None and hasattr(container, "line_of"):
        return container.line_of(key)
    return getattr(container, "line", None)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that records lines, refuses duplicate keys, tags and alias bombs."""

    def __init__(self, stream: str, filename: str):
        super().__init__(stream)
        self.filename = filename
        self.alias_count = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise DataFileError(
                    [
                        Problem(
                            self.filename,
                            event.start_mark.line + 1,
                            "",
                            f"more than {MAX_ALIASES} YAML aliases: refused "
                            "(an alias bomb or a file that should not use aliases)",
                        )
                    ]
                )
        return super().compose_node(parent, index)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> YDict:
    loader.flatten_mapping(node)
    out = YDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise DataFileError(
                [
                    Problem(
                        loader.filename,
                        key_node.start_mark.line + 1,
                        "",
                        "a mapping key must be a plain value",
                    )
                ]
            ) from None
        if key in out:
            raise DataFileError(
                [
                    Problem(
                        loader.filename,
                        key_node.start_mark.line + 1,
                        str(key),
                        f"duplicate key (first at line {out.key_lines[key]})",
                    )
                ]
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> YList:
    out = YList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _refuse_tag(loader: _StrictLoader, suffix: str, node: yaml.Node) -> Any:
    raise DataFileError(
        [
            Problem(
                loader.filename,
                node.start_mark.line + 1,
                "",
                f"YAML tag {node.tag!r} is not allowed",
            )
        ]
    )


def _refuse_plain_tag(loader: _StrictLoader, node: yaml.Node) -> Any:
    return _refuse_tag(loader, "", node)


def _date_as_text(loader: _StrictLoader, node: yaml.Node) -> str:
    return loader.construct_yaml_str(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_StrictLoader.add_multi_constructor("!", _refuse_tag)
_StrictLoader.add_multi_constructor("tag:", _refuse_tag)
# Sets and ordered maps come from tag:yaml.org,2002: constructors we keep (plain types only);
# binary and timestamps would surprise a validator, so they are refused too.
for _tag in (
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
):
    _StrictLoader.add_constructor(_tag, _refuse_plain_tag)
# Dates stay strings: "2024-01-01" in a text field must not become a date object.
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


def loads(text: str, filename: str = "<string>") -> Any:
    """Parse YAML text strictly. Raises :class:`DataFileError` with the line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise DataFileError([Problem(filename, None, "", f"file larger than {MAX_BYTES} bytes")])
    try:
        # PyYAML's reader checks every character when the loader is built
        loader = _StrictLoader(text, filename)
    except yaml.reader.ReaderError as exc:
        raise DataFileError([_unacceptable_character(text, filename, exc)]) from None
    try:
        return loader.get_single_data()
    except yaml.reader.ReaderError as exc:
        raise DataFileError([_unacceptable_character(text, filename, exc)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise DataFileError([Problem(filename, line, "", f"YAML syntax: {message}")]) from None
    except yaml.YAMLError as exc:
        raise DataFileError([Problem(filename, None, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _unacceptable_character(text: str, filename: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (C0/C1 controls, DEL, U+FFFE...), with its line."""
    before = text[: max(0, exc.position)]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
    return Problem(
        filename,
        line,
        "",
        f"character U+{code:04X} at column {column}: special characters such as control codes "
        "are not allowed in YAML; delete it or write it as an escape in a quoted string",
    )


def read_text(path: str | Path) -> str:
    """A data file's text, or DataFileError naming it (missing, not UTF-8)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError([Problem(str(path), None, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise DataFileError(
            [Problem(str(path), None, "", f"not UTF-8 text ({exc.reason})")]
        ) from None


def load(path: str | Path) -> Any:
    """Read and parse a YAML file strictly (see :func:`loads`)."""
    return loads(read_text(path), str(path))


class Checker:
    """Collects problems while a validator walks a loaded file.

    Validators call :meth:`need`/:meth:`problem` for every check and
    :meth:`raise_if_any` at the end, so the admin sees all errors at once.
    """

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, container: Any, key: Any, field: str, message: str) -> None:
        self.problems.append(Problem(self.filename, line_of(container, key), field, message))

    def need(
        self,
        container: Any,
        key: str,
        field: str,
        kind: type | tuple[type, ...],
        required: bool = True,
    ) -> Any:
        """Return ``container[key]`` if present and of ``kind``; record a problem otherwise."""
        if not isinstance(container, dict):
            self.problem(container, None, field, "expected a mapping")
            return None
        if key not in container:
            if required:
                self.problem(container, None, f"{field}.{key}" if field else key, "missing")
            return None
        value = container[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            self.problem(
                container,
                key,
                f"{field}.{key}" if field else key,
                f"expected {names}, got {type(value).__name__}",
            )
            return None
        return value

    def raise_if_any(self) -> None:
        if self.problems:
            raise DataFileError(self.problems)
