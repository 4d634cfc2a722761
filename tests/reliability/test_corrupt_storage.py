"""A damaged database at start: the bot refuses to run, says which file and which backup,
and touches nothing. Starting on an empty database instead would silently lose every
patient's answers, results and reminders, and a bot that half-runs on damaged data
fails patients one by one without anyone noticing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from backcare.application.serve_bot import serve
from backcare.bot.storage import StorageCorrupt, TinyDBStorage
from backcare.bot.storage.documents import SHARED, user_key
from backcare.bot.storage.layout import Layout
from tests.reliability.live import REPO, NoPhotos, live_bot, place, state_at
from tests.support.fake_botapi import FakeBotApi
from tests.support.harness import config_for
from tests.support.patients import Patient

PATIENTS = (51001, 51002)


@pytest.fixture
async def history(data_file, registry, answers):
    """A database written by earlier runs: two patients, three rotated backups."""
    at_photos = await state_at(registry, answers)
    for run in range(3):  # every start and stop rotates a backup
        storage = TinyDBStorage(data_file)
        for patient in PATIENTS:
            place(storage, patient, {**at_photos, "run": run})
        storage.close()
    backups = [data_file.with_name(f"backcare.json.bak.{i}") for i in (1, 2, 3)]
    assert all(b.exists() for b in backups)
    return backups


def snapshot(folder) -> dict[str, bytes]:
    """Every file of the data folder (users' partitions included) but the lock."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".lock"
    }


@pytest.fixture(autouse=True)
def no_vision(monkeypatch):
    """serve() builds the vision pool after opening the storage; these patients send no photos."""
    import contextlib

    from backcare.application.pipeline import Pipeline

    monkeypatch.setattr(
        Pipeline, "create", classmethod(lambda cls, **kw: contextlib.nullcontext(NoPhotos()))
    )


async def refused_start(data_file) -> tuple[StorageCorrupt, FakeBotApi]:
    """What `backcare bot` does with ``data_file`` (serve(): storage, dialogs, polling)."""
    async with FakeBotApi() as api:
        stop = asyncio.Event()
        running = asyncio.create_task(serve(config_for(api, data_dir=data_file.parent), stop))
        done, _ = await asyncio.wait([running], timeout=5)
        if not done:
            stop.set()
            await running
            pytest.fail("the bot started on a damaged database")
        with pytest.raises(StorageCorrupt) as info:
            running.result()
    return info.value, api


async def test_a_truncated_database_stops_the_start_and_names_the_last_good_backup(
    history, data_file
):
    raw = data_file.read_bytes()
    data_file.write_bytes(raw[: len(raw) * 2 // 3])  # a write cut short (disk full, copy)
    before = snapshot(data_file.parent)

    error, api = await refused_start(data_file)
    message = str(error)
    assert str(data_file) in message and "unreadable" in message and "invalid JSON" in message
    assert error.backup == history[0] and str(history[0]) in message
    assert "left untouched" in message and "copy it over" in message
    assert snapshot(data_file.parent) == before, "the file and every backup are as they were"
    assert api.calls == [], "Telegram was not contacted: no update taken that could be lost"


async def test_when_the_newest_backup_is_damaged_too_the_next_one_is_named(history, data_file):
    data_file.write_bytes(b"")
    history[0].write_bytes(history[0].read_bytes()[:100])
    error, _ = await refused_start(data_file)
    assert error.backup == history[1]
    assert "the file is empty" in str(error) and str(history[1]) in str(error)
    assert history[0].read_bytes()[:100] == history[0].read_bytes(), "the damaged backup is kept"


async def test_restoring_the_named_backup_brings_every_patient_back(history, data_file, registry):
    data_file.write_bytes(b"\x00" * 4096)  # a block of zeros after a crash
    error, _ = await refused_start(data_file)
    data_file.write_bytes(error.backup.read_bytes())  # what the message tells the operator
    async with live_bot(data_file, registry, files=True) as bot:
        for patient_id in PATIENTS:
            patient = Patient(bot, patient_id)
            assert patient.step == "photos" and patient.dialog.extra["run"] == 2
            await patient.say("/status")
            assert "photo" in patient.messages[-1].plain.lower()


def test_backcare_bot_exits_with_the_message_and_no_traceback(tmp_path):
    data = tmp_path / "data"
    TinyDBStorage(data / "backcare.json").close()
    (data / "backcare.json").write_text('{"states": {"1": {"step": "pho')
    env = {
        **os.environ,
        "BACKCARE_TELEGRAM_TOKEN": "123456:abcdefghijklmnop",
        "BACKCARE_DATA_DIR": str(data),
        "BACKCARE_API_BASE_URL": "http://127.0.0.1:9/bot",
    }
    done = subprocess.run(
        [sys.executable, "-m", "backcare.application.cli", "bot"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"backcare: storage file {data / 'backcare.json'} is unreadable" in done.stderr
    assert "backcare.json.bak.1" in done.stderr
    assert (data / "backcare.json").read_text() == '{"states": {"1": {"step": "pho'


# Valid JSON, damaged inside: a bit flipped in a key, a hand edit gone wrong, a file
# from a buggy version. Each would otherwise crash the start with a bare traceback, or
# let the bot run and fail the patients concerned at every message.
DAMAGED_DOCUMENTS = {
    "a reply waiting to be sent has no payload": (
        "outbox",
        "1",
        {"user_id": 5, "chat_id": 5, "created": "2030-01-01T00:00:00+00:00"},
    ),
    "an update waiting to be handled has no update": (
        "inbox",
        "9",
        {"user_id": 5, "received": "2030-01-01T00:00:00+00:00"},
    ),
    "a reminder's next time is not a time": (
        "reminders",
        "5",
        {"chat_id": 5, "plan": {"days": [1]}, "next_due": "yesterday"},
    ),
    "a document id is not a number": ("states", "abc", {"v": 1, "step": "consent"}),
    "a dialog state is not an object": ("states", "5", "garbage"),
    "a session is not an object": ("sessions", "5", 3),
    "a user profile has unknown fields": ("users", "5", {"nonsense": True}),
    "an assessment has no user": (
        "assessments",
        "1",
        {"created": "2030-01-01T00:00:00+00:00", "entry": {}},
    ),
}


@pytest.mark.parametrize("damage", DAMAGED_DOCUMENTS.values(), ids=DAMAGED_DOCUMENTS.keys())
async def test_a_damaged_document_inside_valid_json_is_refused_at_start(history, data_file, damage):
    table, doc_id, document = damage
    # into the file that holds the table: the shared one, or the user's (user 5's; a
    # document id that is not a number goes to a patient's file)
    key = (
        SHARED if table in ("outbox", "inbox") else user_key(5 if doc_id.isdigit() else PATIENTS[0])
    )
    file = Layout(data_file).file_of(key)
    data = json.loads(file.read_bytes()) if file.exists() else {}
    data.setdefault(table, {})[doc_id] = document
    file.parent.mkdir(mode=0o700, exist_ok=True)
    file.write_text(json.dumps(data))
    before = snapshot(data_file.parent)
    error, api = await refused_start(data_file)
    assert f"{table} {doc_id}" in error.reason, error.reason
    assert error.path == file and error.backup == history[0]
    assert snapshot(data_file.parent) == before and api.calls == []
