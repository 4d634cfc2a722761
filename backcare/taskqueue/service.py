"""The caller's side: the in-process pool's interface over the task queue.

``QueuedPoseService.analyse(data)`` -> AnalysedPhoto, or raises PhotoRejected exactly
as backcare.vision.pool.PoseService does: the photo's own refusal, ``TIMEOUT`` when no
outcome came within ``timeout_s`` (queueing included), ``WORKER_FAILED`` when the
photo stopped its analysis process twice or the queue or Redis cannot be reached.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import redis

from backcare.taskqueue.config import QueueConfig
from backcare.taskqueue.store import PhotoStore
from backcare.taskqueue.tasks import TASK, make_app, queue_length
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.pool import AnalysisService
from backcare.vision.types import AnalysedPhoto

log = logging.getLogger(__name__)

# Bounded retries of a publish while the broker is briefly away (well within timeout_s)
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}


class QueuedPoseService(AnalysisService):
    """Photo analysis by ``backcare worker`` processes anywhere; sync, async and batch."""

    def __init__(self, config: QueueConfig, timeout_s: float = 60.0, threads: int = 16) -> None:
        self.config = config
        self.timeout_s = float(timeout_s)
        self.app = make_app(config)
        self.store = PhotoStore(
            config.result_url, config.prefix, config.photo_ttl_s, max_connections=threads + 4
        )
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vision-queue")
        self._closed = False

    def analyse(
        self,
        data: bytes,
        annotate: bool | str = True,
        mirrored: bool = False,
        depth_flipped: bool = False,
    ) -> AnalysedPhoto:
        if self._closed:
            raise RuntimeError("QueuedPoseService is closed")
        key = secrets.token_hex(16)  # random: tells nothing about the patient
        start = time.monotonic()
        try:
            self.store.put(key, bytes(data))
            self.app.send_task(
                TASK,
                # the flags only when set: a plain look's message keeps the older form,
                # which workers of previous releases still take (docs/DEPLOY.md)
                args=_args(key, annotate, mirrored, depth_flipped),
                task_id=key,
                queue=self.config.queue,
                # a worker that receives it after the caller gave up drops it unrun
                expires=datetime.now(UTC) + timedelta(seconds=self.timeout_s),
                retry=True,
                retry_policy=PUBLISH_RETRY,
            )
        except Exception as exc:  # broker or Redis away: the patient hears it, nothing hangs
            log.error("photo analysis queue unreachable: %s", type(exc).__name__)
            self._discard(key)
            raise PhotoRejected(Reason.WORKER_FAILED, "the analysis queue is unreachable") from None
        try:
            left = self.timeout_s - (time.monotonic() - start)
            done = self.store.wait(key, left)
            outcome = self.store.take(key) if done else None
        except redis.RedisError as exc:
            log.error("photo store unreachable while waiting: %s", type(exc).__name__)
            self._discard(key)
            raise PhotoRejected(Reason.WORKER_FAILED, "the photo store is unreachable") from None
        if not done:
            log.warning("photo analysis timed out after %.0f s (queue)", self.timeout_s)
            self._discard(key)
            raise PhotoRejected(Reason.TIMEOUT, f"analysis took over {self.timeout_s:.0f} s")
        if outcome is None:  # woken, but the outcome expired meanwhile: cannot happen in time
            raise PhotoRejected(Reason.WORKER_FAILED, "the analysis outcome was lost")
        if isinstance(outcome, PhotoRejected):
            raise outcome
        return outcome

    def _discard(self, key: str) -> None:
        with contextlib.suppress(redis.RedisError):  # else it expires by itself (photo_ttl_s)
            self.store.discard(key)

    def queue_depth(self) -> int:
        """Photos waiting in the broker's queue (not yet taken by a worker)."""
        return queue_length(self.app, self.config.queue)

    def available(self) -> bool:
        """Redis and the broker answer (workers may come and go: photos wait for them)."""
        try:
            self.store.ping()
            with self.app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            return True
        except Exception:
            return False

    def worker_pids(self) -> list[int | None]:
        """The workers are other processes, possibly on other machines: none here."""
        return []

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._threads.shutdown(wait=True, cancel_futures=True)
        self.store.close()
        self.app.close()

    def __enter__(self) -> QueuedPoseService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _args(key: str, annotate: bool | str, mirrored: bool, depth_flipped: bool) -> list:
    """The task's arguments, as short as the look allows (older workers know fewer)."""
    if depth_flipped:
        return [key, annotate, mirrored, True]
    return [key, annotate, True] if mirrored else [key, annotate]
