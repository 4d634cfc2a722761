"""All of :class:`Storage` over partitioned TinyDB tables: the roles' mixins together, and
what spans them (erase, statistics). Backends (memory, TinyDB files) persist the partitions."""

from __future__ import annotations

from backcare.bot.storage.base import Storage
from backcare.bot.storage.documents.audit import DocumentAudit
from backcare.bot.storage.documents.core import USER_TABLES, user_key
from backcare.bot.storage.documents.inbox import DocumentInbox
from backcare.bot.storage.documents.outbox import DocumentOutbox
from backcare.bot.storage.documents.photos import DocumentPhotos
from backcare.bot.storage.documents.reminders import DocumentReminders
from backcare.bot.storage.documents.users import DocumentUsers


class DocumentStorage(
    DocumentUsers,
    DocumentInbox,
    DocumentOutbox,
    DocumentReminders,
    DocumentAudit,
    DocumentPhotos,
    Storage,
):
    """All of :class:`Storage` over partitioned TinyDB tables; subclasses persist them.

    cache_users: how many users' partitions stay in memory (None: all, for memory backends).
    """

    # -- privacy and statistics ----------------------------------------------------------
    def _erase(self, user_id: int) -> None:
        part = self._part(user_key(user_id))
        for table in USER_TABLES:
            for doc in part.tables[table].all():
                self._set(table, doc.doc_id, None, user_id)
        self._remove_user_docs("outbox", user_id)
        self._remove_user_docs("inbox", user_id)

    def delete_user(self, user_id: int) -> None:
        with self.transaction():
            self._erase(user_id)
        self._photos.delete_user(user_id)
        self._scrub_backups(user_id)

    def _scrub_backups(self, user_id: int) -> None:
        """Backends with a journal or backups erase the user from them too."""

    def stats(self) -> dict[str, int]:
        counts = dict.fromkeys(
            ("users", "users_assessed", "assessments", "checkins", "reminders_active"), 0
        )
        for _, data in self._user_partitions():
            counts["users"] += bool(data.get("users") or data.get("states"))
            counts["users_assessed"] += bool(data.get("assessments"))
            counts["assessments"] += len(data.get("assessments", {}))
            counts["checkins"] += len(data.get("checkins", {}))
            counts["reminders_active"] += sum(
                1
                for d in data.get("reminders", {}).values()
                if d.get("plan", {}).get("active", True)
            )
        with self.transaction():
            outbox = len(self._table("outbox"))
        return counts | {
            "outbox_pending": outbox,
            "users_with_photos": len(self._photos.user_ids()),
        }
