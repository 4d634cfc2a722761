"""What the PostgreSQL backend promises beyond the shared contract (test_documents.py):
migrations applied once under a lock, one database for several replicas, transactions
per outermost block, documents kept as written, clear errors when the server is away."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from backcare.bot.storage import Reminder, StorageError, StorageUnavailable
from backcare.bot.storage.postgres import PostgresStorage
from backcare.bot.storage.postgres.migrations import applied, available, migrate
from tests.support.postgres import fresh_schema

DUE = datetime(2030, 1, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def url():
    with fresh_schema() as u:
        yield u


def test_two_migrators_at_once_apply_each_migration_exactly_once(url: str) -> None:
    versions = [m.version for m in available()]
    results: list[list[int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                start.wait()
                results.append(migrate(conn))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # one did all the work, the other waited on the lock and found nothing to do
    assert sorted(results, key=len) == [[], versions]
    with psycopg.connect(url) as conn:
        assert applied(conn) == versions


def test_a_later_start_migrates_an_older_schema_and_keeps_its_data(url):
    with psycopg.connect(url, autocommit=True) as conn:
        assert migrate(conn, upto=1) == [1]
        conn.execute(
            "INSERT INTO reminders (user_id, chat_id, plan, next_due) VALUES (1, 1, '{}', now())"
        )
    store = PostgresStorage(url)  # starting is what upgrades
    try:
        assert [r.user_id for r in store.reminders()] == [1]
        with psycopg.connect(url) as conn:
            assert applied(conn) == [m.version for m in available()]
    finally:
        store.close()


def test_a_database_from_a_newer_backcare_is_refused(url):
    PostgresStorage(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version, name) VALUES (999, 'future')")
    with pytest.raises(StorageError, match="schema version 999, newer than this backcare"):
        PostgresStorage(url)


def test_replicas_on_one_database_see_each_others_changes_and_updates_once(url):
    a, b = PostgresStorage(url), PostgresStorage(url)
    try:
        a.put_state(7, {"step": "q1"})
        assert b.get_state(7) == {"step": "q1"}
        # the same update delivered to both replicas is new to exactly one of them
        assert [a.inbox_add(11, 7, {"update_id": 11}), b.inbox_add(11, 7, {"update_id": 11})] == [
            True,
            False,
        ]
    finally:
        a.close()
        b.close()


def test_the_outermost_block_is_one_transaction_and_inner_failures_undo_only_themselves(url):
    store = PostgresStorage(url)
    other = PostgresStorage(url)
    try:
        with store.transaction():
            store.put_state(1, {"v": 1})
            assert other.get_state(1) is None  # not committed yet: invisible elsewhere
            with pytest.raises(RuntimeError), store.transaction():
                store.add_assessment(1, {"x": 1})
                raise RuntimeError("inner")
            store.add_checkin(1, {"pain": 3})
        assert other.get_state(1) == {"v": 1}
        assert other.assessments(1) == [] and other.checkins(1) == [{"pain": 3}]
    finally:
        store.close()
        other.close()


def test_changes_without_waiting_are_visible_at_once_and_durable_after_sync(url):
    store = PostgresStorage(url)
    try:
        with store.transaction(wait=False):
            assert store.inbox_add(5, 1, {"update_id": 5}, wait=False)
        store.sync()
        assert store.inbox_pending() == [{"update_id": 5}]
    finally:
        store.close()


def test_documents_come_back_as_written(url):
    store = PostgresStorage(url)
    try:
        state = {"z": 1, "a": {"y": [1, 2.5, None], "b": "NUL \u0000 and ✓ 痛み"}}
        store.put_state(1, state)
        got = store.get_state(1)
        assert got == state and list(got) == ["z", "a"] and list(got["a"]) == ["y", "b"]
        store.put_reminder(Reminder(1, 2, {"active": True}, DUE))
        (reminder,) = store.reminders()
        assert reminder.next_due == DUE and reminder.next_due.utcoffset().total_seconds() == 0
    finally:
        store.close()


def test_an_unreachable_server_is_a_clear_unavailable_error():
    with pytest.raises(StorageUnavailable, match="database unreachable"):
        PostgresStorage("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1", timeout=2)


def test_a_server_gone_mid_run_fails_calls_with_unavailable_then_recovers(url):
    name = url.rsplit("search_path%3D", 1)[1]  # the test's own schema names its connections
    store = PostgresStorage(f"{url}&application_name={name}", pool_size=1)
    try:
        store.put_state(1, {"v": 1})
        with psycopg.connect(url, autocommit=True) as admin:
            # end the pool's connection (only it) as a server restart would
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            ).fetchone()
            assert ended == (1,)
        outcomes = []
        for _ in range(3):
            try:
                outcomes.append(store.get_state(1))
            except StorageUnavailable:
                outcomes.append("unavailable")
        # the call on the dead connection fails clearly; the pool then replaces it
        assert outcomes[0] == "unavailable" and outcomes[-1] == {"v": 1}
    finally:
        store.close()
