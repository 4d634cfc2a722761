"""Photo analysis failing under a patient: a worker process killed, an analysis that hangs.

The real bot, dialogs and vision pool (MediaPipe in a spawned worker); only Telegram
is simulated. A worker is frozen with SIGSTOP so that "in the middle of an analysis"
is a certainty rather than a race, then killed (SIGKILL) or left to time out.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import pytest

from backcare.application.pipeline import Pipeline
from tests.reliability.live import STANDING_SIDE, analysed, live_bot, place, state_at
from tests.support.patients import dialog_of

WORKER_FAILED = "Something went wrong while analysing the photo. Please send it again."
TIMED_OUT = "The analysis took too long. Please send the photo again."


@pytest.fixture(scope="module")
def pipeline():
    from backcare.vision.pool import PoseService

    service = PoseService(workers=1, timeout_s=60)
    service.analyse(STANDING_SIDE.read_bytes())  # the worker is up and warm
    yield Pipeline(service)
    service.close()


@contextlib.contextmanager
def frozen(pid: int):
    """The worker process stops running (SIGSTOP) until the block ends or it is killed."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


class Watched:
    """The pipeline, noting when each analysis starts (to act while it is in flight)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.started: list[str] = []

    async def analyse_photo(self, data, step, filename=None):
        self.started.append(step)
        return await self.pipeline.analyse_photo(data, step, filename)

    async def build_report(self, result, photos, language):
        return await self.pipeline.build_report(result, photos, language)


async def worker_pid(pipeline: Pipeline) -> int:
    for _ in range(600):
        pid = pipeline.pose.worker_pids()[0]
        if pid is not None:
            return pid
        await asyncio.sleep(0.05)
    raise AssertionError("the vision worker did not start")


def last_text(bot, user_id: int) -> str:
    return [m.plain for m in bot.api.messages(user_id) if m.kind == "text"][-1]


async def new_worker_pid(pipeline: Pipeline, old: int) -> int:
    for _ in range(6000):
        pid = pipeline.pose.worker_pids()[0]
        if pid not in (None, old):
            return pid
        await asyncio.sleep(0.005)
    raise AssertionError("no new vision worker started")


def progress_of(bot, user_id: int) -> list[str]:
    """How the "Analysing your photo..." messages ended (their text after the edits)."""
    return [m.plain for m in bot.api.messages(user_id) if m.edits and "nalys" in m.plain]


async def test_a_worker_killed_mid_analysis_is_retried_on_a_new_one_and_nobody_notices(
    pipeline, registry, answers, data_file
):
    photo = STANDING_SIDE.read_bytes()
    watched = Watched(pipeline)
    at_photos = await state_at(registry, answers)
    async with live_bot(data_file, registry, watched) as bot:
        ana, ben, cleo = (bot.api.user(n) for n in (31001, 31002, 31003))
        for patient in (ana, ben):
            place(bot.storage, patient.id, at_photos)
        pid = await worker_pid(pipeline)
        with frozen(pid):
            bot.api.send_photo(ana, photo)
            await bot.api.wait_for(lambda: len(watched.started) == 1, timeout=10)
            await asyncio.sleep(0.3)  # her photo is with the frozen worker
            bot.api.send_photo(ben, photo)  # his waits for the same worker
            sent = time.monotonic()
            bot.api.send_text(cleo, "/start")  # and a third patient just starts
            welcome = await bot.api.wait_for_message(cleo.id, timeout=5)
            assert time.monotonic() - sent < 2.0, "text answers do not wait for photo analysis"
            assert welcome.plain.startswith("Welcome to backcare")
            os.kill(pid, signal.SIGKILL)  # the worker dies mid-analysis
        await bot.settle(timeout=90)  # her photo again, then his, on the new worker

        for patient in (ana, ben):  # both analysed, without a word about the crash
            assert analysed(
                dialog_of(bot.storage.get_state(patient.id)).photos.results["standing_side"]
            )
            assert not any("went wrong" in m.plain for m in bot.api.messages(patient.id))
        assert progress_of(bot, ana.id) == ["Photo analysed."]
        assert not any("went wrong" in m.plain for m in bot.api.messages(cleo.id))
        assert watched.started == ["standing_side", "standing_side"], "one analysis each"

        # the pool replaced its worker and goes on
        assert pipeline.pose.worker_pids()[0] not in (None, pid)
        assert bot.storage.pending() == [] and bot.storage.inbox_pending() == []


async def test_a_photo_whose_worker_dies_twice_gets_one_clear_message(
    pipeline, registry, answers, data_file
):
    photo = STANDING_SIDE.read_bytes()
    watched = Watched(pipeline)
    at_photos = await state_at(registry, answers)
    async with live_bot(data_file, registry, watched) as bot:
        ana = bot.api.user(31101)
        place(bot.storage, ana.id, at_photos)
        pid = await worker_pid(pipeline)
        with frozen(pid):
            bot.api.send_photo(ana, photo)
            await bot.api.wait_for(lambda: len(watched.started) == 1, timeout=10)
            await asyncio.sleep(0.3)  # her photo is with the frozen worker
            os.kill(pid, signal.SIGKILL)  # it dies mid-analysis...
            retry = await new_worker_pid(pipeline, pid)
            os.kill(retry, signal.SIGKILL)  # ...and so does the new one it is retried on
            told = await bot.api.wait_for_message(
                ana.id, where=lambda m: WORKER_FAILED in m.plain, timeout=30
            )
        await bot.settle(timeout=30)
        assert told.plain.startswith("I couldn't use this photo")
        texts = [m.plain for m in bot.api.messages(ana.id)]
        assert sum(WORKER_FAILED in t for t in texts) == 1, "one message, not one per attempt"
        assert progress_of(bot, ana.id) == ["Photo not analysed."]

        # still on the same step, nothing half-saved; she sends it again
        photos = dialog_of(bot.storage.get_state(ana.id)).photos
        assert photos.index == 0
        assert photos.results["standing_side"]["reason"] == "worker_failed"
        bot.api.send_photo(ana, photo)
        await bot.settle(timeout=90)
        assert analysed(dialog_of(bot.storage.get_state(ana.id)).photos.results["standing_side"])
        assert pipeline.pose.worker_pids()[0] not in (None, pid, retry)
        assert bot.storage.pending() == [] and bot.storage.inbox_pending() == []


async def test_an_analysis_that_hangs_times_out_with_a_clear_message(
    pipeline, registry, answers, data_file
):
    photo = STANDING_SIDE.read_bytes()
    at_photos = await state_at(registry, answers)
    async with live_bot(data_file, registry, pipeline) as bot:
        ana, ben = bot.api.user(32001), bot.api.user(32002)
        place(bot.storage, ana.id, at_photos)
        pid = await worker_pid(pipeline)
        pipeline.pose.timeout_s = 2.0
        try:
            with frozen(pid):  # the analysis will never finish
                sent = time.monotonic()
                bot.api.send_photo(ana, photo)
                told = await bot.api.wait_for_message(
                    ana.id, where=lambda m: TIMED_OUT in m.plain, timeout=15
                )
                waited = time.monotonic() - sent
                bot.api.send_text(ben, "/start")  # the bot is not stuck meanwhile
                await bot.api.wait_for_message(ben.id, timeout=5)
        finally:
            pipeline.pose.timeout_s = 60
        assert 2.0 <= waited < 10, f"told after {waited:.1f} s"
        assert any("analys" in m.plain.lower() for m in bot.api.messages(ana.id)[:-1]), (
            "a progress message was shown while she waited"
        )
        assert told.plain.startswith("I couldn't use this photo")
        photos = dialog_of(bot.storage.get_state(ana.id)).photos
        assert photos.index == 0 and photos.results["standing_side"]["reason"] == "timeout"

        bot.api.send_photo(ana, photo)  # a new worker takes the resend
        await bot.settle(timeout=90)
        assert analysed(dialog_of(bot.storage.get_state(ana.id)).photos.results["standing_side"])
        assert pipeline.pose.worker_pids()[0] != pid
