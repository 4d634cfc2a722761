"""The storage contract, checked on every backend the same way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from backcare.bot.storage import (
    MemoryStorage,
    Reminder,
    Storage,
    StorageError,
    TinyDBStorage,
    UserProfile,
)
from backcare.bot.storage.postgres import PostgresStorage
from tests.support.postgres import fresh_schema


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def store(request, tmp_path) -> Iterator[Storage]:
    s: Storage
    if request.param == "postgres":
        with fresh_schema() as url:
            s = PostgresStorage(url)
            yield s
            s.close()
        return
    s = MemoryStorage() if request.param == "memory" else TinyDBStorage(tmp_path / "db.json")
    yield s
    s.close()


DUE = datetime(2030, 1, 6, 8, 0, tzinfo=UTC)


def test_state_is_replaced_whole_not_merged(store):
    store.put_state(7, {"step": "q1", "answers": {"pain": 6}})
    store.put_state(7, {"step": "q2"})
    assert store.get_state(7) == {"step": "q2"}
    assert store.get_state(8) is None


def test_returned_data_is_a_copy(store):
    store.put_state(7, {"answers": {"pain": 6}})
    got = store.get_state(7)
    got["answers"]["pain"] = 0
    assert store.get_state(7) == {"answers": {"pain": 6}}


def test_data_that_is_not_json_is_refused_and_changes_nothing(store):
    store.put_state(7, {"ok": True})
    with pytest.raises(StorageError, match="not JSON-safe"):
        store.put_state(7, {"when": datetime.now()})
    with pytest.raises(StorageError):
        store.put_state(7, {"nan": float("nan")})
    assert store.get_state(7) == {"ok": True}


def test_profile_round_trip(store):
    store.put_user(UserProfile(7, language="ja", tz="Asia/Tokyo", consents={"keep_photos": True}))
    got = store.get_user(7)
    assert (got.language, got.tz, got.consented("keep_photos"), got.consented("other")) == (
        "ja",
        "Asia/Tokyo",
        True,
        False,
    )
    assert got.created.endswith("+00:00")
    assert store.get_user(8) is None
    assert store.user_ids() == [7]


def test_assessments_and_checkins_keep_order_per_user(store):
    for i in range(3):
        store.add_assessment(1, {"n": i})
        store.add_assessment(2, {"n": 10 + i})
    store.add_checkin(1, {"pain": 4})
    assert store.assessments(1) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert store.assessments(2) == [{"n": 10}, {"n": 11}, {"n": 12}]
    assert store.checkins(1) == [{"pain": 4}] and store.checkins(2) == []


def test_reminders_are_listed_for_restore(store):
    store.put_reminder(Reminder(1, 100, {"days": ["mon"], "time": "08:00", "active": True}, DUE))
    store.put_reminder(
        Reminder(
            2, 200, {"days": ["tue"], "time": "09:00", "active": True}, DUE + timedelta(days=1)
        )
    )
    store.remove_reminder(2)
    (only,) = store.reminders()
    assert (only.user_id, only.chat_id, only.next_due) == (1, 100, DUE)
    assert only.next_due.tzinfo is not None
    with pytest.raises(ValueError, match="naive"):
        store.put_reminder(Reminder(3, 3, {}, datetime(2030, 1, 1)))


def test_outbox_keeps_order_until_marked_sent(store):
    a, _ = store.enqueue(1, 100, [{"text": "a"}, {"text": "b"}])
    store.enqueue(2, 200, [{"text": "other"}])
    assert [i.payload["text"] for i in store.pending(1)] == ["a", "b"]
    store.note_attempt(a.id)
    store.mark_sent(a.id)
    (left,) = store.pending(1)
    assert left.payload == {"text": "b"} and left.attempts == 0
    assert len(store.pending()) == 2


def test_inbox_ignores_an_update_delivered_twice(store):
    assert store.inbox_add(11, 1, {"update_id": 11})
    assert not store.inbox_add(11, 1, {"update_id": 11})
    assert store.inbox_add(10, 2, {"update_id": 10})
    assert [u["update_id"] for u in store.inbox_pending()] == [10, 11]
    store.inbox_done(10)
    assert [u["update_id"] for u in store.inbox_pending()] == [11]


def test_inbox_takes_an_update_id_beyond_64_bits(store):
    """Telegram's ids are small, but a forged one may be anything (tests/reliability/
    test_update_ids.py): it is kept, in order, and removed like any other."""
    huge = 10**30
    assert store.inbox_add(huge, 1, {"update_id": huge})
    assert not store.inbox_add(huge, 1, {"update_id": huge})
    assert store.inbox_add(12, 1, {"update_id": 12})
    assert [u["update_id"] for u in store.inbox_pending()] == [12, huge]
    store.inbox_done(huge)
    assert [u["update_id"] for u in store.inbox_pending()] == [12]


def test_audit_log(store):
    store.audit(42, "reload", "interview.yaml v3")
    (entry,) = store.audit_log()
    assert (entry.admin_id, entry.action, entry.detail) == (42, "reload", "interview.yaml v3")


def test_a_failed_transaction_changes_nothing(store):
    store.put_state(1, {"v": 1})
    with pytest.raises(RuntimeError), store.transaction():
        store.put_state(1, {"v": 2})
        store.add_assessment(1, {"x": 1})
        store.enqueue(1, 1, [{"text": "never"}])
        store.put_reminder(Reminder(1, 1, {"active": True}, DUE))
        raise RuntimeError("boom")
    assert store.get_state(1) == {"v": 1}
    assert store.assessments(1) == [] and store.pending() == [] and store.reminders() == []


def _fill(store, uid):
    store.put_user(UserProfile(uid, language="en"))
    store.put_state(uid, {"answers": {"name": f"marker-{uid}"}})
    store.put_session(uid, {"last_update_id": 5})
    store.add_assessment(uid, {"report": f"marker-{uid}"})
    store.add_checkin(uid, {"note": f"marker-{uid}"})
    store.put_reminder(Reminder(uid, uid, {"active": True}, DUE))
    store.enqueue(uid, uid, [{"text": f"marker-{uid}"}])
    store.inbox_add(1000 + uid, uid, {"text": f"marker-{uid}"})
    store.save_photo(uid, "forward_bend.jpg", b"JPEG" + str(uid).encode())


def test_delete_user_erases_every_trace_and_nothing_else(store):
    _fill(store, 1)
    _fill(store, 2)
    store.delete_user(1)
    assert store.get_user(1) is None and store.get_state(1) is None
    assert store.get_session(1) == {} and store.assessments(1) == [] and store.checkins(1) == []
    assert store.get_reminder(1) is None and store.pending(1) == [] and store.photos(1) == []
    assert "marker-1" not in str(store.inbox_pending())
    assert store.user_ids() == [2]
    assert store.export_user(2)["dialog_state"] == {"answers": {"name": "marker-2"}}
    assert store.photos(2) == ["forward_bend.jpg"]


def test_export_holds_what_is_kept_about_the_user(store):
    _fill(store, 1)
    out = store.export_user(1)
    assert out["user_id"] == 1
    assert out["profile"]["language"] == "en"
    assert out["assessments"] == [{"report": "marker-1"}]
    assert out["checkins"] == [{"note": "marker-1"}]
    assert out["reminder"]["next_due"] == DUE.isoformat()
    assert out["photos"] == ["forward_bend.jpg"]
    assert store.load_photo(1, "forward_bend.jpg") == b"JPEG1"


def test_a_single_photo_can_be_deleted(store):
    store.save_photo(1, "a.jpg", b"a")
    store.save_photo(1, "b.jpg", b"b")
    store.delete_photo(1, "a.jpg")
    assert store.photos(1) == ["b.jpg"]
    store.delete_photo(1, "b.jpg")
    assert store.photos(1) == [] and store.stats()["users_with_photos"] == 0


def test_photo_names_cannot_escape_the_users_folder(store):
    for bad in ("../x.jpg", ".hidden", "a/b.jpg", ""):
        with pytest.raises(StorageError, match="bad photo name"):
            store.save_photo(1, bad, b"x")


def test_stats_are_counts_only(store):
    _fill(store, 1)
    _fill(store, 2)
    store.add_assessment(2, {"again": True})
    stats = store.stats()
    assert stats == {
        "users": 2,
        "users_assessed": 2,
        "assessments": 3,
        "checkins": 2,
        "reminders_active": 2,
        "outbox_pending": 2,
        "users_with_photos": 2,
    }
