"""The shared implementation of the embedded backends: TinyDB tables in partitions.

``core`` keeps the partitions (a user's own, the shared one, the audit's) with their
transactions, undo and group commit; one mixin per role of the contract implements
it on them (``users``, ``inbox``, ``outbox``, ``reminders``, ``audit``, ``photos``);
``storage`` puts them together as :class:`DocumentStorage`, which the memory and
TinyDB-file backends subclass to persist the partitions.
"""

from backcare.bot.storage.documents.core import (
    APPENDED,
    AUDIT,
    AUDIT_TABLES,
    FORMAT,
    KEYED,
    SHARED,
    SHARED_TABLES,
    TABLES,
    USER_TABLES,
    DocumentCore,
    Image,
    Partition,
    dumps,
    empty_database,
    json_copy,
    key_user,
    partition_of,
    tables_of,
    user_key,
)
from backcare.bot.storage.documents.storage import DocumentStorage

__all__ = [
    "APPENDED",
    "AUDIT",
    "AUDIT_TABLES",
    "FORMAT",
    "KEYED",
    "SHARED",
    "SHARED_TABLES",
    "TABLES",
    "USER_TABLES",
    "DocumentCore",
    "DocumentStorage",
    "Image",
    "Partition",
    "dumps",
    "empty_database",
    "json_copy",
    "key_user",
    "partition_of",
    "tables_of",
    "user_key",
]
