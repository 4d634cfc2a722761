"""Metrics counted where things happen: photo analyses by outcome, photos waiting, errors
logged by part; and the pipeline picks the task queue only when a broker is named."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import REGISTRY

from backcare.application.pipeline import Pipeline
from backcare.kernel import metrics
from backcare.taskqueue.config import QueueConfig, QueueConfigError
from backcare.vision.errors import PhotoRejected, Reason


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class SlowDarkPose:
    """Refuses every photo as too dark once released: the pipeline's photo workers."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def analyse_async(self, data: bytes, annotate: bool | str = True, mirrored: bool = False):
        await self.release.wait()
        raise PhotoRejected(Reason.TOO_DARK, "mean 12")

    def close(self) -> None:
        pass


async def test_analyses_are_counted_by_outcome_and_waiting_photos_are_the_queue_depth():
    pose = SlowDarkPose()
    pipeline = Pipeline(pose)
    before = value("backcare_photo_analyses_total", outcome="too_dark")
    timed = value("backcare_photo_analysis_seconds_count")
    waiting = [asyncio.create_task(pipeline.analyse_photo(b"x", "forward_bend")) for _ in range(3)]
    await asyncio.sleep(0.05)
    assert pipeline.queue_depth() == 3
    pose.release.set()
    results = await asyncio.gather(*waiting)
    assert [r.reason for r in results] == ["too_dark"] * 3
    assert pipeline.queue_depth() == 0
    assert value("backcare_photo_analyses_total", outcome="too_dark") == before + 3
    assert value("backcare_photo_analysis_seconds_count") == timed + 3


def test_errors_are_counted_by_the_part_that_logged_them():
    handler = metrics.count_errors()
    try:
        assert metrics.count_errors() is handler  # installed once
        before = value("backcare_errors_total", source="bot")
        other = value("backcare_errors_total", source="other")
        logging.getLogger("backcare.bot.outbox").error("could not send")
        logging.getLogger("backcare.bot.outbox").warning("slow")  # not an error
        logging.getLogger("httpx").error("boom")
        assert value("backcare_errors_total", source="bot") == before + 1
        assert value("backcare_errors_total", source="other") == other + 1
    finally:
        logging.getLogger().removeHandler(handler)


def test_the_queue_depth_gauge_reads_the_pipeline_at_each_scrape():
    depth = iter([4, 7])
    metrics.track_queue_depth(lambda: next(depth))
    assert value("backcare_analysis_queue_depth") == 4
    assert value("backcare_analysis_queue_depth") == 7
    metrics.track_queue_depth(lambda: 1 / 0)  # the broker away: NaN, not a failed scrape
    assert value("backcare_analysis_queue_depth") != value("backcare_analysis_queue_depth")
    metrics.track_queue_depth(lambda: 0)


def test_the_task_queue_is_chosen_only_by_a_broker_url():
    assert QueueConfig.from_env({}) is None
    redis = QueueConfig.from_env({"BACKCARE_BROKER_URL": "redis://cache:6379/1"})
    assert redis is not None and redis.result_url == "redis://cache:6379/1"
    rabbit = QueueConfig.from_env({"BACKCARE_BROKER_URL": "amqp://u:p@mq:5672//"})
    assert rabbit is not None and rabbit.result_url == "redis://127.0.0.1:6379/0"
    assert "p@" not in repr(rabbit)  # passwords stay out of logs
    with pytest.raises(QueueConfigError, match="BACKCARE_BROKER_URL"):
        QueueConfig.from_env({"BACKCARE_BROKER_URL": "http://mq"})
    with pytest.raises(QueueConfigError, match="BACKCARE_PHOTO_TTL"):
        QueueConfig.from_env({"BACKCARE_BROKER_URL": "redis://x", "BACKCARE_PHOTO_TTL": "soon"})
