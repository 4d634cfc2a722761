"""Worker pool: photos are analysed in spawned processes, the event loop never waits,
and a dead or stuck worker costs one refusal, not the service."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.pool import PoseService
from backcare.vision.types import AnalysedPhoto

PHOTO = "movements/forward_bend/Standing_Toe_Touches__1.jpg"


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
    out = service.analyse_many(
        [good, b"", photo_bytes("movements/rotation/Medicine_Ball_Full_Twist__1.jpg"), good]
    )
    assert isinstance(out[0], AnalysedPhoto) and isinstance(out[3], AnalysedPhoto)
    assert out[1].reason is Reason.NOT_IMAGE and out[2].reason is Reason.SEVERAL_PEOPLE


def test_a_killed_worker_costs_one_call_then_the_pool_recovers(service, photo_bytes):
    service.analyse(photo_bytes(PHOTO))  # make sure the worker is up
    pid = service.worker_pids()[0]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the worker process this test's service started
    time.sleep(0.2)
    with pytest.raises(PhotoRejected) as err:
        service.analyse(photo_bytes(PHOTO))
    assert err.value.reason is Reason.WORKER_FAILED
    assert isinstance(service.analyse(photo_bytes(PHOTO)), AnalysedPhoto)
    assert service.worker_pids()[0] != pid


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
    log_level, repo_root, shared_data
):
    """`backcare demo` and `chat` share the terminal with the workers: MediaPipe's absl and
    TFLite lines (written straight to file descriptor 2) are shown only at DEBUG."""
    done = _run_child(
        _ANALYSE_IN_A_CHILD, str(shared_data / PHOTO), log_level=log_level, repo_root=repo_root
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
