"""Worker pool: photos are analysed in spawned processes, the event loop never waits,
and a dead or stuck worker costs one refusal, not the service."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.pool import PoseService
from backcare.vision.types import AnalysedPhoto

PHOTO = "renders/forward_bend_deep.jpg"


@pytest.fixture(scope="module")
def service():
    with PoseService(workers=1, timeout_s=60) as svc:
        yield svc


def test_analyse_returns_the_analysis(service, photo_bytes):
    out = service.analyse(photo_bytes(PHOTO))
    assert isinstance(out, AnalysedPhoto)
    assert out.analysis.movement.movement.value == "forward_bend"
    assert out.annotated_jpeg[:2] == b"\xff\xd8"
    assert service.analyse(photo_bytes(PHOTO), annotate=False).annotated_jpeg is None


@pytest.mark.parametrize("other", [{"mirrored": True}, {"depth_flipped": True}])
def test_the_other_looks_read_the_photo_in_the_worker(service, photo_bytes, estimator, other):
    from backcare.vision.analysis import analyse_image
    from backcare.vision.loading import focal_35mm, load_image

    data = photo_bytes(PHOTO)
    out = service.analyse(data, annotate=False, **other)
    here = analyse_image(
        load_image(data), estimator, annotate=False, focal_35mm=focal_35mm(data), **other
    )
    assert out.analysis.movement.movement.value == "forward_bend"
    assert out.analysis.view.yaw_deg == here.analysis.view.yaw_deg
    for name, measured in here.analysis.measurements.items():
        assert out.analysis.measurements[name].value == pytest.approx(measured.value, abs=1e-6)


def test_bad_photos_are_refused_not_crashed(service):
    with pytest.raises(PhotoRejected) as err:
        service.analyse(b"GIF89a not really")
    assert err.value.reason in (Reason.NOT_IMAGE, Reason.CORRUPT)


async def test_async_analysis_leaves_the_event_loop_free(service, photo_bytes):
    data = photo_bytes(PHOTO)
    ticks = 0
    done = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    start = time.perf_counter()
    results = await asyncio.gather(*(service.analyse_async(data) for _ in range(4)))
    elapsed = time.perf_counter() - start
    done.set()
    await task
    assert all(isinstance(r, AnalysedPhoto) for r in results)
    assert ticks >= 0.4 * elapsed / 0.005  # the loop kept ticking while the worker analysed


def test_analyse_many_keeps_order_and_returns_refusals(service, photo_bytes):
    good = photo_bytes(PHOTO)
    out = service.analyse_many([good, b"", photo_bytes("renders/two_people.jpg"), good])
    assert isinstance(out[0], AnalysedPhoto) and isinstance(out[3], AnalysedPhoto)
    assert out[1].reason is Reason.NOT_IMAGE and out[2].reason is Reason.SEVERAL_PEOPLE


def test_a_worker_killed_while_idle_does_not_fail_the_next_photo(service, photo_bytes):
    service.analyse(photo_bytes(PHOTO))  # make sure the worker is up
    pid = service.worker_pids()[0]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the worker process this test's service started
    time.sleep(0.2)
    assert isinstance(service.analyse(photo_bytes(PHOTO)), AnalysedPhoto)
    assert service.worker_pids()[0] not in (None, pid)


@contextlib.contextmanager
def frozen(pid: int):
    """The worker stops running (SIGSTOP) until the block ends or it is killed: a photo
    sent to it meanwhile is certainly "in the middle of an analysis"."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)


def new_worker(svc: PoseService, old: int, within: float = 30.0) -> int:
    end = time.monotonic() + within
    while time.monotonic() < end:
        pid = svc.worker_pids()[0]
        if pid not in (None, old):
            return pid
        time.sleep(0.005)
    raise AssertionError("no new worker started")


