"""What the service keeps about its users, behind one small interface.

``Storage`` is the contract, split by role (:mod:`backcare.bot.storage.roles`:
users with their dialog state, assessments and check-ins; inbox; outbox; reminders;
admin audit; consented photos) plus what spans them (erase, export, statistics,
transactions).
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
