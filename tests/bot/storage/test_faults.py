"""A save the disk refuses (full, read-only, failing) raises StorageUnavailable, names why,
and changes nothing: what was saved before is intact on disk and in memory, and the same
change succeeds once the disk takes writes again."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
import uuid

import pytest

from backcare.bot.storage import (
    StorageError,
    StorageUnavailable,
    StorageWriteFailed,
    TinyDBStorage,
    journal,
)
from backcare.bot.storage.tinyfile import read_database


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (errno.ENOSPC, "disk full"),
        (errno.EROFS, "read-only file system"),
        (errno.EIO, "input/output error"),
    ],
)
def test_a_refused_write_raises_storage_unavailable_and_keeps_the_last_good_data(
    tmp_path, monkeypatch, code, reason
):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"step": "q1"})
    s.enqueue(1, 1, [{"text": "Question 1"}])
    good = read_database(path)
    size = (tmp_path / "db.json.journal").stat().st_size

    def refuse(*args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(journal.os, "pwrite", refuse)
    with pytest.raises(StorageUnavailable) as info, s.transaction():
        s.put_state(1, {"step": "q2"})
        s.enqueue(1, 1, [{"text": "Question 2"}])
    assert info.value.reason == reason and reason in str(info.value)
    assert isinstance(info.value, StorageWriteFailed) and isinstance(info.value, StorageError)
    assert read_database(path) == good
    assert (tmp_path / "db.json.journal").stat().st_size == size
    assert s.get_state(1) == {"step": "q1"} and len(s.pending()) == 1
    monkeypatch.undo()
    with s.transaction():  # the bot retries the same turn
        s.put_state(1, {"step": "q2"})
        s.enqueue(1, 1, [{"text": "Question 2"}])
    s.close()
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"step": "q2"} and len(again.pending()) == 2
    again.close()


def test_a_write_cut_short_by_a_full_disk_leaves_no_torn_record(tmp_path, monkeypatch):
    path = tmp_path / "db.json"
    s = TinyDBStorage(path)
    s.put_state(1, {"v": 1})
    real = os.pwrite

    def half(fd, data, offset):  # the first bytes go, then the disk is full
        if len(data) > 20:
            return real(fd, bytes(data[:20]), offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal.os, "pwrite", half)
    with pytest.raises(StorageUnavailable, match="disk full"):
        s.put_state(1, {"v": 2})
    monkeypatch.undo()
    s.put_state(2, {"v": 3})
    s._lock_file.close()  # killed: the journal is all there is
    again = TinyDBStorage(path)
    assert again.get_state(1) == {"v": 1} and again.get_state(2) == {"v": 3}
    again.close()


def test_a_background_write_that_fails_is_logged_and_retried_by_the_next_commit(
    tmp_path, monkeypatch, caplog
):
    s = TinyDBStorage(tmp_path / "db.json")
    (item,) = s.enqueue(1, 1, [{"text": "hello"}])

    def refuse(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal.os, "pwrite", refuse)
    s.mark_sent(item.id, wait=False)
    deadline = time.monotonic() + 5
    while "background write failed" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "disk full" in caplog.text
    assert [i.id for i in s.pending()] == [item.id], "back to what the disk has"
    monkeypatch.undo()
    s.mark_sent(item.id)
    assert s.pending() == []
    s.close()


# -- a real full disk: a small tmpfs (root only) ------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    # 1 MB: once the filler goes, the room must hold what the store writes for ten
    # patients (journal set aside and written out per user, a backup), each file and
    # folder a whole 4 KB page on tmpfs; 256 KB filled up again with the store's own data.
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder) -> None:
    """Take every free byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_a_full_disk_refuses_saves_calmly_and_nothing_is_lost(tiny_disk):
    path = tiny_disk / "data" / "backcare.json"
    s = TinyDBStorage(path, backups=1, journal_limit=32 << 10)
    for uid in range(1, 11):
        s.put_state(uid, {"step": "q3", "answers": {"pain": uid}})
    fill(tiny_disk)
    failures = 0
    # storage's own documents (no dialog state): read by key on purpose
    for uid in range(1, 11):
        try:
            with s.transaction():
                s.put_state(uid, {"step": "q4", "note": "x" * 4000})
                s.enqueue(uid, uid, [{"text": "Question 4", "pad": "y" * 4000}])
        except StorageUnavailable as exc:
            assert exc.reason == "disk full"
            failures += 1
            assert s.get_state(uid)["step"] == "q3", "memory keeps the last saved version"
    assert failures, "the disk was full"
    saved = read_database(path)
    (tiny_disk / "filler").unlink()  # the operator makes room
    for uid in range(1, 11):
        if s.get_state(uid)["step"] == "q3":
            with s.transaction():
                s.put_state(uid, {"step": "q4", "note": "x" * 4000})
                s.enqueue(uid, uid, [{"text": "Question 4", "pad": "y" * 4000}])
    s.close()
    again = TinyDBStorage(path, backups=1)
    assert all(again.get_state(uid)["step"] == "q4" for uid in range(1, 11))
    assert len(again.pending()) == 10
    assert all(saved["states"][str(u)]["step"] in ("q3", "q4") for u in range(1, 11))
    again.close()
