"""``backcare migrate-storage``: a TinyDB installation moved into PostgreSQL with every
patient's data, checked, all or nothing, and the TinyDB files left as they were."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backcare.application.cli import main
from backcare.bot.storage import Reminder, StorageError, TinyDBStorage, UserProfile
from backcare.bot.storage.postgres import PostgresStorage
from backcare.bot.storage.transfer import migrate_storage
from tests.support.postgres import fresh_schema

V1 = Path(__file__).parent / "data" / "v1_database.json"
DUE = datetime(2030, 1, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def url():
    with fresh_schema() as u:
        yield u


def _installation(folder: Path) -> Path:
    """A bot's data folder: two patients with everything, one reply and one update waiting."""
    path = folder / "data" / "backcare.json"
    store = TinyDBStorage(path)
    try:
        for uid in (101, 202):
            store.put_user(
                UserProfile(uid, language="ja", tz="Asia/Tokyo", consents={"keep_photos": True})
            )
            store.put_state(uid, {"step": "report", "answers": {"pain": uid % 10, "痛み": "腰"}})
            store.put_session(uid, {"recent_updates": [[uid, 1700000000]]})
            store.add_assessment(uid, {"n": 1})
            store.add_assessment(uid, {"n": 2})
            store.add_checkin(uid, {"pain": 3})
            store.put_reminder(Reminder(uid, uid * 10, {"active": True, "time": "08:00"}, DUE))
            store.save_photo(uid, "forward_bend.jpg", b"\xff\xd8JPEG" + bytes([uid % 256]))
        store.enqueue(101, 1010, [{"text": "first"}, {"text": "second"}])
        store.inbox_add(555, 202, {"update_id": 555, "message": {"text": "hi"}})
        store.audit(9, "reload", "interview.yaml")
    finally:
        store.close()
    return path


def test_everything_is_moved_and_checked(tmp_path, url):
    path = _installation(tmp_path)
    before = sorted(p.name for p in path.parent.rglob("*") if ".bak" not in p.name)
    moved = migrate_storage(path, url)
    assert (moved.users, moved.assessments, moved.checkins, moved.photos) == (2, 4, 2, 2)
    assert (moved.outbox, moved.inbox, moved.audit, moved.differences) == (2, 1, 1, [])
    db = PostgresStorage(url)
    try:
        assert db.user_ids() == [101, 202]
        assert db.get_state(101) == {"step": "report", "answers": {"pain": 1, "痛み": "腰"}}
        assert db.assessments(202) == [{"n": 1}, {"n": 2}]
        assert [r.next_due for r in db.reminders()] == [DUE, DUE]
        assert [i.payload["text"] for i in db.pending(101)] == ["first", "second"]
        assert db.inbox_pending() == [{"update_id": 555, "message": {"text": "hi"}}]
        assert db.load_photo(202, "forward_bend.jpg") == b"\xff\xd8JPEG" + bytes([202])
        assert db.get_user(202).consented("keep_photos")
    finally:
        db.close()
    # the TinyDB installation is still there, a fallback until the operator removes it
    assert sorted(p.name for p in path.parent.rglob("*") if ".bak" not in p.name) == before
    still = TinyDBStorage(path)
    try:
        assert still.user_ids() == [101, 202]
    finally:
        still.close()


def test_a_database_written_by_an_older_version_moves_too(tmp_path, url):
    path = tmp_path / "data" / "backcare.json"
    path.parent.mkdir(mode=0o700)
    shutil.copy(V1, path)
    moved = migrate_storage(path, url)
    assert (moved.users, moved.assessments, moved.reminders, moved.outbox, moved.inbox) == (
        3,
        4,
        2,
        3,
        2,
    )


def test_a_target_that_holds_data_is_refused_and_left_alone(tmp_path, url):
    path = _installation(tmp_path)
    db = PostgresStorage(url)
    db.put_state(1, {"someone": "else"})
    db.close()
    with pytest.raises(StorageError, match="already holds data"):
        migrate_storage(path, url)
    db = PostgresStorage(url)
    try:
        assert db.user_ids() == [1] and db.pending() == []
    finally:
        db.close()


def test_a_running_bot_keeps_its_files_and_nothing_is_written(tmp_path, url):
    path = _installation(tmp_path)
    running = TinyDBStorage(path)  # the bot holds the installation's lock
    try:
        with pytest.raises(StorageError):
            migrate_storage(path, url)
    finally:
        running.close()
    db = PostgresStorage(url)
    try:
        assert db.user_ids() == []
    finally:
        db.close()


def test_the_command(tmp_path, url, capsys, monkeypatch):
    path = _installation(tmp_path)
    monkeypatch.setenv("BACKCARE_DATA_DIR", str(path.parent))
    monkeypatch.setenv("BACKCARE_DATABASE_URL", url)
    assert main(["migrate-storage"]) == 0
    out = capsys.readouterr().out
    assert "moved and checked: 2 users, 4 assessments" in out and "left as it was" in out
    # a second run finds the database filled and says so
    assert main(["migrate-storage", "--from", str(path), "--to", url]) == 1
    assert "already holds data" in capsys.readouterr().err
    monkeypatch.delenv("BACKCARE_DATABASE_URL")
    assert main(["migrate-storage"]) == 2
    assert "--to or BACKCARE_DATABASE_URL" in capsys.readouterr().err


def test_a_copy_that_differs_is_undone_and_named(tmp_path, url, monkeypatch):
    from backcare.bot.storage import transfer

    path = _installation(tmp_path)
    fill = transfer._fill

    def lossy(target, data, photos, moved):  # a copy that loses a check-in
        data["checkins"] = dict(list(data["checkins"].items())[:-1])
        fill(target, data, photos, moved)

    monkeypatch.setattr(transfer, "_fill", lossy)
    with pytest.raises(StorageError, match=r"user \d+: checkins differs"):
        migrate_storage(path, url)
    db = PostgresStorage(url)
    try:
        assert db.user_ids() == [] and db.pending() == [] and db.stats()["users_with_photos"] == 0
    finally:
        db.close()
