"""A database in the single-file layout (what versions before the partitions wrote) is spread
into partitions at start, with every patient's data, and the single file kept as a backup.

``data/v1_database.json`` was written by that version's TinyDBStorage: three patients with
profiles, dialog states, sessions, assessments and check-ins, two reminders, replies
waiting in the outbox, updates waiting in the inbox, an admin action.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backcare.bot.storage import StorageCorrupt, TinyDBStorage
from backcare.bot.storage.tinyfile import read_database

V1 = Path(__file__).parent / "data" / "v1_database.json"


@pytest.fixture
def old(tmp_path) -> Path:
    path = tmp_path / "data" / "backcare.json"
    path.parent.mkdir(mode=0o700)
    shutil.copy(V1, path)
    return path


def test_every_users_data_survives_the_migration(old):
    before = json.loads(V1.read_bytes())
    s = TinyDBStorage(old)
    assert s.user_ids() == [101, 202, 303]
    for uid in (101, 202, 303):
        profile = s.get_user(uid)
        assert (profile.language, profile.tz) == ("en", "Europe/Oslo")
        assert profile.consented("keep_photos") == (uid == 101)
        assert profile.created == before["users"][str(uid)]["created"]
        assert s.get_state(uid) == before["states"][str(uid)]
        assert s.get_session(uid) == {"last_update_id": uid * 10, "buttons": ["a", "b"]}
        assert s.checkins(uid) == [{"pain": 3, "note": f"checkin-{uid}"}]
    assert s.assessments(101) == [{"report": "report-101-1"}, {"report": "report-101-2"}]
    assert s.assessments(202) == [{"report": "report-202-1"}]
    reminders = {r.user_id: r for r in s.reminders()}
    assert sorted(reminders) == [101, 303]
    assert reminders[101].next_due == datetime(2030, 1, 6, 7, tzinfo=UTC)
    assert reminders[101].plan["days"] == ["mon"] and not reminders[303].plan["active"]
    # replies waiting keep their ids and order, updates waiting are still to be handled
    assert [(i.id, i.user_id, i.payload["text"]) for i in s.pending()] == [
        (1, 202, "Question 2"),
        (2, 202, "Question 3"),
        (3, 101, "Welcome back"),
    ]
    assert [u["update_id"] for u in s.inbox_pending()] == [7001, 7002]
    (entry,) = s.audit_log()
    assert (entry.admin_id, entry.action) == (42, "reload")
    # new ids continue after the old ones
    (new,) = s.enqueue(303, 303, [{"text": "next"}])
    assert new.id == 4
    s.close()


def test_the_single_file_is_kept_and_the_layout_is_partitioned(old):
    TinyDBStorage(old).close()
    (kept,) = old.parent.glob("backcare.json.v1-*")
    assert kept.read_bytes() == V1.read_bytes()
    assert json.loads(old.read_bytes())["meta"]["1"]["format"] == 2
    assert len(list((old.parent / "backcare.users").glob("*/*.json"))) == 3
    # the whole database as the old file had it (ids of per-user entries aside)
    merged, before = read_database(old), json.loads(V1.read_bytes())
    for table in ("users", "states", "sessions", "reminders", "outbox", "inbox", "audit"):
        assert merged[table] == before[table], table
    # opened again: no second migration
    again = TinyDBStorage(old)
    assert again.get_state(202) == before["states"]["202"]
    again.close()
    assert len(list(old.parent.glob("backcare.json.v1-*"))) == 1


def test_a_migration_cut_short_is_done_again_at_the_next_start(old, monkeypatch):
    from backcare.bot.storage import migrate

    def crash(*args, **kwargs):
        raise OSError("power cut")

    real = migrate.atomic.atomic_write
    calls = []

    def atomic_write(path, data, *args, **kwargs):
        calls.append(path)
        if path == old:  # the last step
            crash()
        real(path, data, *args, **kwargs)

    monkeypatch.setattr(migrate.atomic, "atomic_write", atomic_write)
    with pytest.raises(OSError, match="power cut"):
        TinyDBStorage(old)
    assert old.read_bytes() == V1.read_bytes(), "still the single file"
    monkeypatch.undo()
    s = TinyDBStorage(old)
    assert s.user_ids() == [101, 202, 303] and len(s.pending()) == 3
    s.close()


def test_a_damaged_single_file_is_refused_not_migrated(old):
    data = json.loads(V1.read_bytes())
    data["outbox"]["1"].pop("payload")
    old.write_text(json.dumps(data))
    with pytest.raises(StorageCorrupt, match="outbox 1: field 'payload' is missing"):
        TinyDBStorage(old)
    assert not (old.parent / "backcare.users").exists()
