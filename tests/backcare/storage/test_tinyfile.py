"""The TinyDB file backend: durable, atomic, private, never reset silently."""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

from backcare.storage import (
    StorageCorrupt,
    StorageError,
    StorageWriteFailed,
    TinyDBStorage,
    UserProfile,
    atomic,
    tinyfile,
)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_survives_reopening(tmp_path):
    s = TinyDBStorage(tmp_path / "db.json")
    s.put_state(1, {"step": "photos"})
    s.add_assessment(1, {"n": 1})
    s.close()
    again = TinyDBStorage(tmp_path / "db.json")
    assert again.get_state(1) == {"step": "photos"}
    assert again.assessments(1) == [{"n": 1}]


def test_the_file_is_plain_tinydb_json(tmp_path):
    from tinydb import TinyDB

    s = TinyDBStorage(tmp_path / "db.json")
    s.put_state(5, {"k": "v"})
    s.close()
    assert TinyDB(tmp_path / "db.json").table("states").get(doc_id=5) == {"k": "v"}


def test_files_and_folders_are_owner_only(tmp_path):
    folder = tmp_path / "data"
    s = TinyDBStorage(folder / "db.json")
    s.put_state(1, {"x": 1})
    s.save_photo(1, "side.jpg", b"jpeg")
    assert mode(folder) == 0o700
    assert mode(folder / "db.json") == 0o600
    assert all(mode(b) == 0o600 for b in s.backup_paths() if b.exists())
    assert mode(folder / "photos" / "1") == 0o700
    assert mode(folder / "photos" / "1" / "side.jpg") == 0o600


def test_a_world_readable_file_is_tightened_at_start(tmp_path):
    path = tmp_path / "db.json"
    TinyDBStorage(path).close()
    os.chmod(path, 0o644)
    TinyDBStorage(path).close()
    assert mode(path) == 0o600


def test_a_crash_mid_write_leaves_the_last_good_file(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": "good"})
    good = path.read_bytes()

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(StorageWriteFailed, match="power cut"):
        s.put_state(1, {"v": "lost"})
    assert path.read_bytes() == good
    assert not list(tmp_path.glob(".db.json.*.tmp")), "temp file must be cleaned up"
    # memory went back to what the disk has, and the store keeps working
    assert s.get_state(1) == {"v": "good"}
    monkeypatch.undo()
    s.put_state(2, {"v": "after"})
    s.close()
    assert TinyDBStorage(path).get_state(2) == {"v": "after"}


def test_temp_files_left_by_a_killed_process_are_removed_at_start(tmp_path):
    path = tmp_path / "db.json"
    TinyDBStorage(path).close()
    stale = tmp_path / ".db.json.abc123.tmp"
    stale.write_text('{"states": {"1": {"half": "written secret"}}')
    TinyDBStorage(path).close()
    assert not stale.exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: b"",  # emptied
        lambda raw: b"\xff\xfe" + raw,  # binary garbage
        lambda raw: b"[1, 2, 3]",  # valid JSON, not a database
    ],
)
def test_a_corrupt_file_is_refused_and_left_untouched(tmp_path, damage):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": 1})
    s.close()
    broken = damage(path.read_bytes())
    path.write_bytes(broken)
    with pytest.raises(StorageCorrupt) as info:
        TinyDBStorage(path)
    err = info.value
    assert err.path == path and str(path) in str(err)
    assert err.backup == tmp_path / "db.json.bak.1" and "db.json.bak.1" in str(err)
    assert path.read_bytes() == broken
    # the backup named is a real, readable database
    assert json.loads(err.backup.read_text())["states"]["1"] == {"v": 1}


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
    names = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".lock")
    assert names == ["db.json", "db.json.bak.1", "db.json.bak.2"]
    latest = json.loads((tmp_path / "db.json.bak.1").read_text())
    older = json.loads((tmp_path / "db.json.bak.2").read_text())
    assert latest["states"]["1"] == {"v": 4} and older["states"]["1"] == {"v": 3}


def test_delete_user_also_scrubs_the_backups(tmp_path):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=3)
    s.put_user(UserProfile(424242, language="en"))
    s.put_state(424242, {"answer": "secret-answer-xyz"})
    s.put_state(7, {"answer": "keep-me"})
    s.add_assessment(424242, {"report": "secret-answer-xyz"})
    s.close()
    s = TinyDBStorage(path, backups=3)
    assert b"secret-answer-xyz" in (tmp_path / "db.json.bak.1").read_bytes()
    (tmp_path / "db.json.bak.3").write_text("{broken")  # cannot be scrubbed: must go
    s.delete_user(424242)
    for f in tmp_path.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            assert b"secret-answer-xyz" not in raw and b"424242" not in raw, f.name
    assert not (tmp_path / "db.json.bak.3").exists()
    assert b"keep-me" in path.read_bytes()


def test_concurrent_commits_are_grouped_and_all_saved(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path, backups=0)
    writes = []
    real = tinyfile.atomic.atomic_write

    def counted(p, data, mode=0o600):
        writes.append(p)
        real(p, data, mode)

    monkeypatch.setattr(tinyfile.atomic, "atomic_write", counted)
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
    s.mark_sent(first.id, wait=False)
    assert [i.id for i in s.pending()] == [second.id], "in effect at once"
    deadline = time.monotonic() + 5
    while b'"a"' in path.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert b'"a"' not in path.read_bytes(), "written in the background"
    s.mark_sent(second.id, wait=False)
    s.close()  # close writes whatever is still waiting
    assert TinyDBStorage(path).pending() == []
