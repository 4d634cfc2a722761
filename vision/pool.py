"""Worker processes that analyse photos in parallel without blocking the caller.

Each worker is its own single-process pool started with ``spawn`` (MediaPipe
crashes in a child forked after a graph has run) holding one reused
PoseEstimator. A call takes a free worker, so one worker dying or hanging
affects only the call it was running, and the worker is replaced for the next one.
A worker found dead while idle is replaced before the call uses it; one that dies
during an analysis gets the photo once more on a fresh worker, and only a second
death is ``WORKER_FAILED`` (a photo that keeps crashing its worker is not retried
forever). A hang is ``TIMEOUT``, not retried: the patient already waited.

Each worker sets its own lower CPU priority and ties its life to the process that
started it in its initializer, so a replacement gets both too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.types import AnalysedPhoto

log = logging.getLogger(__name__)

_estimator = None  # one per worker process
# How often a worker checks that the process that started it is still there, where the
# kernel cannot tell it (no prctl) or its signal was missed
PARENT_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def native_logs_wanted() -> bool:
    """MediaPipe's own C++ logging is for debugging: shown only at log level DEBUG
    (BACKCARE_LOG_LEVEL, or the caller's root logger set to DEBUG)."""
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
    try:
        sys.stderr.flush()
        kept = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # no descriptor 2 to redirect (a daemon): nothing floods anything
        return
    sys.stderr = os.fdopen(kept, "w", buffering=1, errors="backslashreplace")


def exit_with_parent(parent_pid: int, kernel_signal: bool = True) -> None:
    """End this process when ``parent_pid``, the process that started it, dies.

    A bot killed with SIGKILL (or the OOM killer) cannot shut its pool down, and an
    orphaned worker would hold MediaPipe's memory, and a core whenever it was mid-photo,
    until the machine restarts. On Linux the kernel sends SIGKILL the moment the parent
    thread ends (prctl PR_SET_PDEATHSIG, which works even for a frozen or busy worker);
    a daemon thread watching ``os.getppid()`` covers other systems and a missed signal.
    """
    if kernel_signal and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the thread below still watches
            pass
    if os.getppid() != parent_pid:  # the parent died before we asked
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def lower_priority(niceness: int) -> int:
    """Raise this process's nice value to ``niceness`` (never lower it); the new value.

    Linux keeps a nice value per thread: new threads inherit it from the one creating
    them, and the threads already there (OpenBLAS starts its own when numpy is imported)
    are set one by one. Called first in the worker, before MediaPipe starts its threads.
    """
    try:
        threads = [int(t.name) for t in Path("/proc/self/task").iterdir()]
    except (OSError, ValueError):  # not Linux: the call below covers the whole process
        threads = [0]
    try:
        for tid in threads:
            with contextlib.suppress(ProcessLookupError):  # a thread that just ended
                if niceness > os.getpriority(os.PRIO_PROCESS, tid):
                    os.setpriority(os.PRIO_PROCESS, tid, niceness)
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):  # no priorities on this system: analysis still works
        return 0


def _init_worker(
    quiet_native: bool = True, niceness: int = 0, parent_pid: int | None = None
) -> None:
    """Set up a worker process: its priority, its life tied to the parent's, its
    estimator built and run once (so the first photo is not slow)."""
    global _estimator
    if niceness:
        lower_priority(niceness)  # before any thread starts, the watcher's included
    if parent_pid is not None:
        exit_with_parent(parent_pid)
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
    # the fitted models' parameters too, before any photo's buffers come and go around them
    from backcare.vision import estimators, proxies

    estimators.load()
    proxies.load()


def _ping() -> int:
    return os.getpid()


def _work(
    data: bytes, annotate: bool | str, mirrored: bool = False, depth_flipped: bool = False
) -> AnalysedPhoto:
    """Runs in a worker: bytes -> AnalysedPhoto, or PhotoRejected (``mirrored``,
    ``depth_flipped``: the other looks, vision.analysis.analyse_image)."""
    from backcare.vision.analysis import analyse_image
    from backcare.vision.loading import focal_35mm, load_image

    try:
        rgb = load_image(data)
        return analyse_image(
            rgb,
            _estimator,
            annotate=annotate,
            focal_35mm=focal_35mm(data),
            mirrored=mirrored,
            depth_flipped=depth_flipped,
        )
    except PhotoRejected:
        raise
    except Exception as err:  # a bug must not look like a crash to the patient
        logging.getLogger(__name__).exception("photo analysis failed")
        raise PhotoRejected(Reason.WORKER_FAILED, f"analysis error: {type(err).__name__}") from None


