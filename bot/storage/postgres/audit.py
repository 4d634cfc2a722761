"""The audit role on PostgreSQL: the ``audit`` table, appended to."""

from __future__ import annotations

from datetime import datetime

from backcare.bot.storage.postgres.core import PostgresCore
from backcare.bot.storage.records import AuditEntry, iso, utc_now
from backcare.bot.storage.roles import Audit


class PostgresAudit(PostgresCore, Audit):
    def audit(
        self, admin_id: int, action: str, detail: str = "", when: datetime | None = None
    ) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO audit (time, admin_id, action, detail) VALUES (%s, %s, %s, %s)",
                (iso(when or utc_now()), int(admin_id), str(action), str(detail)),
            )

    def audit_log(self) -> list[AuditEntry]:
        with self._tx() as cur:
            cur.execute("SELECT time, admin_id, action, detail FROM audit ORDER BY id")
            return [AuditEntry(*row) for row in cur.fetchall()]
