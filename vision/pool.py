"""Worker processes that analyse photos in parallel without blocking the caller.

Each worker is its own single-process pool started with ``spawn`` (MediaPipe
crashes in a child forked after a graph has run) holding one reused
PoseEstimator. A call takes a free worker, so one worker dying or hanging
affects only the call it was running: that call gets ``WORKER_FAILED`` or
``TIMEOUT`` and the worker is replaced for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.types import AnalysedPhoto

log = logging.getLogger(__name__)

_estimator = None  # one per worker process


def native_logs_wanted() -> bool:
    """MediaPipe's own C++ logging is for debugging: shown only at log level DEBUG
    (BACKCARE_LOG_LEVEL, or the caller's root logger set to DEBUG)."""
    import os

    return os.environ.get(
        "BACKCARE_LOG_LEVEL", ""
    ).strip().upper() == "DEBUG" or logging.getLogger().isEnabledFor(logging.DEBUG)


def silence_native_stderr() -> None:
    """Send what native code writes to file descriptor 2 to /dev/null, keeping Python's
    own ``sys.stderr`` (tracebacks, logging) on a copy of the original descriptor.

    MediaPipe's absl and TFLite log straight to descriptor 2 ("W0000 ...
    inference_feedback_manager", "INFO: Created TensorFlow Lite XNNPACK delegate"),
    once per graph and photo; in the terminal of ``backcare demo`` or ``chat`` that
    buries the conversation. Errors still reach the caller: as Python exceptions
    through the worker's future, and as Python log records on the kept stderr.
    """
    import os
    import sys

    try:
        sys.stderr.flush()
        kept = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # no descriptor 2 to redirect (a daemon): nothing floods anything
        return
    sys.stderr = os.fdopen(kept, "w", buffering=1, errors="backslashreplace")


def _init_worker(quiet_native: bool = True) -> None:
    """Build the worker's estimator and run it once, so the first photo is not slow."""
    global _estimator
    if quiet_native:
        silence_native_stderr()  # before mediapipe is imported: it logs on load
    import numpy as np

    from backcare.vision.pose import PoseEstimator

    try:  # MediaPipe and OpenCV each want every core; the pool already has one process per core
        import cv2

        cv2.setNumThreads(1)
    except Exception:  # pragma: no cover - cv2 is a dependency
        pass
    _estimator = PoseEstimator()
    _estimator.estimate(np.full((256, 256, 3), 128, dtype=np.uint8))


def _ping() -> int:
    import os

    return os.getpid()


def _work(data: bytes, annotate: bool) -> AnalysedPhoto:
    """Runs in a worker: bytes -> AnalysedPhoto, or PhotoRejected."""
    from backcare.vision.analysis import analyse_image
    from backcare.vision.loading import focal_35mm, load_image

    try:
        rgb = load_image(data)
        return analyse_image(rgb, _estimator, annotate=annotate, focal_35mm=focal_35mm(data))
    except PhotoRejected:
        raise
    except Exception as err:  # a bug must not look like a crash to the patient
        logging.getLogger(__name__).exception("photo analysis failed")
        raise PhotoRejected(Reason.WORKER_FAILED, f"analysis error: {type(err).__name__}") from None


class _Worker:
    """One worker process behind a single-process executor, replaceable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.executor = self._start()

    @staticmethod
    def _start() -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(not native_logs_wanted(),),
        )
        executor.submit(_ping)  # start the process now, in the background
        return executor

    def pid(self) -> int | None:
        processes = getattr(self.executor, "_processes", None) or {}
        return next(iter(processes), None)

    def replace(self, kill: bool) -> None:
        with self._lock:
            old = self.executor
            if kill:  # a hung analysis never returns: end the process we started
                for process in list((getattr(old, "_processes", None) or {}).values()):
                    process.kill()
            old.shutdown(wait=False, cancel_futures=True)
            self.executor = self._start()

    def close(self) -> None:
        with self._lock:
            self.executor.shutdown(wait=True, cancel_futures=True)


class PoseService:
    """Photo analysis in ``workers`` processes; sync, async and batch entry points.

    ``analyse(data)`` -> AnalysedPhoto or raises PhotoRejected (bad photo, TIMEOUT
    after ``timeout_s`` waiting and running, WORKER_FAILED when its worker died).
    """

    def __init__(self, workers: int = 1, timeout_s: float = 30.0):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.timeout_s = float(timeout_s)
        self._workers = [_Worker() for _ in range(workers)]
        self._free: queue.Queue[int] = queue.Queue()
        for i in range(workers):
            self._free.put(i)
        self._threads = ThreadPoolExecutor(
            max_workers=max(4, 2 * workers), thread_name_prefix="vision"
        )
        self._closed = False

    def analyse(self, data: bytes, annotate: bool = True) -> AnalysedPhoto:
        if self._closed:
            raise RuntimeError("PoseService is closed")
        start = time.monotonic()
        try:
            index = self._free.get(timeout=self.timeout_s)
        except queue.Empty:
            raise PhotoRejected(
                Reason.TIMEOUT, f"no worker free within {self.timeout_s:.0f} s"
            ) from None
        worker = self._workers[index]
        try:
            try:
                future = worker.executor.submit(_work, bytes(data), annotate)
                return future.result(timeout=max(0.1, self.timeout_s - (time.monotonic() - start)))
            except FutureTimeout:
                log.warning(
                    "photo analysis timed out after %.0f s; replacing worker", self.timeout_s
                )
                worker.replace(kill=True)
                raise PhotoRejected(
                    Reason.TIMEOUT, f"analysis took over {self.timeout_s:.0f} s"
                ) from None
            except BrokenProcessPool:
                log.warning("vision worker died; replacing it")
                worker.replace(kill=False)
                raise PhotoRejected(Reason.WORKER_FAILED, "the analysis process stopped") from None
        finally:
            self._free.put(index)

    async def analyse_async(self, data: bytes, annotate: bool = True) -> AnalysedPhoto:
        """Same as ``analyse``, awaited on a helper thread: the event loop never blocks."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self.analyse, data, annotate)

    def analyse_many(
        self, photos: list[bytes], annotate: bool = True
    ) -> list[AnalysedPhoto | PhotoRejected]:
        """Analyse several photos in parallel; each result is the analysis or its refusal."""

        def one(data: bytes) -> AnalysedPhoto | PhotoRejected:
            try:
                return self.analyse(data, annotate)
            except PhotoRejected as err:
                return err

        return list(self._threads.map(one, photos))

    def worker_pids(self) -> list[int | None]:
        """Process ids of the workers (None while one is starting): for health checks and tests."""
        return [w.pid() for w in self._workers]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._threads.shutdown(wait=True, cancel_futures=True)
        for worker in self._workers:
            worker.close()

    def __enter__(self) -> PoseService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
