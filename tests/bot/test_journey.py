"""End to end: scripted patients through the real bot, dialogs, pipeline and MediaPipe.

Everything is real except Telegram, which is the local fake Bot API server:
python-telegram-bot's Application, the durable intake, the dialogs with
interview.yaml, photo analysis in the vision worker pool, reasoning, the
program, TinyDB storage on disk, the JobQueue for reminders.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backcare.application.pipeline import Pipeline
from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.dialogs.state import DialogState
from backcare.bot.storage import Reminder, TinyDBStorage
from backcare.bot.storage.tinyfile import read_database
from backcare.interview import InterviewRegistry, load_answers
from tests.support.fake_botapi import Fault
from tests.support.harness import BotHarness
from tests.support.patients import Patient, photo
from tests.support.storage import backend

# PTB's own RetryAfter warns about its coming change to timedelta whenever a 429 is built
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


ANSWERS = "tests/backcare/interview/answers_healthy.yaml"
MB = 1024 * 1024


@pytest.fixture(scope="session")
def pipeline():
    from backcare.vision.pool import PoseService

    service = PoseService(workers=1)
    yield Pipeline(service)
    service.close()


@pytest.fixture(scope="session")
def registry(repo_root):
    return InterviewRegistry(repo_root / "interview.yaml")


@pytest.fixture(scope="session")
def answers(repo_root, registry):
    return load_answers(repo_root / ANSWERS, registry.current)


@pytest.fixture
def data_file(tmp_path):
    return tmp_path / "data" / "backcare.json"


@pytest.fixture
async def live(pipeline, registry, data_file, make_storage):
    storage = make_storage(data_file)
    dialogs = Dialogs(services=pipeline, interviews=registry)
    async with BotHarness(
        dialogs, storage, interviews=registry, config={"admin_ids": frozenset({4242})}
    ) as bot:
        yield bot
    storage.close()


async def test_a_patient_goes_through_the_whole_journey(live, registry, answers):
    patient = Patient(live, 20001, name="Aiko")
    await patient.start()
    assert patient.step == "consent"
    await patient.consent()

    # half the interview, then the bot restarts (a deploy, a crash): nothing is lost
    await patient.interview(registry.current, answers, until=lambda qid: qid == "worse")
    asked = patient.dialog.asked()
    await live.restart()
    assert patient.dialog.asked() == asked
    await patient.interview(registry.current, answers)
    assert patient.step == "photos"
    assert patient.dialog.answers()["notes"] == "Worse after long meetings."

    # four photos one by one, the other four as one album
    from backcare.kernel.vocabulary import vocabulary

    steps = list(vocabulary().movements)
    while patient.step == "photos" and (progress := patient.dialog.photos) and progress.index < 4:
        step = steps[progress.index]
        if progress.tries.get(step):
            await patient.press(buttons.PHOTO_SKIP)
        else:
            await patient.send_photo(photo(step), label=f"photo: {step}")
    await patient.send_album([photo(s) for s in steps[4:]])
    await patient.photos()  # skips what is still missing
    assert patient.step == "results", patient.transcript()

    messages = patient.messages
    pictures = [m for m in messages if m.kind == "photo"]
    assert pictures, "annotated pictures are shown"
    assert any(m.media_group_id for m in pictures), "the results' pictures come as a media group"
    assert any(m.edits for m in messages if "analys" in m.plain.lower()), "progress was shown"
    report = patient.dialog.report
    assert report["program"]["exercises"], "a program for a healthy red-flag-free patient"
    assert live.storage.assessments(patient.id) == [report]

    # reminders: every day at 08:00 London time
    await patient.press(buttons.REMINDERS_SET)
    await patient.press(buttons.ALL_DAYS)
    await patient.press(buttons.DAYS_DONE)
    await patient.press(buttons.time("08:00"))
    await patient.press(buttons.zone("Europe/London"))
    assert patient.step == "active"
    stored = live.storage.get_reminder(patient.id)
    assert stored.plan == {
        "days": [0, 1, 2, 3, 4, 5, 6],
        "time": "08:00",
        "tz": "Europe/London",
        "active": True,
    }

    # the reminder fires (made due now; it survives a restart in between)
    await live.stop()
    live.storage.put_reminder(
        Reminder(
            patient.id, stored.chat_id, stored.plan, datetime.now(UTC) + timedelta(seconds=0.3)
        )
    )
    await live.start()
    exercise = report["program"]["exercises"][0]["name"]["en"]
    reminder = await live.api.wait_for_message(
        patient.id,
        where=lambda m: exercise in m.plain and m.message_id > messages[-1].message_id,
        timeout=10,
    )
    assert any(b.get("url") for b in reminder.buttons), "exercise videos as link buttons"
    await live.settle()
    assert live.storage.get_reminder(patient.id).next_due > datetime.now(UTC)
    print("\n" + patient.transcript())


@pytest.mark.slow  # a second whole journey; tests/security/test_delete.py is the fast check
async def test_delete_after_a_journey_leaves_no_trace(
    live, registry, answers, data_file, make_storage
):
    patient = Patient(live, 987650001)
    other = Patient(live, 20002)
    for p in (patient, other):
        await p.start()
        await p.consent()
        await p.interview(registry.current, answers)
    await patient.send_photo(photo("standing_side"))
    await patient.say("/delete")
    await patient.press_label("Yes, erase everything")
    assert patient.messages[-1].plain.startswith("Everything about you has been erased")
    await live.stop()
    live.storage.close()
    if backend() == "embedded":  # the files themselves: no trace in the data, journal, backups
        for f in data_file.parent.rglob("*"):
            if f.is_file():
                raw = f.read_bytes()
                assert b"987650001" not in raw, f.name
        assert "20002" in read_database(data_file)["states"], "the other patient is untouched"
    live.storage = make_storage(data_file)
    assert live.storage.get_state(patient.id) is None
    assert live.storage.get_state(other.id) is not None
    await live.start()


async def test_admin_commands_are_invisible_to_patients(live):
    patient = Patient(live, 20003)
    await patient.start()
    await patient.say("/definitely_not_a_command")
    unknown = patient.messages[-1].plain
    for command in ("/admin_reload", "/admin_version", "/admin_stats"):
        await patient.say(command)
        assert (
            patient.messages[-1].plain == unknown.replace("definitely_not_a_command", command[1:])
            or patient.messages[-1].plain == unknown
        )
    assert live.storage.audit_log() == []
    admin = Patient(live, 4242)
    await admin.say("/admin_stats")
    assert "Users:" in admin.messages[-1].plain
    assert [e.action for e in live.storage.audit_log()] == ["admin_stats"]


async def test_oversized_corrupt_and_odd_files_get_clear_answers(live, registry, answers):
    patient = Patient(live, 20004)
    await patient.start()
    await patient.consent()
    await patient.interview(registry.current, answers)
    assert patient.step == "photos"
    live.api.send_document(patient.user, b"x", "huge.jpg", size=25 * MB)
    await patient.settle()
    assert patient.messages[-1].plain.startswith("This file is too large (25 MB)")
    await patient.send_file(b"\xff\xd8\xff\xe0 this is not really a jpeg", "broken.jpg")
    assert patient.dialog.photos.index == 0
    assert patient.dialog.photos.results["standing_side"]["accepted"] is False
    await patient.send_file(b"%PDF-1.7", "scan.pdf", mime="application/pdf")
    assert patient.messages[-1].plain.startswith("I can only analyse pictures")
    await patient.send_file(photo("standing_side"), "IMG_0001.JPG", mime="image/jpeg")
    assert patient.dialog.photos.results["standing_side"]["reason"] != "corrupt"


async def test_a_429_during_the_journey_delays_but_loses_nothing(live):
    patient = Patient(live, 20005)
    live.api.faults.append(Fault("sendMessage", 429, retry_after=1))
    await patient.start()
    assert patient.messages, "the reply came after the wait"
    assert [c.status for c in live.api.calls_of("sendMessage")][:2] == [429, 200]
    await patient.consent()
    assert patient.step == "interview"


async def test_serve_runs_the_real_bot_until_told_to_stop(pipeline, tmp_path, monkeypatch):
    """What `backcare bot` runs: TinyDB in the data folder, the dialogs, a graceful stop."""
    import asyncio
    from contextlib import nullcontext

    from backcare.application.serve_bot import serve
    from tests.support.fake_botapi import FakeBotApi
    from tests.support.harness import config_for

    monkeypatch.setattr(Pipeline, "create", classmethod(lambda cls, **kw: nullcontext(pipeline)))
    async with FakeBotApi() as api:
        config = config_for(api, data_dir=tmp_path / "data")
        stop = asyncio.Event()
        running = asyncio.create_task(serve(config, stop))
        patient = api.user(30001)
        api.send_text(patient, "/start")
        welcome = await api.wait_for_message(patient.id, timeout=20)
        assert welcome.plain.startswith("Welcome to backcare")
        stop.set()
        await asyncio.wait_for(running, 20)
    stored = TinyDBStorage(tmp_path / "data" / "backcare.json")
    assert DialogState.from_json(stored.get_state(patient.id)).step == "consent"
    assert stored.pending() == [] and stored.inbox_pending() == []
    stored.close()


@pytest.mark.parametrize("keep", [False, True])
async def test_the_real_bot_asks_to_keep_photos_only_when_it_keeps_them(
    pipeline, tmp_path, monkeypatch, keep
):
    """Issue 16: "may I keep your photos for 30 days?" was asked with keeping switched off,
    so a patient who agreed was promised what would not happen. The deployment's switch
    (BACKCARE_KEEP_PHOTOS) decides what the real bot asks."""
    import asyncio
    from contextlib import nullcontext

    from backcare.application.serve_bot import serve
    from backcare.bot.dialogs.engine import Policy
    from backcare.bot.dialogs.texts import default_texts
    from tests.support.fake_botapi import FakeBotApi
    from tests.support.harness import config_for

    texts = default_texts()
    monkeypatch.setattr(Pipeline, "create", classmethod(lambda cls, **kw: nullcontext(pipeline)))
    async with FakeBotApi() as api:
        config = config_for(api, data_dir=tmp_path / "data", keep_photos=keep)
        stop = asyncio.Event()
        running = asyncio.create_task(serve(config, stop))
        patient = api.user(30002)
        api.send_text(patient, "/start")
        consent = await api.wait_for_message(patient.id, timeout=20, where=lambda m: m.buttons)
        api.press(patient, consent, texts.get("consent.agree", "en"))
        after = await api.wait_for_message(patient.id, after=consent.message_id, timeout=20)
        stop.set()
        await asyncio.wait_for(running, 20)
    asked = texts.get("consent.photos", "en", photo_days=Policy().photo_days)
    assert (after.plain == asked) is keep, after.plain
    stored = TinyDBStorage(tmp_path / "data" / "backcare.json")
    step = DialogState.from_json(stored.get_state(patient.id)).step
    stored.close()
    assert (step == "photo_consent") is keep, step


def test_a_corrupt_database_stops_the_bot_with_the_file_and_its_backup(tmp_path, monkeypatch):
    from backcare.application.serve_bot import run
    from backcare.bot.config import BotConfig
    from backcare.kernel import logs

    monkeypatch.setattr(logs, "setup", lambda *a, **k: None)  # keep pytest's log capture
    data = tmp_path / "data"
    TinyDBStorage(data / "backcare.json").close()
    (data / "backcare.json").write_text('{"states": {"1": {"half')
    config = BotConfig(
        token="123:abcdefghijklmnop", data_dir=data, api_base_url="http://127.0.0.1:9/bot"
    )
    with pytest.raises(SystemExit) as info:
        run(config)
    message = str(info.value)
    assert str(data / "backcare.json") in message and "backcare.json.bak.1" in message
    assert (data / "backcare.json").read_text() == '{"states": {"1": {"half'


async def test_a_japanese_patient_is_answered_in_japanese(live):
    patient = Patient(live, 20006, language="ja")
    await patient.start()
    assert "backcare" in patient.messages[0].plain and "腰" in patient.messages[0].plain
    live.api.send_document(patient.user, b"x", "big.jpg", size=30 * MB)
    await patient.settle()
    assert patient.messages[-1].plain.startswith("ファイルが大きすぎます（30 MB）")


async def test_the_bot_starts_its_vision_workers_at_a_lower_cpu_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker sets it as it starts, replacements too (tests/vision/test_pool.py)."""
    import asyncio

    from backcare.application.serve_bot import WORKER_NICENESS, serve
    from backcare.bot.config import BotConfig

    asked: dict = {}

    class Started(Exception):
        pass

    def create(**kwargs: object) -> Pipeline:
        asked.update(kwargs)
        raise Started

    monkeypatch.setattr(Pipeline, "create", staticmethod(create))
    with pytest.raises(Started):
        await serve(BotConfig(token="1:x", data_dir=tmp_path), asyncio.Event())
    assert asked["niceness"] == WORKER_NICENESS > 0
