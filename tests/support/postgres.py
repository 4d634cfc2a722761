"""A PostgreSQL schema of its own for each test that needs a real database.

The server comes from BACKCARE_TEST_DATABASE_URL (default: the development machine's,
trust auth). Each test gets a fresh schema, reached through the URL's search_path, and
drops it afterwards, so tests leave nothing behind and never see each other's rows.
Where no server answers the test skips, saying how to start one; under CI=true it
fails instead, so a CI run never passes by skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest

URL = os.environ.get("BACKCARE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def require_server(url: str = URL) -> str:
    """``url`` if PostgreSQL answers there; else skip (fail under CI=true)."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        message = (
            f"PostgreSQL is not reachable at {url} ({str(exc).strip()}); start it with: {START} "
            "(or set BACKCARE_TEST_DATABASE_URL)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_schema(url: str = URL) -> Iterator[str]:
    """A URL whose connections see only a new, empty schema (dropped at exit)."""
    import psycopg

    require_server(url)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_schema() as url:
        yield url
