"""A full disk: one calm message per patient, retries that back off, nothing lost.

While saving fails, the patient is told once that the bot will pick up their
answer by itself (no request to send it again), the operator reads one ERROR when
it starts and one WARNING when it ends, the bot's counters show it, and the
updates waiting (with Telegram, or in the inbox) are handled once each as soon
as the disk takes writes again.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from backcare.bot.dialogs import buttons
from tests.reliability.diskfull import DiskFull
from tests.reliability.live import AcceptingServices, live_bot, place, state_at
from tests.support.fake_botapi import FakeBotApi
from tests.support.patients import Patient

NOT_SAVED = "No need to send it again"
RESEND = "send it again"  # what the bot said before: a request to resend


def _sample(name: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name) or 0.0


def _told(api: FakeBotApi, user_id: int) -> list[str]:
    return [m.plain for m in api.messages(user_id) if NOT_SAVED in m.plain]


async def _wait(condition, timeout: float = 30.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.slow  # watches 6 s of back-off; the saving retried below stays in the fast suite
async def test_answers_given_while_the_disk_is_full_are_applied_once_when_it_clears(
    data_file, registry, caplog
):
    caplog.set_level(logging.INFO, logger="backcare")
    failures_before = _sample("backcare_save_failures_total")
    async with FakeBotApi() as api, live_bot(data_file, registry, api=api, files=True) as bot:
        patients = [Patient(bot, 7001 + n) for n in range(3)]
        for patient in patients:
            await patient.start()
        with DiskFull() as disk:
            disk.on = True
            for patient in patients:
                found = patient.button_for(buttons.CONSENT_YES)
                assert found is not None
                message, button = found
                api.press(patient.user, message, data=button["callback_data"])
            # every patient told, once; then the bot keeps trying with growing pauses
            await _wait(lambda: all(_told(api, p.id) for p in patients))
            polls_before = len(api.calls_of("getUpdates"))
            await asyncio.sleep(6.0)
            polls = api.calls_of("getUpdates")[polls_before:]
            assert all(p.step == "consent" for p in patients), "nothing saved, nothing lost"
            assert disk.refused >= 2, "the bot retried while the disk was full"
            disk.on = False
        # the disk takes writes again: each answer is applied, once
        await _wait(lambda: all(p.step != "consent" for p in patients), timeout=70)
        await bot.settle()
        health = bot.runtime.health
        for patient in patients:
            assert len(_told(api, patient.id)) == 1, "one message per patient and episode"
            assert patient.dialog.consents()["data"] is True
            assert patient.button_for(buttons.DELETE_PHOTOS) is not None, "the next question came"
            texts = [m.plain for m in patient.messages]
            assert len(texts) == len(set(texts)), "no message twice"
            assert not [t for t in texts if RESEND in t and NOT_SAVED not in t]
    assert len(polls) <= 5, f"retries back off: {len(polls)} polls in 6 s of a full disk"
    assert health.episodes == 1 and not health.failing and health.failures >= 2
    assert health.counts()["patients_told_not_saved"] == 3
    # the same in the metrics the bot serves
    assert _sample("backcare_save_failures_total") - failures_before == health.failures
    assert _sample("backcare_saving_failing") == 0
    started = [r for r in caplog.records if "saving failed" in r.getMessage()]
    ended = [r for r in caplog.records if "saving works again after" in r.getMessage()]
    assert [r.levelno for r in started] == [logging.ERROR], "logged once, not per retry"
    assert [r.levelno for r in ended] == [logging.WARNING]


class SlowPhotos(AcceptingServices):
    """Every photo accepted, after ``delay`` seconds of "analysis"."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def analyse_photo(self, data: bytes, step: str, filename: str | None = None):
        await asyncio.sleep(self.delay)
        return await super().analyse_photo(data, step, filename)


async def test_a_turn_that_could_not_be_saved_is_saved_when_the_disk_clears(
    data_file, registry, answers
):
    """The photo was saved to the inbox, then the disk filled while it was analysed: the
    turn cannot be saved, so it saves again (with back-off) until it can, and its result
    arrives once; the patient's next message waits behind it (answers stay in order)."""
    services = SlowPhotos(delay=0.6)
    async with (
        FakeBotApi() as api,
        live_bot(data_file, registry, services, api=api, files=True) as bot,
    ):
        patient = Patient(bot, 7101)
        place(bot.storage, patient.id, await state_at(registry, answers, "photos"))
        disk = DiskFull().install()
        try:
            api.send_photo(patient.user, b"\xff\xd8\xff\xe0" + b"p" * 2000)
            await api.wait_for(lambda: api.pending_updates == 0, timeout=10)
            await asyncio.sleep(0.2)  # confirmed, hence in the inbox; analysis under way
            disk.on = True
            await _wait(lambda: _told(api, patient.id))
            api.send_text(patient.user, "/status")  # the patient goes on meanwhile
            # read just after a retry failed: one in flight holds the turn in memory until
            # the disk refuses it (retries come 1, 2, 4 s apart)
            health = bot.runtime.health
            failures = health.failures
            await _wait(lambda: health.failures > failures)
            assert patient.dialog.photos.index == 0, "nothing saved while full"
            analysed_while_full = len(services.photos)
            disk.on = False
            await _wait(lambda: patient.dialog.photos.index == 1, timeout=70)
            await bot.settle()
        finally:
            disk.uninstall()
        assert len(_told(api, patient.id)) == 1
        assert analysed_while_full == 1, "the turn's result is kept, not worked out again"
        assert bot.storage.inbox_pending() == [] and bot.storage.pending() == []
        sent = api.messages(patient.id)
        results = [n for n, m in enumerate(sent) if m.kind == "photo"]
        status = [n for n, m in enumerate(sent) if "Photo 2 of" in m.plain]
        # /status answered after the photo: it already speaks of the next one
        assert len(status) >= 2 and results[0] < status[0], "in order: the photo first"
        assert len(results) == 1, "the annotated photo came once"
