"""Fixtures for the adapter's tests: the real Application against the fake Bot API."""

from __future__ import annotations

import pytest

from backcare.bot.storage import TinyDBStorage
from tests.support.echo_dialogs import EchoDialogs
from tests.support.harness import BotHarness


@pytest.fixture
def dialogs() -> EchoDialogs:
    return EchoDialogs()


@pytest.fixture
def storage(make_storage):
    """MemoryStorage; with BACKCARE_TEST_STORAGE=postgres, PostgreSQL in a fresh schema (the
    adapter's tests then check that backend under the real bot: one switch)."""
    return make_storage()


@pytest.fixture
def tiny(tmp_path):
    store = TinyDBStorage(tmp_path / "data" / "backcare.json")
    yield store
    store.close()


@pytest.fixture
async def bot(dialogs, storage):
    async with BotHarness(dialogs, storage) as harness:
        yield harness
