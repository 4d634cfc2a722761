"""What the service keeps about its users, behind one small interface.

``Storage`` is the contract (users, dialog state, assessments, reminders,
check-ins, outbox, inbox, admin audit, consented photos, erase and export).
``TinyDBStorage(path)`` is the embedded default (one owner-only JSON file,
atomic writes, rotating backups); ``MemoryStorage()`` serves tests and the console.
"""

from backcare.storage.base import Storage
from backcare.storage.errors import StorageCorrupt, StorageError, StorageWriteFailed
from backcare.storage.memory import MemoryStorage
from backcare.storage.records import AuditEntry, OutboxItem, Reminder, UserProfile, utc_now
from backcare.storage.tinyfile import TinyDBStorage

__all__ = [
    "AuditEntry",
    "MemoryStorage",
    "OutboxItem",
    "Reminder",
    "Storage",
    "StorageCorrupt",
    "StorageError",
    "StorageWriteFailed",
    "TinyDBStorage",
    "UserProfile",
    "utc_now",
]
