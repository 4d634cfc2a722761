"""Data files are the service user's alone: folders 0700, files 0600, whatever the umask.

The bot is run as `backcare bot` runs it (backcare.application.serve_bot: TinyDB in the data folder,
backups, the lock, photos kept with consent) under a umask that would otherwise
leave everything readable and writable by every user of the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat

import pytest

from backcare.application.serve_bot import serve
from backcare.bot.dialogs.state import DialogState
from backcare.bot.storage import TinyDBStorage
from tests.reliability.live import STANDING_SIDE, AcceptingServices, FileView, place, state_at
from tests.support.fake_botapi import FakeBotApi
from tests.support.harness import config_for

PATIENT = 97001


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def modes(folder) -> dict[str, int]:
    out = {".": mode(folder)}
    for path in sorted(folder.rglob("*")):
        out[str(path.relative_to(folder))] = mode(path)
    return out


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def services(monkeypatch):
    from backcare.application.pipeline import Pipeline

    accepting = AcceptingServices()
    monkeypatch.setattr(
        Pipeline, "create", classmethod(lambda cls, **kw: contextlib.nullcontext(accepting))
    )
    return accepting


def photos_taken(stored: dict | None) -> int | None:
    """The capture step a stored dialog state is at (None before the capture)."""
    state = DialogState.from_json(stored)
    return state.photos.index if state is not None and state.photos is not None else None


async def run_bot_with_a_kept_photo(data_dir, registry, answers) -> None:
    """serve() with a patient who agreed to keep photos sending one, then a clean stop."""
    state = await state_at(registry, answers, keep_photos=True)
    async with FakeBotApi() as api:
        stop = asyncio.Event()
        running = asyncio.create_task(
            serve(config_for(api, data_dir=data_dir, keep_photos=True), stop)
        )
        await api.wait_for(lambda: api.calls_of("deleteWebhook"), timeout=20)  # started
        view = FileView(data_dir / "backcare.json")
        patient = api.user(PATIENT)
        api.send_text(patient, "/status")  # a first write (and a first user)
        await api.wait_for_message(PATIENT, timeout=10)
        stop.set()
        await asyncio.wait_for(running, 20)
        storage = TinyDBStorage(data_dir / "backcare.json")
        place(storage, PATIENT, state)
        storage.close()
        stop = asyncio.Event()
        running = asyncio.create_task(
            serve(config_for(api, data_dir=data_dir, keep_photos=True), stop)
        )
        api.send_document(patient, STANDING_SIDE.read_bytes(), "IMG_0001.JPG")
        await api.wait_for(lambda: photos_taken(view.get_state(PATIENT)) == 1, timeout=20)
        stop.set()
        await asyncio.wait_for(running, 20)


async def test_every_file_and_folder_the_bot_writes_is_owner_only(
    open_umask, tmp_path, registry, answers
):
    data_dir = tmp_path / "data"
    await run_bot_with_a_kept_photo(data_dir, registry, answers)
    found = modes(data_dir)
    assert {"backcare.json", "backcare.json.bak.1", "backcare.json.lock"} <= set(found)
    assert any(name.startswith("photos/") and name.count("/") == 2 for name in found), found
    wrong = {
        name: oct(m)
        for name, m in found.items()
        if m != (0o700 if (data_dir / name).is_dir() else 0o600)
    }
    assert wrong == {}


async def test_files_left_readable_by_a_restore_by_hand_are_made_private_at_start(
    open_umask, tmp_path, registry, answers
):
    """An operator restores backups with cp (0644 or worse) into a folder made with mkdir."""
    data_dir = tmp_path / "data"
    await run_bot_with_a_kept_photo(data_dir, registry, answers)
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    async with FakeBotApi() as api:
        stop = asyncio.Event()
        running = asyncio.create_task(serve(config_for(api, data_dir=data_dir), stop))
        await api.wait_for(lambda: api.calls_of("deleteWebhook"), timeout=20)
        stop.set()
        await asyncio.wait_for(running, 20)
    wrong = {name: oct(m) for name, m in modes(data_dir).items() if m & 0o077}
    assert wrong == {}, "nothing readable or writable by others"