def test_a_worker_killed_mid_analysis_gets_the_photo_again_on_a_fresh_one(service, photo_bytes):
    service.analyse(photo_bytes(PHOTO))
    pid = service.worker_pids()[0]
    with ThreadPoolExecutor(1) as caller, frozen(pid):
        pending = caller.submit(service.analyse, photo_bytes(PHOTO))
        time.sleep(0.5)  # the photo is with the frozen worker
        os.kill(pid, signal.SIGKILL)
        assert isinstance(pending.result(timeout=60), AnalysedPhoto)
    assert service.worker_pids()[0] not in (None, pid)


def test_a_worker_dying_again_on_the_retry_is_one_clear_refusal(service, photo_bytes):
    service.analyse(photo_bytes(PHOTO))
    pid = service.worker_pids()[0]
    with ThreadPoolExecutor(1) as caller, frozen(pid):
        pending = caller.submit(service.analyse, photo_bytes(PHOTO))
        time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        os.kill(new_worker(service, pid), signal.SIGKILL)  # the retry's worker dies too
        with pytest.raises(PhotoRejected) as err:
            pending.result(timeout=60)
    assert err.value.reason is Reason.WORKER_FAILED
    assert "twice" in str(err.value)
    assert isinstance(service.analyse(photo_bytes(PHOTO)), AnalysedPhoto)  # and it goes on


def thread_nice_values(pid: int) -> list[int]:
    """The nice value of every thread of ``pid`` (Linux keeps one per thread)."""
    values = []
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        with contextlib.suppress(OSError):
            values.append(int(stat.read_text().rsplit(")", 1)[1].split()[16]))
    return values


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_replaced_worker_runs_at_the_lower_priority_too(photo_bytes):
    caller = os.getpriority(os.PRIO_PROCESS, 0)
    nice = max(caller, 12)  # a worker lowers its priority, never raises it
    with PoseService(workers=1, timeout_s=60, niceness=12) as svc:
        svc.analyse(photo_bytes(PHOTO), annotate=False)
        first = svc.worker_pids()[0]
        assert os.getpriority(os.PRIO_PROCESS, first) == nice
        assert set(thread_nice_values(first)) == {nice}, "MediaPipe's threads too"

        os.kill(first, signal.SIGKILL)  # replaced after a crash
        svc.analyse(photo_bytes(PHOTO), annotate=False)
        second = new_worker(svc, first)
        assert os.getpriority(os.PRIO_PROCESS, second) == nice
        assert set(thread_nice_values(second)) == {nice}

        svc.timeout_s = 1.0  # replaced after a time-out
        with frozen(second), pytest.raises(PhotoRejected):
            svc.analyse(photo_bytes(PHOTO), annotate=False)
        svc.timeout_s = 60
        svc.analyse(photo_bytes(PHOTO), annotate=False)
        third = new_worker(svc, second)
        assert os.getpriority(os.PRIO_PROCESS, third) == nice
        assert set(thread_nice_values(third)) == {nice}
    assert os.getpriority(os.PRIO_PROCESS, 0) == caller, "the caller keeps its own"


def test_a_call_past_its_time_is_a_timeout_and_the_worker_is_replaced(photo_bytes):
    with PoseService(workers=1, timeout_s=0.2) as svc:  # the worker needs ~1 s just to start
        with pytest.raises(PhotoRejected) as err:
            svc.analyse(photo_bytes(PHOTO))
        assert err.value.reason is Reason.TIMEOUT
        svc.timeout_s = 60
        assert isinstance(svc.analyse(photo_bytes(PHOTO)), AnalysedPhoto)


def test_two_workers_share_the_photos(photo_bytes):
    with PoseService(workers=2, timeout_s=60) as svc:
        out = svc.analyse_many([photo_bytes(PHOTO)] * 6, annotate=False)
        assert all(isinstance(o, AnalysedPhoto) for o in out)
        pids = svc.worker_pids()
        assert len(set(pids)) == 2 and None not in pids


def test_a_closed_service_refuses_work(photo_bytes):
    svc = PoseService(workers=1)
    svc.close()
    with pytest.raises(RuntimeError):
        svc.analyse(photo_bytes(PHOTO))


# ------------------------------------------------------------------ workers end with their parent

