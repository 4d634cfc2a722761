"""What the service keeps about its users, behind one small interface.

``Storage`` is the contract (users, dialog state, assessments, reminders,
check-ins, outbox, inbox, admin audit, consented photos, erase and export).
``TinyDBStorage(path)`` is the embedded default (TinyDB files in one owner-only
folder, a partition per user, a write-ahead journal, rotating backups);
``MemoryStorage()`` serves tests and the console. ``PostgresStorage(url)``
(:mod:`backcare.bot.storage.postgres`) is for several replicas on one database;
``open_storage`` / ``configured`` pick one (``BACKCARE_DATABASE_URL``).
"""

from backcare.bot.storage.base import Storage
from backcare.bot.storage.errors import (
    StorageCorrupt,
    StorageError,
    StorageUnavailable,
    StorageWriteFailed,
)
from backcare.bot.storage.factory import configured, open_storage
from backcare.bot.storage.memory import MemoryStorage
from backcare.bot.storage.records import AuditEntry, OutboxItem, Reminder, UserProfile, utc_now
from backcare.bot.storage.tinyfile import TinyDBStorage

__all__ = [
    "AuditEntry",
    "MemoryStorage",
    "OutboxItem",
    "Reminder",
    "Storage",
    "StorageCorrupt",
    "StorageError",
    "StorageUnavailable",
    "StorageWriteFailed",
    "TinyDBStorage",
    "UserProfile",
    "configured",
    "open_storage",
    "utc_now",
]
