"""The users role on documents: a user's profile, state, session, assessments and
check-ins, all in their own partition (keyed by user id, or appended with it)."""

from __future__ import annotations

from backcare.bot.storage.documents.core import DocumentCore, _copy, json_copy
from backcare.bot.storage.errors import StorageError
from backcare.bot.storage.records import UserProfile, iso, utc_now
from backcare.bot.storage.roles import Users


class DocumentUsers(DocumentCore, Users):
    # -- profiles ------------------------------------------------------------------------
    def get_user(self, user_id: int) -> UserProfile | None:
        with self.transaction():
            doc = self._get("users", user_id, user_id)
        return UserProfile(user_id=user_id, **doc) if doc else None

    def put_user(self, profile: UserProfile) -> None:
        doc = json_copy(profile.document(), "user profile")
        with self.transaction():
            self._set("users", profile.user_id, doc, profile.user_id)

    def user_ids(self) -> list[int]:
        return [
            uid for uid, data in self._user_partitions() if data.get("users") or data.get("states")
        ]

    # -- dialog state and session --------------------------------------------------------
    def get_state(self, user_id: int) -> dict | None:
        with self.transaction():
            return self._get("states", user_id, user_id)

    def put_state(self, user_id: int, state: dict) -> None:
        doc = json_copy(state, "dialog state")
        if not isinstance(doc, dict):
            raise StorageError("dialog state must be a JSON object")
        with self.transaction():
            self._set("states", user_id, doc, user_id)

    def get_session(self, user_id: int) -> dict:
        with self.transaction():
            return self._get("sessions", user_id, user_id) or {}

    def put_session(self, user_id: int, session: dict) -> None:
        doc = json_copy(session, "session")
        with self.transaction():
            self._set("sessions", user_id, doc, user_id)

    # -- assessments and check-ins -------------------------------------------------------
    def _append(self, table: str, user_id: int, entry: dict) -> None:
        doc = {"user_id": user_id, "created": iso(utc_now()), "entry": json_copy(entry, table)}
        with self.transaction():
            self._insert(table, doc, user_id)

    def _entries(self, table: str, user_id: int) -> list[dict]:
        with self.transaction():
            return [_copy(d["entry"]) for d in self._user_docs(table, user_id)]

    def add_assessment(self, user_id: int, summary: dict) -> None:
        self._append("assessments", user_id, summary)

    def assessments(self, user_id: int) -> list[dict]:
        return self._entries("assessments", user_id)

    def add_checkin(self, user_id: int, entry: dict) -> None:
        self._append("checkins", user_id, entry)

    def checkins(self, user_id: int) -> list[dict]:
        return self._entries("checkins", user_id)
