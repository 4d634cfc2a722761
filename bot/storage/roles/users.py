"""The users role: who a patient is to the service and where their conversation stands.

Profiles (language, time zone, consents), the dialog state (the JSON dict the dialogs
return), the adapter's own per-user bookkeeping (its session: last update handled, the
buttons on offer), and what the patient accumulates: report summaries (assessments) and
check-ins. All of it is one user's: an erase (``Storage.delete_user``) takes it all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from backcare.bot.storage.records import UserProfile


class Users(ABC):
    # -- profiles ------------------------------------------------------------------
    @abstractmethod
    def get_user(self, user_id: int) -> UserProfile | None:
        """The user's profile, or None for someone never seen."""

    @abstractmethod
    def put_user(self, profile: UserProfile) -> None:
        """Keep ``profile`` (replacing the last one); ``created`` defaults to now."""

    @abstractmethod
    def user_ids(self) -> list[int]:
        """Every user with a profile or a dialog state, in ascending order."""

    # -- dialog state (the JSON dict the dialogs return) ---------------------------
    @abstractmethod
    def get_state(self, user_id: int) -> dict | None:
        """A copy of the user's dialog state, or None when there is none."""

    @abstractmethod
    def put_state(self, user_id: int, state: dict) -> None:
        """Replace the dialog state whole (never merged); StorageError unless it is a JSON object."""

    # -- the adapter's own per-user bookkeeping (last update, offered buttons) -----
    @abstractmethod
    def get_session(self, user_id: int) -> dict:
        """The adapter's session for the user ({} when there is none)."""

    @abstractmethod
    def put_session(self, user_id: int, session: dict) -> None:
        """Replace the adapter's session for the user."""

    # -- assessments (report summaries) and check-ins ------------------------------
    @abstractmethod
    def add_assessment(self, user_id: int, summary: dict) -> None:
        """Append a report summary to the user's assessments."""

    @abstractmethod
    def assessments(self, user_id: int) -> list[dict]:
        """The user's report summaries, oldest first."""

    @abstractmethod
    def add_checkin(self, user_id: int, entry: dict) -> None:
        """Append a check-in to the user's check-ins."""

    @abstractmethod
    def checkins(self, user_id: int) -> list[dict]:
        """The user's check-ins, oldest first."""
