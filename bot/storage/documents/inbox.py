"""The inbox role on documents: the ``inbox`` table of the shared partition, keyed by
update id."""

from __future__ import annotations

from backcare.bot.storage.documents.core import DocumentCore, _copy, json_copy
from backcare.bot.storage.records import iso, utc_now
from backcare.bot.storage.roles import Inbox


class DocumentInbox(DocumentCore, Inbox):
    def inbox_add(
        self, update_id: int, user_id: int | None, update: dict, wait: bool = True
    ) -> bool:
        doc = {
            "user_id": user_id,
            "update": json_copy(update, "update"),
            "received": iso(utc_now()),
        }
        with self.transaction(wait=wait):
            if self._table("inbox").contains(doc_id=update_id):
                return False
            self._set("inbox", update_id, doc)
            return True

    def inbox_pending(self) -> list[dict]:
        with self.transaction():
            docs = sorted(self._table("inbox").all(), key=lambda d: d.doc_id)
            return [_copy(d["update"]) for d in docs]

    def inbox_done(self, update_id: int, wait: bool = True) -> None:
        with self.transaction(wait=wait):
            self._set("inbox", update_id, None)
