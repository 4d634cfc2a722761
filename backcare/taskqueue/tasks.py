"""The Celery application and its one task: analyse the photo stored under a key.

Task messages carry only the photo's key, how to annotate it and whether to read it
mirrored or with its depth turned over (the pipeline's other looks; JSON); the photo and
the outcome stay in Redis (backcare.taskqueue.store). The task is acknowledged late (after it returned, so after
the outcome is stored) and rejected back to the queue when its process dies
(task_reject_on_worker_lost): a worker killed mid-task leaves the photo to another
process or machine. It is idempotent per photo key: a redelivered task whose outcome is
stored returns at once, and ``tries`` bounds the redeliveries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial

from celery import Celery  # type: ignore[import-untyped]  # no stubs published

from backcare.taskqueue.config import MAX_DELIVERIES, QueueConfig
from backcare.taskqueue.store import Outcome, PhotoStore
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.types import AnalysedPhoto

log = logging.getLogger(__name__)

TASK = "backcare.analyse_photo"

Analyse = Callable[[bytes, "bool | str"], AnalysedPhoto]


def make_app(config: QueueConfig) -> Celery:
    """The Celery app both sides use (the bot sends, ``backcare worker`` consumes)."""
    app = Celery("backcare", broker=config.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],  # no pickle in messages: the broker may be shared
        task_ignore_result=True,  # the outcome is in the photo store (store.finish)
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure=True,
        task_acks_on_timeout=True,  # a hang killed by the time limit is not retried
        task_time_limit=config.task_time_limit_s,
        task_default_queue=config.queue,
        task_create_missing_queues=True,
        worker_prefetch_multiplier=1,  # a process takes the next photo only when free
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_enable_remote_control=True,  # ping, for operators
        # one installation's workers answer its own control commands, on a shared broker too
        control_exchange=config.prefix.rstrip(":") or "celery",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3.0,
    )
    if config.broker_is_redis:
        app.conf.broker_transport_options = {
            "visibility_timeout": config.visibility_s,
            # a task of a vanished worker is back in the queue within ~2 s of its timeout
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
            "global_keyprefix": config.prefix,
            "socket_timeout": 10.0,
            "socket_connect_timeout": 3.0,
        }
    stores: list[PhotoStore] = []

    def store() -> PhotoStore:  # one per process, made where it is used (after fork)
        if not stores:
            stores.append(PhotoStore(config.result_url, config.prefix, config.photo_ttl_s, 4))
        return stores[0]

    @app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)
    def analyse_photo(
        key: str, annotate: bool | str = True, mirrored: bool = False, depth_flipped: bool = False
    ) -> str:
        from backcare.vision.pool import _work  # the in-process pool's own analysis

        look = partial(_work, mirrored=mirrored, depth_flipped=depth_flipped)
        return run(store(), key, annotate, look)

    return app


def queue_length(app: Celery, queue: str) -> int:
    """Messages waiting in the broker's queue (not yet taken by a worker)."""
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        channel = conn.default_channel
        size = getattr(channel, "_size", None)  # Redis: the lists' length (kombu's own sum)
        if size is not None:
            return int(size(queue))
        try:  # AMQP: the broker counts the ready messages
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except conn.channel_errors:  # never declared: none waiting
            return 0


def run(store: PhotoStore, key: str, annotate: bool | str, analyse: Analyse) -> str:
    """One delivery of the task; returns what happened, for the worker's log and metrics."""
    if store.outcome(key) is not None:
        return "redelivered"  # stored before a crash that came before the ack
    begun = store.begin(key)
    if begun is None:  # answered already, expired, or the caller gave up: nobody waits
        _count("expired", None)
        return "expired"
    data, tries = begun
    start = time.monotonic()
    outcome: Outcome
    if tries > MAX_DELIVERIES:
        log.warning("a photo stopped its analysis process %d times; refused", tries - 1)
        outcome = PhotoRejected(
            Reason.WORKER_FAILED, "the analysis process stopped twice on this photo"
        )
    else:
        try:
            outcome = analyse(data, annotate)
        except PhotoRejected as refused:
            outcome = refused
    if not store.finish(key, outcome):
        label = "duplicate"  # another run answered first, or the caller gave up
    else:
        label = "accepted" if isinstance(outcome, AnalysedPhoto) else outcome.reason.value
    _count(label, time.monotonic() - start)
    return label


def _count(outcome: str, seconds: float | None) -> None:
    from backcare.kernel import metrics

    metrics.WORKER_ANALYSES.labels(outcome=outcome).inc()
    if seconds is not None:
        metrics.WORKER_ANALYSIS_SECONDS.observe(seconds)
