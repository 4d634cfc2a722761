"""/delete erases every trace: the database, its backups, kept photos, timers, memory.

A patient goes through everything that leaves data behind (answers, a free-text
note, kept photos, results, reminders, an export, a restart; every write also
rotates the backups), then erases it. Afterwards the bytes of every file in the
data folder are searched for what identified them or what they said.
"""

from __future__ import annotations

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.storage import TinyDBStorage
from backcare.bot.storage.tinyfile import read_database
from tests.reliability.live import (
    STANDING_SIDE,
    AcceptingServices,
    QuickHarness,
    place,
    state_at,
)
from tests.support.patients import Patient, dialog_of
from tests.support.renders import RENDERS

PATIENT, OTHER = 918273645501, 97002
NOTE = "erase-me: HERNIA-RUMOUR-5512"
ZONE = "Asia/Kathmandu"  # a time zone few would type: it is this patient's
FORWARD_BEND = RENDERS / "forward_bend_deep.jpg"  # the other's photos


async def journey(patient: Patient, registry, answers, note: str, photo: bytes, zone: str) -> None:
    """Consent to keep photos, the interview (its last answer typed), photos, reminders."""
    state = await state_at(registry, answers, question="notes", keep_photos=True)
    place(patient.h.storage, patient.id, state)
    await patient.say(note)
    while patient.step == "photos":
        await patient.send_file(photo, "IMG_0042.JPG")
    assert patient.step == "results", patient.transcript()
    for button in (
        buttons.REMINDERS_SET,
        buttons.ALL_DAYS,
        buttons.DAYS_DONE,
        buttons.time("08:00"),
    ):
        await patient.press(button)
    await patient.say(zone)
    assert patient.step == "active"


async def test_delete_leaves_no_trace_in_any_file_nor_in_memory(data_file, registry, answers):
    storage = TinyDBStorage(data_file, backup_interval=0.0)  # every write also backed up
    services = AcceptingServices()
    dialogs = Dialogs(services=services, interviews=registry)
    async with QuickHarness(
        dialogs,
        storage,
        interviews=registry,
        config={"keep_photos": True, "data_dir": data_file.parent},
    ) as bot:
        patient, other = Patient(bot, PATIENT), Patient(bot, OTHER)
        await journey(patient, registry, answers, NOTE, STANDING_SIDE.read_bytes(), ZONE)
        await journey(other, registry, answers, "stays", FORWARD_BEND.read_bytes(), "Europe/Oslo")
        await bot.restart()
        await patient.say("/export")
        assert storage.photos(PATIENT), "photos were kept, with consent"
        session = dialog_of(storage.get_state(PATIENT)).session
        assert storage.assessments(PATIENT) and storage.get_reminder(PATIENT)

        await patient.say("/delete")
        await patient.press_label("Yes, erase everything")
        assert patient.messages[-1].plain.startswith("Everything about you has been erased")

        # memory: no timer, no picture, no button, no pending reply
        assert bot.runtime.scheduler.scheduled(PATIENT) is None
        assert not any(k.startswith(f"{PATIENT}-") for k in bot.runtime.outbox.blobs)
        assert PATIENT not in bot.runtime.outbox.live_buttons
        assert dialogs.pictures.get(session) == {}
        left = storage.export_user(PATIENT)
        assert left == storage.export_user(123) | {"user_id": PATIENT, "exported": left["exported"]}
    storage.close()

    photo = STANDING_SIDE.read_bytes()
    traces = [str(PATIENT).encode(), NOTE.encode(), ZONE.encode(), photo[-64:], photo[1000:1064]]
    files = [f for f in data_file.parent.rglob("*") if f.is_file()]
    assert len(files) >= 4, files  # database, backups, lock, the other's photos
    found = {f.name: [t[:20] for t in traces if t in f.read_bytes()] for f in files}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert not (data_file.parent / "photos" / str(PATIENT)).exists()
    kept = read_database(data_file)
    assert str(OTHER) in kept["states"] and str(OTHER) in kept["reminders"], "the other stays"
    assert (data_file.parent / "photos" / str(OTHER)).is_dir()
