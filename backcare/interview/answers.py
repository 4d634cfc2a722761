"""Validating answers: one rule set for the chat and for answers files.

:func:`validate_answer` turns what a user typed or pressed (or what an answers
file holds) into the stored value, or raises :class:`AnswerError` with a
message key the dialogs translate (bot/dialogs/texts.yaml, ``answer.*``) and an
English message for the command line.

Stored values: single -> option id; multiple, body_map -> list of option ids
(in the question's order); number -> float (int when ``integer``); scale -> int;
yes_no -> bool; text -> str; a skipped optional question -> None.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from backcare.interview.model import CHOICE_TYPES, Interview, Question
from backcare.kernel.yamlfile import DataFileError, Problem, line_of, load

# key -> English message; the dialogs hold the same keys in every language.
ANSWER_ERRORS: dict[str, str] = {
    "answer.empty": "an answer is needed",
    "answer.not_an_option": "not one of the choices ({choices})",
    "answer.exclusive": "{option!r} cannot be combined with other choices",
    "answer.not_a_number": "not a number",
    "answer.whole_number": "a whole number is needed",
    "answer.out_of_range": "must be between {min} and {max}",
    "answer.yes_or_no": "answer yes or no",
    "answer.too_long": "too long: at most {max} characters (got {length})",
    "answer.control_characters": "contains control characters",
    "answer.wrong_type": "expected {expected}",
}

YES = {"yes", "y", "true", "1", "はい", "うん", "ええ"}
NO = {"no", "n", "false", "0", "いいえ", "いえ", "ううん"}
# Words people type after a number; the question's own unit is stripped too.
UNIT_WORDS = (
    "cm",
    "kg",
    "years",
    "year",
    "yrs",
    "y",
    "hours",
    "hour",
    "hrs",
    "h",
    "minutes",
    "min",
    "歳",
    "才",
    "時間",
    "分",
)
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


class AnswerError(ValueError):
    """An answer that cannot be used. ``key`` is a message key; ``params`` fill its placeholders."""

    def __init__(self, key: str, **params: Any):
        if key not in ANSWER_ERRORS:
            raise KeyError(f"unknown answer error {key!r}")
        self.key = key
        self.params = params
        super().__init__(ANSWER_ERRORS[key].format(**params))


class AnswersError(DataFileError):
    """An answers file with problems; each names the question id (and line, for YAML)."""


def fmt_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def validate_answer(question: Question, raw: Any) -> Any:
    """The stored value for ``raw``, or AnswerError. ``None``/"" skips an optional question."""
    if isinstance(raw, str):
        _refuse_controls(raw, allow_newlines=question.type == "text")
    if (
        raw is None
        or (isinstance(raw, str) and not raw.strip())
        or (isinstance(raw, (list, tuple)) and not raw)
    ):
        if question.required:
            raise AnswerError("answer.empty")
        return None
    kind = question.type
    if kind == "text":
        return _text(question, raw)
    if kind == "yes_no":
        return _yes_no(raw)
    if kind in ("number", "scale"):
        return _number(question, raw)
    if kind == "single":
        if isinstance(raw, (list, tuple)):
            raise AnswerError("answer.not_an_option", choices=", ".join(question.option_ids))
        return _option(question, raw)
    if kind in CHOICE_TYPES:
        return _options(question, raw)
    raise AnswerError("answer.wrong_type", expected=kind)


def _refuse_controls(raw: str, allow_newlines: bool) -> None:
    # A tab, and a line break (\n, or \r\n / \r from some keyboards and pasted text) in
    # free text, are whitespace, not control characters: _text normalises them.
    allowed = "\t\n\r" if allow_newlines else "\t"
    for ch in raw:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and ch not in allowed):
            raise AnswerError("answer.control_characters")


def _text(question: Question, raw: Any) -> str:
    if not isinstance(raw, str):
        raise AnswerError("answer.wrong_type", expected="text")
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = unicodedata.normalize("NFC", lines).strip()
    if question.max_length is not None and len(text) > question.max_length:
        raise AnswerError("answer.too_long", max=question.max_length, length=len(text))
    return text


def _yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = unicodedata.normalize("NFKC", raw).strip().casefold()
        if word in YES:
            return True
        if word in NO:
            return False
    raise AnswerError("answer.yes_or_no")


def parse_number(question: Question, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise AnswerError("answer.not_a_number")
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().casefold()
        units = [u.casefold() for u in (question.unit or {}).values()] + list(UNIT_WORDS)
        for unit in sorted(
            {unicodedata.normalize("NFKC", u) for u in units}, key=len, reverse=True
        ):
            if text.endswith(unit) and len(text) > len(unit):
                text = text[: -len(unit)].strip()
                break
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")  # thousands separators
        else:
            text = text.replace(",", ".")  # a decimal comma
        if not NUMBER_RE.match(text):
            raise AnswerError("answer.not_a_number")
        raw = float(text)
    value = float(raw)
    if not math.isfinite(value):
        raise AnswerError("answer.not_a_number")
    return value


def _number(question: Question, raw: Any) -> float | int:
    value = parse_number(question, raw)
    if (question.integer or question.type == "scale") and not value.is_integer():
        raise AnswerError("answer.whole_number")
    low, high = question.min, question.max
    if (low is not None and value < low) or (high is not None and value > high):
        raise AnswerError("answer.out_of_range", min=fmt_number(low), max=fmt_number(high))
    if question.integer or question.type == "scale":
        return int(value)
    return round(value, 2)


def _match(question: Question, raw: Any) -> str:
    if not isinstance(raw, str):
        raise AnswerError("answer.not_an_option", choices=", ".join(question.option_ids))
    if raw in question.option_ids:
        return raw
    word = unicodedata.normalize("NFKC", raw).strip().casefold()
    for option in question.options:
        labels = [option.id, *option.text.values()]
        if any(unicodedata.normalize("NFKC", label).casefold() == word for label in labels):
            return option.id
    raise AnswerError("answer.not_an_option", choices=", ".join(question.option_ids))


def _option(question: Question, raw: Any) -> str:
    return _match(question, raw)


def _options(question: Question, raw: Any) -> list[str]:
    if isinstance(raw, str):
        items = [p for p in re.split(r"[,、，;]", raw) if p.strip()]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise AnswerError("answer.not_an_option", choices=", ".join(question.option_ids))
    chosen = {_match(question, item) for item in items}
    if not chosen:
        raise AnswerError("answer.empty")
    for option in question.options:
        if option.exclusive and option.id in chosen and len(chosen) > 1:
            raise AnswerError("answer.exclusive", option=option.id)
    return [o for o in question.option_ids if o in chosen]


def load_answers(path: str | Path, interview: Interview) -> dict[str, Any]:
    """Read a YAML or JSON mapping of question id -> answer, validated like the chat does.

    Raises AnswersError listing every bad answer by question id (and line, for YAML).
    """
    path = Path(path)
    name = str(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AnswersError([Problem(name, None, "", "file not found")]) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise AnswersError([Problem(name, line, "", f"not valid JSON ({exc})")]) from None
    else:
        try:
            data = load(path)
        except DataFileError as exc:
            raise AnswersError(exc.problems) from None
    return validate_answers(data, interview, name)


def validate_answers(data: Any, interview: Interview, name: str = "<answers>") -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise AnswersError(
            [Problem(name, line_of(data), "", "expected a mapping of question id -> answer")]
        )
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for qid, raw in data.items():
        question = interview.questions.get(qid) if isinstance(qid, str) else None
        if question is None:
            problems.append(Problem(name, line_of(data, qid), str(qid), "unknown question id"))
            continue
        try:
            out[qid] = validate_answer(question, raw)
        except AnswerError as exc:
            problems.append(Problem(name, line_of(data, qid), qid, str(exc)))
    if problems:
        raise AnswersError(problems)
    return out