_POOL_IN_A_PARENT = """
import sys, time
from backcare.vision.pool import PoseService
service = PoseService(workers=2, timeout_s=60)
service.analyse_many([b"", b""], annotate=False)  # both workers up (refusals are quick)
print(*service.worker_pids(), flush=True)
time.sleep(600)
"""
_ORPHAN_IN_A_PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen(
    [sys.executable, "-c", sys.argv[1], str(os.getpid())], stdout=subprocess.PIPE, text=True
)
assert child.stdout.readline().strip() == "watching"
print(child.pid, flush=True)
time.sleep(600)
"""
_WATCHED_BY_A_THREAD_ONLY = """
import sys, time
from backcare.vision.pool import exit_with_parent
exit_with_parent(int(sys.argv[1]), kernel_signal=False)
print("watching", flush=True)
time.sleep(600)
"""


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for init to reap it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """The pids still running after ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(running(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if running(p)]


def kill_parent_and_watch(code: str, *args: str, repo_root, seconds: float) -> list[int]:
    """Start ``code`` in a parent process, read the pids it prints, SIGKILL the parent
    and return those still running ``seconds`` later (killed then, so nothing leaks)."""
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    parent = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=repo_root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    pids: list[int] = []
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids and all(running(p) for p in pids)
        parent.kill()  # SIGKILL: no atexit, no pool shutdown, nothing of the parent runs
        parent.wait()
        return gone_within(pids, seconds)
    finally:
        parent.kill()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_process_that_started_them_is_killed(repo_root):
    left = kill_parent_and_watch(_POOL_IN_A_PARENT, repo_root=repo_root, seconds=5)
    assert left == [], "orphaned vision workers"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_without_the_kernels_signal_the_watching_thread_ends_an_orphan(repo_root):
    left = kill_parent_and_watch(
        _ORPHAN_IN_A_PARENT, _WATCHED_BY_A_THREAD_ONLY, repo_root=repo_root, seconds=5
    )
    assert left == []


# ------------------------------------------------------------------ MediaPipe's native logging

_NATIVE_NOISE = ("inference_feedback_manager", "XNNPACK delegate", "absl::InitializeLog")
_ANALYSE_IN_A_CHILD = """
import sys
from backcare.vision.pool import PoseService
with PoseService(workers=1, timeout_s=60) as service:
    out = service.analyse(open(sys.argv[1], "rb").read(), annotate=False)
print(out.analysis.movement.movement.value)
"""


def _run_child(
    code: str, *args: str, log_level: str | None, repo_root
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BACKCARE_LOG_LEVEL"}
    if log_level:
        env["BACKCARE_LOG_LEVEL"] = log_level
    env["PYTHONPATH"] = str(repo_root)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("log_level", [None, "INFO", "DEBUG"])
def test_mediapipe_native_logs_stay_out_of_the_terminal_unless_debugging(
    log_level, repo_root, test_data
):
    """`backcare demo` and `chat` share the terminal with the workers: MediaPipe's absl and
    TFLite lines (written straight to file descriptor 2) are shown only at DEBUG."""
    done = _run_child(
        _ANALYSE_IN_A_CHILD, str(test_data / PHOTO), log_level=log_level, repo_root=repo_root
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "forward_bend"
    noisy = [line for line in done.stderr.splitlines() if any(n in line for n in _NATIVE_NOISE)]
    if log_level == "DEBUG":
        assert noisy, done.stderr  # the switch works both ways: at DEBUG they are there to read
    else:
        assert not noisy, done.stderr


def test_python_errors_still_reach_stderr_when_native_logs_are_silenced(repo_root):
    code = """
import logging, os, sys
from backcare.vision.pool import silence_native_stderr
silence_native_stderr()
os.write(2, b"native noise\\n")
print("python message", file=sys.stderr)
logging.getLogger("backcare.vision").warning("logged warning")
raise SystemExit("exit message")
"""
    done = _run_child(code, log_level=None, repo_root=repo_root)
    assert "native noise" not in done.stderr
    for shown in ("python message", "logged warning", "exit message"):
        assert shown in done.stderr, done.stderr
