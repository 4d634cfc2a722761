"""The storage a test depends on, on the backend the run chose: one switch.

    BACKCARE_TEST_STORAGE=postgres .venv/bin/python -m pytest tests/bot

Without the switch a test gets what it always had: MemoryStorage, or TinyDBStorage on the
file it names. With it, PostgreSQL in a fresh schema (tests.support.postgres), dropped
after the test: a new one for each storage in memory; opening the same file again opens
the same schema, so a test that
restarts the bot on its data finds it there. Tests about the TinyDB backend itself (its
files, journal, backups, locks) construct TinyDBStorage directly and are not switched.

    def test_something(make_storage):
        storage = make_storage()                       # MemoryStorage / PostgreSQL
        storage = make_storage(tmp_path / "db.json")   # TinyDBStorage / PostgreSQL
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backcare.bot.storage import MemoryStorage, Storage, TinyDBStorage


def backend() -> str:
    """``postgres`` under BACKCARE_TEST_STORAGE=postgres, else ``embedded``."""
    value = os.environ.get("BACKCARE_TEST_STORAGE", "").strip().lower()
    if value not in ("", "postgres", "embedded", "tinydb"):
        raise pytest.UsageError(f"BACKCARE_TEST_STORAGE must be postgres or empty, not {value!r}")
    return "postgres" if value == "postgres" else "embedded"


class Storages:
    """Opens storages for one test and closes them (and drops their schemas) after it."""

    def __init__(self) -> None:
        self._schemas: dict[Path, str] = {}
        self._opened: list[Storage] = []
        self._exits = contextlib.ExitStack()

    def __call__(self, path: Path | None = None, **tinydb_options: Any) -> Storage:
        """A storage: for ``path`` (TinyDB's file) or in memory; PostgreSQL with the switch."""
        store: Storage
        if backend() == "postgres":
            from backcare.bot.storage.postgres import PostgresStorage
            from tests.support.postgres import fresh_schema

            if path is None or path not in self._schemas:  # in memory: a new one each time
                schema = self._exits.enter_context(fresh_schema())
                if path is not None:
                    self._schemas[path] = schema
            store = PostgresStorage(schema if path is None else self._schemas[path])
        elif path is None:
            store = MemoryStorage()
        else:
            store = TinyDBStorage(path, **tinydb_options)
        self._opened.append(store)
        return store

    def close(self) -> None:
        try:
            for store in self._opened:
                store.close()  # (closing twice is harmless)
        finally:
            self._exits.close()


@pytest.fixture
def make_storage() -> Iterator[Storages]:
    storages = Storages()
    yield storages
    storages.close()
