"""The TinyDB file backend: partitioned, durable, atomic, private, never reset silently."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime

import pytest

from backcare.bot.storage import (
    Reminder,
    StorageCorrupt,
    StorageError,
    StorageWriteFailed,
    TinyDBStorage,
    UserProfile,
    journal,
    tinyfile,
)
from backcare.bot.storage.documents import SHARED, user_key
from backcare.bot.storage.tinyfile import read_database


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def user_file(store_or_path, user_id):
    from backcare.bot.storage.layout import Layout

    layout = store_or_path.layout if hasattr(store_or_path, "layout") else Layout(store_or_path)
    return layout.file_of(user_key(user_id))


def test_data_survives_reopening(tmp_path):
    s = TinyDBStorage(tmp_path / "db.json")
    s.put_state(1, {"step": "photos"})
    s.add_assessment(1, {"n": 1})
    s.close()
    again = TinyDBStorage(tmp_path / "db.json")
    assert again.get_state(1) == {"step": "photos"}
    assert again.assessments(1) == [{"n": 1}]


def test_each_file_is_plain_tinydb_json(tmp_path):
    from tinydb import TinyDB

    s = TinyDBStorage(tmp_path / "db.json")
    s.put_state(5, {"k": "v"})
    s.enqueue(5, 5, [{"text": "hi"}])
    s.close()
    assert TinyDB(user_file(s, 5)).table("states").get(doc_id=5) == {"k": "v"}
    assert TinyDB(tmp_path / "db.json").table("outbox").get(doc_id=1)["payload"] == {"text": "hi"}


def test_a_user_has_a_file_of_their_own_in_a_sharded_folder(tmp_path):
    s = TinyDBStorage(tmp_path / "db.json")
    for uid in range(1, 41):
        s.put_state(uid, {"uid": uid})
    s.close()
    files = sorted((tmp_path / "db.users").glob("*/*.json"))
    assert len(files) == 40
    assert len({f.parent for f in files}) > 10, "spread over folders"
    assert json.loads(user_file(s, 7).read_bytes()) == {
        "users": {},
        "states": {"7": {"uid": 7}},
        "sessions": {},
        "reminders": {},
        "assessments": {},
        "checkins": {},
    }


def test_files_and_folders_are_owner_only(tmp_path):
    folder = tmp_path / "data"
    s = TinyDBStorage(folder / "db.json")
    s.put_state(1, {"x": 1})
    s.audit(9, "reload")
    s.save_photo(1, "side.jpg", b"jpeg")
    s.close()
    assert mode(folder) == 0o700
    for name in ("db.json", "db.json.journal", "db.audit.json", "db.json.lock"):
        assert mode(folder / name) == 0o600, name
    assert all(mode(b) == 0o600 for b in s.backup_paths() if b.exists())
    assert mode(folder / "db.users") == 0o700 and mode(user_file(s, 1).parent) == 0o700
    assert mode(user_file(s, 1)) == 0o600
    assert mode(folder / "photos" / "1") == 0o700
    assert mode(folder / "photos" / "1" / "side.jpg") == 0o600


def test_a_world_readable_file_is_tightened_at_start(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(3, {"v": 1})
    s.close()
    os.chmod(path, 0o644)
    os.chmod(user_file(s, 3), 0o644)
    os.chmod(user_file(s, 3).parent, 0o755)
    TinyDBStorage(path).close()
    assert mode(path) == 0o600 and mode(user_file(s, 3)) == 0o600
    assert mode(user_file(s, 3).parent) == 0o700


def test_a_turn_writes_only_its_users_partition_and_the_shared_one(tmp_path, monkeypatch):
    s = TinyDBStorage(tmp_path / "db.json", backups=0)
    with s.transaction():
        for uid in range(200):
            s.put_state(uid, {"uid": uid})
    written = []
    real = journal.encode
    monkeypatch.setattr(
        journal, "encode", lambda images: written.append(set(images)) or real(images)
    )
    with s.transaction():  # what a turn does: its state, its replies, its update done
        s.put_state(77, {"step": "q2"})
        s.enqueue(77, 77, [{"text": "Question 2"}])
        s.inbox_done(12345)
    assert written == [{SHARED, user_key(77)}]
    s.close()


def test_memory_holds_a_bounded_number_of_users(tmp_path):
    s = TinyDBStorage(tmp_path / "db.json", backups=0, cache_users=10)
    for uid in range(300):
        s.put_state(uid, {"uid": uid, "pad": "x" * 100})
    assert len(s._parts) <= 12
    assert s.get_state(3) == {"uid": 3, "pad": "x" * 100}, "read back from its file"
    assert len(s.user_ids()) == 300 and len(s._parts) <= 12
    s.close()


def test_a_failed_journal_write_leaves_the_last_good_data(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": "good"})
    good = read_database(path)

    def crash(*args):
        raise OSError("power cut")

    monkeypatch.setattr(journal.os, "pwrite", crash)
    with pytest.raises(StorageWriteFailed, match="power cut"):
        s.put_state(1, {"v": "lost"})
    assert read_database(path) == good
    # memory went back to what the disk has, and the store keeps working
    assert s.get_state(1) == {"v": "good"}
    monkeypatch.undo()
    s.put_state(2, {"v": "after"})
    s.close()
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"v": "good"} and again.get_state(2) == {"v": "after"}


def test_a_crash_while_the_files_are_brought_up_to_date_loses_nothing(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, journal_limit=0)  # every commit also rewrites the files
    s.put_state(1, {"v": "first"})

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(tinyfile.atomic.os, "replace", crash)
    s.put_state(1, {"v": "second"})  # in the journal: the commit stands
    if s._writer is not None:  # the files are written out in the background: let it fail
        s._writer.join(10)
    assert not list(tmp_path.rglob(".*.tmp")), "temp files are cleaned up"
    monkeypatch.undo()
    s._lock_file.close()  # killed: no close, no last write
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"v": "second"}


def test_a_killed_process_loses_no_confirmed_commit_and_a_torn_one_is_ignored(tmp_path, caplog):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": 1})
    s.enqueue(1, 1, [{"text": "reply"}])
    s.put_state(2, {"v": 2})
    s._lock_file.close()  # killed: the files were never brought up to date
    assert json.loads(path.read_bytes())["outbox"] == {}, "only the journal has it"
    with open(tmp_path / "db.json.journal", "ab") as f:
        f.write(journal.encode({user_key(3): b'{"states":{"3":{"v":3}}}'})[:-5])  # cut short
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"v": 1} and again.get_state(2) == {"v": 2}
    assert again.get_state(3) is None
    assert [i.payload for i in again.pending()] == [{"text": "reply"}]
    assert "cut short by a crash" in caplog.text
    assert (tmp_path / "db.json.journal").stat().st_size == 0, "replayed into the files"


def test_temp_files_left_by_a_killed_process_are_removed_at_start(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": 1})
    s.close()
    stale = [tmp_path / ".db.json.abc123.tmp", user_file(s, 1).parent / ".1.json.xyz.tmp"]
    for f in stale:
        f.write_text('{"states": {"1": {"half": "written secret"}}')
    TinyDBStorage(path).close()
    assert not any(f.exists() for f in stale)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: b"",  # emptied
        lambda raw: b"\xff\xfe" + raw,  # binary garbage
        lambda raw: b"[1, 2, 3]",  # valid JSON, not a database
    ],
)
@pytest.mark.parametrize("which", ["main file", "a user's file"])
def test_a_corrupt_file_is_refused_and_left_untouched(tmp_path, damage, which):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": 1})
    s.close()
    damaged = path if which == "main file" else user_file(s, 1)
    broken = damage(damaged.read_bytes())
    damaged.write_bytes(broken)
    with pytest.raises(StorageCorrupt) as info:
        TinyDBStorage(path)
    err = info.value
    assert err.path == damaged and str(damaged) in str(err)
    assert err.backup == tmp_path / "db.json.bak.1" and "db.json.bak.1" in str(err)
    assert f"copy it over {path} to restore" in str(err)
    assert damaged.read_bytes() == broken
    # the backup named is a real, readable database
    assert json.loads(err.backup.read_text())["states"]["1"] == {"v": 1}


def test_a_damaged_document_in_a_users_file_is_refused_with_its_table_and_id(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(4, {"v": 1})
    s.close()
    data = json.loads(user_file(s, 4).read_bytes())
    data["reminders"]["4"] = {"chat_id": 4, "plan": {}, "next_due": "yesterday"}
    user_file(s, 4).write_text(json.dumps(data))
    with pytest.raises(StorageCorrupt, match="reminders 4: field 'next_due'"):
        TinyDBStorage(path)
    data["reminders"] = {}
    data["states"]["5"] = {"v": "someone else's"}
    user_file(s, 4).write_text(json.dumps(data))
    with pytest.raises(StorageCorrupt, match="states 5: kept in the file of user 4"):
        TinyDBStorage(path)


def test_a_missing_main_file_beside_users_data_is_refused(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": 1})
    s.close()
    path.unlink()
    with pytest.raises(StorageCorrupt, match=r"missing while db\.users/ holds"):
        TinyDBStorage(path)
    assert not path.exists()


def test_corrupt_without_backup_says_so(tmp_path):
    path = tmp_path / "db.json"
    path.write_text("{not json")
    with pytest.raises(StorageCorrupt, match="no readable backup") as info:
        TinyDBStorage(path)
    assert "line 1 column 2" in str(info.value)


def test_backups_rotate_and_stay_bounded(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=2, backup_interval=0.0)
    for i in range(5):
        s.put_state(1, {"v": i})
        s._backup_thread.join()  # backups are written in the background
    names = sorted(p.name for p in tmp_path.glob("db.json.bak*"))
    assert names == ["db.json.bak.1", "db.json.bak.2"]
    latest = json.loads((tmp_path / "db.json.bak.1").read_text())
    older = json.loads((tmp_path / "db.json.bak.2").read_text())
    assert latest["states"]["1"] == {"v": 4} and older["states"]["1"] == {"v": 3}
    s.close()


def test_a_backup_holds_the_whole_database_in_the_single_file_layout(tmp_path):
    from tinydb import TinyDB

    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    for uid in (1, 2):
        s.put_user(UserProfile(uid, language="en"))
        s.put_state(uid, {"v": uid})
        s.add_assessment(uid, {"n": uid})
    s.enqueue(2, 2, [{"text": "waiting"}])
    s.audit(9, "reload")
    s.close()
    backup = TinyDB(tmp_path / "db.json.bak.1")
    assert sorted(d.doc_id for d in backup.table("states").all()) == [1, 2]
    assert [d["entry"] for d in backup.table("assessments").all()] == [{"n": 1}, {"n": 2}]
    assert backup.table("outbox").all()[0]["payload"] == {"text": "waiting"}
    assert backup.table("audit").all()[0]["action"] == "reload"
    assert backup.table("meta").get(doc_id=1) == {"format": 1}


def test_a_backup_copied_over_the_main_file_restores_the_database(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": "old"})
    s.close()
    s = TinyDBStorage(path)
    s.put_state(1, {"v": "new"})
    s.put_state(2, {"v": "joined later"})
    s.close()
    path.write_bytes((tmp_path / "db.json.bak.2").read_bytes())  # at the start of the 2nd run
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"v": "old"} and again.get_state(2) is None
    (aside,) = tmp_path.glob("db.users.replaced-*")  # nothing is thrown away
    assert again.user_ids() == [1]
    again.delete_user(2)  # an erase reaches what was set aside too
    assert not list(aside.rglob("2.json"))
    again.close()


def test_delete_user_also_scrubs_the_journal_and_the_backups(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=3)
    s.put_user(UserProfile(424242, language="en"))
    s.put_state(424242, {"answer": "secret-answer-xyz"})
    s.put_state(7, {"answer": "keep-me"})
    s.add_assessment(424242, {"report": "secret-answer-xyz"})
    s.inbox_add(99, 424242, {"update_id": 99, "text": "secret-answer-xyz"})
    s.close()
    s = TinyDBStorage(path, backups=3)
    assert b"secret-answer-xyz" in (tmp_path / "db.json.bak.1").read_bytes()
    s.put_state(424242, {"answer": "secret-answer-xyz", "more": 1})  # in the journal
    assert b"secret-answer-xyz" in (tmp_path / "db.json.journal").read_bytes()
    (tmp_path / "db.json.bak.3").write_text("{broken")  # cannot be scrubbed: must go
    s.delete_user(424242)
    for f in tmp_path.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            assert b"secret-answer-xyz" not in raw and b"424242" not in raw, f.name
    assert not (tmp_path / "db.json.bak.3").exists()
    assert b"keep-me" in user_file(s, 7).read_bytes()
    assert json.loads((tmp_path / "db.json.bak.1").read_text())["states"]["7"] == {
        "answer": "keep-me"
    }
    s.close()


def test_concurrent_commits_are_grouped_and_all_saved(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=0)
    writes = []
    real = journal.Journal.append

    def counted(self, record):
        writes.append(len(record))
        real(self, record)

    monkeypatch.setattr(journal.Journal, "append", counted)
    barrier = threading.Barrier(16)

    def patient(uid):
        barrier.wait()
        for i in range(10):
            with s.transaction():
                s.put_state(uid, {"i": i})
                s.enqueue(uid, uid, [{"text": str(i)}])

    threads = [threading.Thread(target=patient, args=(u,)) for u in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 0 < len(writes) < 160
    s.close()
    again = TinyDBStorage(path)
    assert all(again.get_state(u) == {"i": 9} for u in range(16))
    assert len(again.pending()) == 160


def test_a_second_process_cannot_open_the_same_file(tmp_path):
    first = TinyDBStorage(tmp_path / "db.json")
    with pytest.raises(StorageError, match="in use by another process"):
        TinyDBStorage(tmp_path / "db.json")
    first.close()
    TinyDBStorage(tmp_path / "db.json").close()


def test_a_file_from_another_format_version_is_refused(tmp_path):
    path = tmp_path / "db.json"
    path.write_text(json.dumps({"meta": {"1": {"format": 99}}}))
    with pytest.raises(StorageCorrupt, match="format 99"):
        TinyDBStorage(path)


def test_changes_made_without_waiting_reach_the_disk_moments_later(tmp_path):
    import time

    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=0)
    first, second = s.enqueue(1, 1, [{"text": "a"}, {"text": "b"}])

    def on_disk() -> list[int]:
        return sorted(int(i) for i in read_database(path)["outbox"])

    s.mark_sent(first.id, wait=False)
    assert [i.id for i in s.pending()] == [second.id], "in effect at once"
    deadline = time.monotonic() + 5
    while on_disk() != [second.id] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert on_disk() == [second.id], "written in the background"
    s.mark_sent(second.id, wait=False)
    s.close()  # close writes whatever is still waiting
    assert TinyDBStorage(path).pending() == []


def test_reminders_of_every_user_are_found_at_start(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, cache_users=4)
    due = datetime(2030, 1, 6, 8, tzinfo=UTC)
    for uid in range(1, 31):
        s.put_state(uid, {"v": uid})
        if uid % 3 == 0:
            s.put_reminder(Reminder(uid, uid, {"active": uid % 2 == 0}, due))
    s.close()
    again = TinyDBStorage(path, cache_users=4)
    assert [r.user_id for r in again.reminders()] == list(range(3, 31, 3))
    stats = again.stats()
    assert stats["users"] == 30 and stats["reminders_active"] == 5
    again.close()


def test_a_full_journal_is_written_out_in_the_background_and_nothing_is_lost(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=0, journal_limit=2000)
    for i in range(60):
        with s.transaction():
            s.put_state(i % 7, {"i": i, "pad": "x" * 200})
            s.enqueue(i % 7, i % 7, [{"text": f"reply {i}"}])
        if s._writer is not None:
            s._writer.join()
    journal_size = (tmp_path / "db.json.journal").stat().st_size
    assert journal_size < 2000 + 2000, "set aside once full"
    assert not (tmp_path / "db.json.journal.old").exists(), "written out, then removed"
    assert json.loads(user_file(s, 3).read_bytes())["states"]["3"]["i"] >= 3
    s._lock_file.close()  # killed
    again = TinyDBStorage(path)
    assert [again.get_state(u)["i"] for u in range(7)] == [56, 57, 58, 59, 53, 54, 55]
    assert len(again.pending()) == 60
    again.close()


def test_a_write_out_cut_short_is_finished_from_the_set_aside_journal(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=0, journal_limit=500)
    s.put_state(1, {"v": "before"})

    def crash(images):
        raise OSError("power cut")

    monkeypatch.setattr(s, "_write_files", crash)
    s.put_state(1, {"v": "x" * 600})  # fills the journal: set aside, the write-out fails
    s._writer.join()
    assert (tmp_path / "db.json.journal.old").exists()
    s.put_state(2, {"v": "after"})  # in the new journal
    s._lock_file.close()  # killed
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"v": "x" * 600} and again.get_state(2) == {"v": "after"}
    assert not (tmp_path / "db.json.journal.old").exists()
    again.close()
