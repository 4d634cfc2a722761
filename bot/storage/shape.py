"""What every document of a stored database must look like, checked when a file is opened.

A file can be valid JSON and still be damaged inside (a flipped bit in a key, a
hand edit gone wrong, a file from a buggy version). Read lazily, such a document
would crash the start with a bare traceback, or let the bot run and fail the
patients concerned at every message. Checked at open, it stops the start with
the table, the document and the field named, like a file that does not parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from backcare.bot.storage.records import parse_iso

_ID = re.compile(r"-?\d{1,20}")
_PROFILE_FIELDS = {"language", "tz", "consents", "created"}
_AUDIT_FIELDS = {"time", "admin_id", "action", "detail"}


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _moment(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_iso(value)
    except ValueError:
        return False
    return True


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


# table -> field -> (required, check)
FIELDS: dict[str, dict[str, tuple[bool, Callable[[Any], bool]]]] = {
    "users": {
        "language": (False, _optional(_text)),
        "tz": (False, _optional(_text)),
        "consents": (False, _object),
        "created": (False, _text),
    },
    "states": {},
    "sessions": {},
    "reminders": {"chat_id": (True, _int), "plan": (True, _object), "next_due": (True, _moment)},
    "assessments": {
        "user_id": (True, _int),
        "created": (True, _text),
        "entry": (True, lambda v: True),
    },
    "checkins": {
        "user_id": (True, _int),
        "created": (True, _text),
        "entry": (True, lambda v: True),
    },
    "outbox": {
        "user_id": (True, _int),
        "chat_id": (True, _int),
        "payload": (True, _object),
        "created": (True, _text),
        "attempts": (False, _int),
    },
    "inbox": {"user_id": (True, _optional(_int)), "update": (True, _object)},
    "audit": {
        "time": (True, _text),
        "admin_id": (True, _int),
        "action": (True, _text),
        "detail": (False, _text),
    },
    "meta": {},
}
# fields a record type is built from with **doc: anything else would crash it
CLOSED = {"users": _PROFILE_FIELDS, "audit": _AUDIT_FIELDS}


def check_documents(data: dict) -> None:
    """Raise ValueError naming the first damaged document ("<table> <id>: what is wrong")."""
    for table, fields in FIELDS.items():
        for doc_id, doc in data.get(table, {}).items():
            where = f"{table} {doc_id}"
            if not _ID.fullmatch(str(doc_id)):
                raise ValueError(f"{where}: the document id is not a number")
            if not isinstance(doc, dict):
                raise ValueError(f"{where}: the document is not an object")
            for field, (required, ok) in fields.items():
                if field not in doc:
                    if required:
                        raise ValueError(f"{where}: field {field!r} is missing")
                elif not ok(doc[field]):
                    raise ValueError(f"{where}: field {field!r} has an unusable value")
            unknown = set(doc) - CLOSED.get(table, set(doc))
            if unknown:
                raise ValueError(
                    f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}"
                )