class _Worker:
    """One worker process behind a single-process executor, replaceable."""

    def __init__(self, spawner: ThreadPoolExecutor, niceness: int) -> None:
        self._lock = threading.Lock()
        self._spawner = spawner
        self._niceness = niceness
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # Started from the service's own thread, never the caller's: Linux's parent-death
        # signal follows the thread that started a process, and a caller's thread may end
        # long before the service does.
        return self._spawner.submit(self._new_executor, self._niceness).result()

    @staticmethod
    def _new_executor(niceness: int) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(not native_logs_wanted(), niceness, os.getpid()),
        )
        executor.submit(_ping)  # start the process now (in this thread), in the background
        return executor

    def pid(self) -> int | None:
        processes = getattr(self.executor, "_processes", None) or {}
        return next(iter(processes), None)

    def alive(self) -> bool:
        """False once its process is gone (killed while idle, say): replace before use."""
        if getattr(self.executor, "_broken", False):
            return False
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        return all(process.is_alive() for process in processes)

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


class AnalysisService(ABC):
    """A photo-analysis service: one blocking ``analyse``; the awaitable and batch forms run
    it on the service's helper threads (in-process pool or task queue alike)."""

    _threads: ThreadPoolExecutor

    @abstractmethod
    def analyse(
        self,
        data: bytes,
        annotate: bool | str = True,
        mirrored: bool = False,
        depth_flipped: bool = False,
    ) -> AnalysedPhoto:
        """``mirrored``: BlazePose reads the photo mirrored; ``depth_flipped``: its depth is
        turned over (the other looks at a doubtful photo,
        backcare.application.pipeline.other_looks; vision.analysis.analyse_image)."""

    async def analyse_async(
        self,
        data: bytes,
        annotate: bool | str = True,
        mirrored: bool = False,
        depth_flipped: bool = False,
    ) -> AnalysedPhoto:
        """Same as ``analyse``, awaited on a helper thread: the event loop never blocks."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._threads, self.analyse, data, annotate, mirrored, depth_flipped
        )

    def analyse_many(
        self, photos: list[bytes], annotate: bool | str = True
    ) -> list[AnalysedPhoto | PhotoRejected]:
        """Analyse several photos in parallel; each result is the analysis or its refusal."""

        def one(data: bytes) -> AnalysedPhoto | PhotoRejected:
            try:
                return self.analyse(data, annotate)
            except PhotoRejected as err:
                return err

        return list(self._threads.map(one, photos))


class PoseService(AnalysisService):
    """Photo analysis in ``workers`` processes; sync, async and batch entry points.

    ``analyse(data)`` -> AnalysedPhoto or raises PhotoRejected (bad photo, TIMEOUT
    after ``timeout_s`` waiting and running, WORKER_FAILED when a worker died on it twice).
    ``niceness``: the workers' CPU priority (0 keeps the caller's); the bot lowers it so
    that text answers do not wait behind photo analysis.
    """

    def __init__(self, workers: int = 1, timeout_s: float = 30.0, niceness: int = 0):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.timeout_s = float(timeout_s)
        self.niceness = int(niceness)
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision-start")
        self._workers = [_Worker(self._spawner, self.niceness) for _ in range(workers)]
        self._free: queue.Queue[int] = queue.Queue()
        for i in range(workers):
            self._free.put(i)
        self._threads = ThreadPoolExecutor(
            max_workers=max(4, 2 * workers), thread_name_prefix="vision"
        )
        self._closed = False

    def analyse(
        self,
        data: bytes,
        annotate: bool | str = True,
        mirrored: bool = False,
        depth_flipped: bool = False,
    ) -> AnalysedPhoto:
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
            if (
                not worker.alive()
            ):  # it died waiting (killed, out of memory): not this photo's doing
                log.warning("vision worker stopped while idle; replacing it")
                worker.replace(kill=False)
            for attempt in (1, 2):
                try:
                    future = worker.executor.submit(
                        _work, bytes(data), annotate, mirrored, depth_flipped
                    )
                    left = self.timeout_s - (time.monotonic() - start)
                    return future.result(timeout=max(0.1, left))
                except FutureTimeout:
                    log.warning(
                        "photo analysis timed out after %.0f s; replacing worker", self.timeout_s
                    )
                    worker.replace(kill=True)
                    raise PhotoRejected(
                        Reason.TIMEOUT, f"analysis took over {self.timeout_s:.0f} s"
                    ) from None
                except BrokenProcessPool:
                    worker.replace(kill=False)
                    if attempt == 1:
                        log.warning("vision worker died during an analysis; once more on a new one")
                        continue
                    log.warning("vision worker died again on the same photo; giving up on it")
            raise PhotoRejected(
                Reason.WORKER_FAILED, "the analysis process stopped twice on this photo"
            )
        finally:
            self._free.put(index)

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
        self._spawner.shutdown(wait=True)  # last: its end is the workers' parent-death signal

    def __enter__(self) -> PoseService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
