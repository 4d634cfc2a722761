"""``backcare worker``: a Celery worker whose processes each hold one MediaPipe Pose.

Prefork pool: the main process takes tasks from the broker and never runs MediaPipe
(a process forked after a graph has run would crash); each pool process builds its own
estimator as it starts (worker_process_init, the in-process pool's own initializer:
lower CPU priority, ended with its parent, estimator warmed up). A small HTTP server in
the main process answers:

- ``/healthz``  200 while the process is alive and serving
- ``/readyz``   200 once the worker consumes and the broker answers, else 503
- ``/metrics``  Prometheus text: the pool processes' analyses added up (multiprocess
                mode), and the broker's queue length
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from backcare.taskqueue.config import QueueConfig

log = logging.getLogger(__name__)

HTTP_PORT = 9101
NICENESS = 10  # like the bot's in-process workers: text answers first on a shared machine
BROKER_CHECK_EVERY = 5.0  # seconds a readiness answer about the broker is reused


def metrics_dir() -> tuple[str, bool]:
    """PROMETHEUS_MULTIPROC_DIR (and whether it was made here), made fresh for this worker
    unless given; set before prometheus_client is imported (it reads it on import) and
    inherited by the pool processes."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        return given, False
    path = tempfile.mkdtemp(prefix="backcare-worker-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path, True


class State:
    """What the probes report, set by Celery's signals in the main process."""

    def __init__(self, app: Any, config: QueueConfig) -> None:
        self.app = app
        self.config = config
        self.consuming = False
        self._broker_ok = False
        self._checked = 0.0
        self._lock = threading.Lock()

    def broker_ok(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked > BROKER_CHECK_EVERY:
                try:
                    with self.app.connection_for_read() as conn:
                        conn.ensure_connection(max_retries=1, timeout=2)
                    self._broker_ok = True
                except Exception:
                    self._broker_ok = False
                self._checked = time.monotonic()
            return self._broker_ok

    def ready(self) -> tuple[bool, str]:
        if not self.consuming:
            return False, "not consuming (starting or stopping)"
        if not self.broker_ok():
            return False, "broker unreachable"
        return True, "ready"


def metrics_text(state: State, path: str) -> bytes:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.multiprocess import MultiProcessCollector

    from backcare.taskqueue.tasks import queue_length

    class QueueDepth:
        def collect(self):
            try:
                depth = float(queue_length(state.app, state.config.queue))
            except Exception:
                depth = float("nan")
            yield GaugeMetricFamily(
                "backcare_worker_queue_depth", "Photos waiting in the broker's queue", depth
            )

    class WorkerOnly:
        """The pool processes' files, without the bot's metrics (defined beside them)."""

        def __init__(self) -> None:
            self.inner = MultiProcessCollector(None, path=path)

        def collect(self):
            for family in self.inner.collect():
                if family.name.startswith("backcare_worker_"):
                    yield family

    registry = CollectorRegistry()
    registry.register(WorkerOnly())
    registry.register(QueueDepth())
    return generate_latest(registry)


def serve_http(state: State, listen: str, port: int, path: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._send(200, b"ok\n")
            elif self.path == "/readyz":
                ok, why = state.ready()
                self._send(200 if ok else 503, why.encode() + b"\n")
            elif self.path == "/metrics":
                self._send(200, metrics_text(state, path), "text/plain; version=0.0.4")
            else:
                self._send(404, b"not found\n")

        def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds
            pass

    server = ThreadingHTTPServer((listen, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    return server


def _keep_logs_visible() -> None:
    """The pool process's log handlers write to descriptor 2, which the initializer just
    sent to /dev/null (MediaPipe's native chatter): point them at the kept stderr."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            try:
                if handler.stream.fileno() == 2:
                    handler.setStream(sys.stderr)
            except (AttributeError, OSError, ValueError):
                continue


def run(
    config: QueueConfig,
    concurrency: int,
    http_port: int = HTTP_PORT,
    http_listen: str = "127.0.0.1",
    niceness: int = NICENESS,
    loglevel: str = "INFO",
) -> int:
    path, made_here = metrics_dir()
    from billiard.exceptions import TimeLimitExceeded  # type: ignore[import-untyped]
    from celery import signals  # type: ignore[import-untyped]
    from prometheus_client import multiprocess

    from backcare.kernel import metrics
    from backcare.taskqueue.store import PhotoStore
    from backcare.taskqueue.tasks import make_app
    from backcare.vision.errors import PhotoRejected, Reason
    from backcare.vision.pool import _init_worker, native_logs_wanted

    app = make_app(config)
    state = State(app, config)

    @signals.worker_process_init.connect(weak=False)
    def _start_process(**_: Any) -> None:
        quiet = not native_logs_wanted()
        _init_worker(quiet, niceness, os.getppid())
        if quiet:
            _keep_logs_visible()

    @signals.worker_process_shutdown.connect(weak=False)
    def _end_process(pid: int | None = None, **_: Any) -> None:
        multiprocess.mark_process_dead(pid or os.getpid(), path)

    stores: list[PhotoStore] = []

    @signals.task_failure.connect(weak=False)
    def _failed(exception: BaseException | None = None, args: Any = None, **_: Any) -> None:
        # A hang killed at the time limit (in this main process): the caller hears TIMEOUT
        # now rather than at its own time-out. Not retried, as in the in-process pool.
        if not isinstance(exception, TimeLimitExceeded) or not args:
            return
        if not stores:
            stores.append(PhotoStore(config.result_url, config.prefix, config.photo_ttl_s, 2))
        refusal = PhotoRejected(
            Reason.TIMEOUT, f"analysis took over {config.task_time_limit_s:.0f} s"
        )
        if stores[0].finish(str(args[0]), refusal):
            metrics.WORKER_ANALYSES.labels(outcome=Reason.TIMEOUT.value).inc()

    @signals.worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        state.consuming = True
        log.info("worker ready: %d process(es) on queue %s", concurrency, config.queue)

    @signals.worker_shutting_down.connect(weak=False)
    def _stopping(**_: Any) -> None:
        state.consuming = False

    metrics.count_errors()
    server = serve_http(state, http_listen, http_port, path)
    log.info("worker probes on http://%s:%d (/healthz /readyz /metrics)", http_listen, http_port)
    try:
        app.worker_main(
            [
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                f"--queues={config.queue}",
                f"--loglevel={loglevel}",
                f"--hostname=backcare-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        server.shutdown()
        if made_here:
            shutil.rmtree(path, ignore_errors=True)
    return 0
