"""Prometheus metrics, all defined here: the bot's, the pipeline's and the workers'.

Names and labels carry no personal data: kinds of turns, outcomes of analyses (the
refusal reasons, a fixed set), logger names. The bot serves them on ``/metrics``
(backcare.bot.ops); ``backcare worker`` serves the workers' (backcare.taskqueue.worker),
added up over its processes through prometheus_client's multiprocess mode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

# seconds: a text answer takes tens of milliseconds, a photo a few seconds
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)

UPDATES = Counter(
    "backcare_updates_handled",
    "Updates handled by the bot (one turn each), by kind: answer, photo_or_timer, turn",
    ["kind"],
)
REPLY_SECONDS = Histogram(
    "backcare_reply_seconds",
    "From a turn's start (update taken) to its replies sent, by kind",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
ANALYSES = Counter(
    "backcare_photo_analyses",
    "Photos analysed for patients, by outcome: accepted or the refusal reason",
    ["outcome"],
)
ANALYSIS_SECONDS = Histogram(
    "backcare_photo_analysis_seconds",
    "Waiting for one photo's analysis (queueing included)",
    buckets=LATENCY_BUCKETS,
)
QUEUE_DEPTH = Gauge(
    "backcare_analysis_queue_depth",
    "Photos waiting for analysis: the broker's queue length with Celery, else the photos "
    "handed to the in-process pool and not answered yet",
)
ERRORS = Counter(
    "backcare_errors",
    "Errors logged (level ERROR and above), by the part of backcare that logged them",
    ["source"],
)

WORKER_ANALYSES = Counter(
    "backcare_worker_analyses",
    "Tasks run by this worker's processes, by outcome: accepted, a refusal reason, "
    "redelivered (its outcome was already stored), duplicate (another run answered first) "
    "or expired (the photo was gone: nobody waited)",
    ["outcome"],
)
WORKER_ANALYSIS_SECONDS = Histogram(
    "backcare_worker_analysis_seconds",
    "One photo's analysis in a worker process",
    buckets=LATENCY_BUCKETS,
)

SAVE_FAILURES = Counter(
    "backcare_save_failures",
    "Saves the disk refused (full, read-only, failing), retries included (backcare.bot.health)",
)
SAVING_FAILING = Gauge(
    "backcare_saving_failing",
    "1 while saving fails (an episode: patients are told once, saves retried), else 0",
)


def turn_done(kind: str, seconds: float) -> None:
    """A turn ended: counted, and its latency observed."""
    kind = kind.replace(" ", "_")
    UPDATES.labels(kind=kind).inc()
    REPLY_SECONDS.labels(kind=kind).observe(seconds)


def analysis_done(outcome: str, seconds: float) -> None:
    ANALYSES.labels(outcome=outcome).inc()
    ANALYSIS_SECONDS.observe(seconds)


def track_queue_depth(depth: Callable[[], float]) -> None:
    """Read ``depth()`` at every scrape (a failure to read shows as NaN, not a crash)."""

    def read() -> float:
        try:
            return float(depth())
        except Exception:
            return float("nan")

    QUEUE_DEPTH.set_function(read)


class ErrorCounter(logging.Handler):
    """Counts ERROR records by source (``bot``, ``vision``, ``storage``...: the part of
    the backcare package that logged it, ``other`` for libraries)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        parts = record.name.split(".")
        source = parts[1] if parts[0] == "backcare" and len(parts) > 1 else "other"
        ERRORS.labels(source=source).inc()


def count_errors(logger: logging.Logger | None = None) -> ErrorCounter:
    """Install (once) the handler that counts errors logged through ``logger`` (root)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if isinstance(handler, ErrorCounter):
            return handler
    handler = ErrorCounter()
    logger.addHandler(handler)
    return handler


def registry() -> CollectorRegistry:
    return REGISTRY
