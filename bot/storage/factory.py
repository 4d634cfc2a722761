"""Which storage the bot runs on: PostgreSQL when ``BACKCARE_DATABASE_URL`` names one,
else the embedded TinyDB files (no service needed)."""

from __future__ import annotations

import os
from pathlib import Path

from backcare.bot.storage.base import Storage

ENV = "BACKCARE_DATABASE_URL"
SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: str | os.PathLike) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


def open_storage(target: str | os.PathLike) -> Storage:
    """A PostgreSQL URL opens (and migrates) that database; anything else is the path of
    the TinyDB installation's main file."""
    if is_database_url(target):
        from backcare.bot.storage.postgres import PostgresStorage  # psycopg only when asked for

        return PostgresStorage(str(target))
    from backcare.bot.storage.tinyfile import TinyDBStorage

    return TinyDBStorage(Path(target))


def configured(default_path: str | os.PathLike) -> Storage:
    """``BACKCARE_DATABASE_URL`` if set (and not empty), else the file at ``default_path``."""
    url = os.environ.get(ENV, "").strip()
    if url and not is_database_url(url):
        from backcare.bot.storage.errors import StorageError

        raise StorageError(
            f"{ENV} must be a PostgreSQL URL (postgresql://user@host:5432/db), got {url[:40]!r}"
        )
    return open_storage(url or default_path)
