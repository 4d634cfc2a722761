"""The users role on PostgreSQL: ``users``, ``states`` and ``sessions`` (a JSON document
per user), ``assessments`` and ``checkins`` (appended, numbered in order)."""

from __future__ import annotations

from typing import Any

from backcare.bot.storage.documents import json_copy
from backcare.bot.storage.errors import StorageError
from backcare.bot.storage.postgres.core import PostgresCore, _json
from backcare.bot.storage.records import UserProfile, iso, utc_now
from backcare.bot.storage.roles import Users


class PostgresUsers(PostgresCore, Users):
    # -- profiles ---------------------------------------------------------------------------
    def get_user(self, user_id: int) -> UserProfile | None:
        doc = self._doc("users", user_id)
        return UserProfile(user_id=user_id, **doc) if doc else None

    def put_user(self, profile: UserProfile) -> None:
        doc = json_copy(profile.document(), "user profile")
        self._put_doc("users", profile.user_id, doc)

    def user_ids(self) -> list[int]:
        with self._tx() as cur:
            cur.execute("SELECT user_id FROM users UNION SELECT user_id FROM states ORDER BY 1")
            return [row[0] for row in cur.fetchall()]

    def _doc(self, table: str, user_id: int) -> Any:
        with self._tx() as cur:
            cur.execute(f"SELECT doc FROM {table} WHERE user_id = %s", (user_id,))
            row = cur.fetchone()
        return row[0] if row else None

    def _put_doc(self, table: str, user_id: int, doc: Any) -> None:
        with self._tx() as cur:
            cur.execute(
                f"INSERT INTO {table} (user_id, doc) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET doc = EXCLUDED.doc",
                (user_id, _json(doc)),
            )

    # -- dialog state and session --------------------------------------------------------
    def get_state(self, user_id: int) -> dict | None:
        doc = self._doc("states", user_id)
        return doc if isinstance(doc, dict) else None

    def put_state(self, user_id: int, state: dict) -> None:
        doc = json_copy(state, "dialog state")
        if not isinstance(doc, dict):
            raise StorageError("dialog state must be a JSON object")
        self._put_doc("states", user_id, doc)

    def get_session(self, user_id: int) -> dict:
        return self._doc("sessions", user_id) or {}

    def put_session(self, user_id: int, session: dict) -> None:
        self._put_doc("sessions", user_id, json_copy(session, "session"))

    # -- assessments and check-ins -------------------------------------------------------
    def _append(self, table: str, user_id: int, entry: dict) -> None:
        doc = json_copy(entry, table)
        with self._tx() as cur:
            cur.execute(
                f"INSERT INTO {table} (user_id, created, entry) VALUES (%s, %s, %s)",
                (user_id, iso(utc_now()), _json(doc)),
            )

    def _entries(self, table: str, user_id: int) -> list[dict]:
        with self._tx() as cur:
            cur.execute(f"SELECT entry FROM {table} WHERE user_id = %s ORDER BY id", (user_id,))
            return [row[0] for row in cur.fetchall()]

    def add_assessment(self, user_id: int, summary: dict) -> None:
        self._append("assessments", user_id, summary)

    def assessments(self, user_id: int) -> list[dict]:
        return self._entries("assessments", user_id)

    def add_checkin(self, user_id: int, entry: dict) -> None:
        self._append("checkins", user_id, entry)

    def checkins(self, user_id: int) -> list[dict]:
        return self._entries("checkins", user_id)
