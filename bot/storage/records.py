"""Typed records the storage hands out (dialog state, reports and check-ins stay JSON dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC; refuses naive datetimes (a reminder at an unknown offset is a bug)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give an aware (UTC) datetime")
    return moment.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime in storage: {text!r}")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class UserProfile:
    """A patient as the service knows them: settings and consents, never answers.

    consents: e.g. {"keep_photos": False, "reminders": True}; absent means not given.
    created:  ISO 8601 UTC of the first contact.
    """

    user_id: int
    language: str | None = None
    tz: str | None = None
    consents: dict[str, bool] = field(default_factory=dict)
    created: str = ""

    def consented(self, what: str) -> bool:
        return bool(self.consents.get(what, False))

    def document(self) -> dict[str, Any]:
        """What every backend stores of the profile (the id is the key)."""
        return {
            "language": self.language,
            "tz": self.tz,
            "consents": dict(self.consents),
            "created": self.created or iso(utc_now()),
        }


@dataclass(frozen=True)
class Reminder:
    """A user's reminder plan (as the dialogs keep it) and when it fires next.

    plan:     {"days": [...], "time": "HH:MM", "tz": "...", "active": bool, ...}
    next_due: aware UTC datetime
    """

    user_id: int
    chat_id: int
    plan: dict
    next_due: datetime


@dataclass(frozen=True)
class OutboxItem:
    """A reply saved before sending, removed once Telegram accepted it.

    payload: the rendered message as JSON (never image or file bytes: those are
             photos of a body or exports, kept in memory only)
    seq:     order of sending within the user's queue
    """

    id: int
    user_id: int
    chat_id: int
    payload: dict
    created: str
    attempts: int = 0


@dataclass(frozen=True)
class AuditEntry:
    """One admin action (who, what, when); never a patient's data."""

    time: str
    admin_id: int
    action: str
    detail: str = ""
