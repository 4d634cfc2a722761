"""The audit role: what admins did (who, what, when), never a patient's data."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from backcare.bot.storage.records import AuditEntry


class Audit(ABC):
    @abstractmethod
    def audit(
        self, admin_id: int, action: str, detail: str = "", when: datetime | None = None
    ) -> None:
        """Record an admin action (``when`` defaults to now)."""

    @abstractmethod
    def audit_log(self) -> list[AuditEntry]:
        """Every admin action recorded, oldest first."""
