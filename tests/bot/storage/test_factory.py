"""Which storage the bot opens: BACKCARE_DATABASE_URL's PostgreSQL, else the embedded files."""

from __future__ import annotations

import pytest

from backcare.bot.storage import StorageError, TinyDBStorage, configured
from backcare.bot.storage.postgres import PostgresStorage
from tests.support.postgres import fresh_schema


def test_without_a_url_the_embedded_files_need_no_service(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKCARE_DATABASE_URL", raising=False)
    store = configured(tmp_path / "data" / "backcare.json")
    try:
        assert isinstance(store, TinyDBStorage)
        assert (tmp_path / "data" / "backcare.json").exists()
    finally:
        store.close()


def test_a_postgresql_url_opens_that_database(tmp_path, monkeypatch):
    with fresh_schema() as url:
        monkeypatch.setenv("BACKCARE_DATABASE_URL", url)
        store = configured(tmp_path / "data" / "backcare.json")
        try:
            assert isinstance(store, PostgresStorage)
            assert not (tmp_path / "data").exists()  # nothing written beside it
        finally:
            store.close()


def test_a_url_that_is_not_postgresql_is_refused_with_the_expected_form(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKCARE_DATABASE_URL", "mysql://root@localhost/db")
    with pytest.raises(StorageError, match="must be a PostgreSQL URL"):
        configured(tmp_path / "backcare.json")
