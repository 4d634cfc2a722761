"""The outbox role on documents: the ``outbox`` table of the shared partition, numbered
in the order saved."""

from __future__ import annotations

from tinydb.table import Document

from backcare.bot.storage.documents.core import _USER, DocumentCore, _copy, json_copy
from backcare.bot.storage.records import OutboxItem, iso, utc_now
from backcare.bot.storage.roles import Outbox


class DocumentOutbox(DocumentCore, Outbox):
    @staticmethod
    def _item(doc: Document) -> OutboxItem:
        return OutboxItem(
            id=doc.doc_id,
            user_id=doc["user_id"],
            chat_id=doc["chat_id"],
            payload=_copy(doc["payload"]),
            created=doc["created"],
            attempts=doc.get("attempts", 0),
        )

    def enqueue(self, user_id: int, chat_id: int, payloads: list[dict]) -> list[OutboxItem]:
        docs = [
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "payload": json_copy(p, "reply"),
                "created": iso(utc_now()),
                "attempts": 0,
            }
            for p in payloads
        ]
        with self.transaction():
            ids = [self._insert("outbox", doc) for doc in docs]
            outbox = self._table("outbox")
            items = []
            for i in ids:
                doc = outbox.get(doc_id=i)
                assert isinstance(doc, Document)  # inserted just above, in this transaction
                items.append(self._item(doc))
            return items

    def pending(self, user_id: int | None = None) -> list[OutboxItem]:
        with self.transaction():
            t = self._table("outbox")
            docs = t.all() if user_id is None else t.search(user_id == _USER)
            return [self._item(d) for d in sorted(docs, key=lambda d: d.doc_id)]

    def mark_sent(self, item_id: int, wait: bool = True) -> None:
        with self.transaction(wait=wait):
            self._set("outbox", item_id, None)

    def note_attempt(self, item_id: int, wait: bool = True) -> None:
        with self.transaction(wait=wait):
            doc = self._get("outbox", item_id)
            if doc is not None:
                doc["attempts"] = doc.get("attempts", 0) + 1
                self._set("outbox", item_id, doc)
