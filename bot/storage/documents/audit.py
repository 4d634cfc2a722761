"""The audit role on documents: the ``audit`` partition, appended to."""

from __future__ import annotations

from datetime import datetime

from backcare.bot.storage.documents.core import DocumentCore
from backcare.bot.storage.records import AuditEntry, iso, utc_now
from backcare.bot.storage.roles import Audit


class DocumentAudit(DocumentCore, Audit):
    def audit(
        self, admin_id: int, action: str, detail: str = "", when: datetime | None = None
    ) -> None:
        doc = {
            "time": iso(when or utc_now()),
            "admin_id": int(admin_id),
            "action": str(action),
            "detail": str(detail),
        }
        with self.transaction():
            self._insert("audit", doc)

    def audit_log(self) -> list[AuditEntry]:
        with self.transaction():
            docs = sorted(self._table("audit").all(), key=lambda d: d.doc_id)
            return [AuditEntry(**dict(d)) for d in docs]
