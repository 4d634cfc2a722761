"""Photos analysed by ``backcare worker`` processes through Celery and a real Redis: the
same outcome as the in-process pool, the photo gone after analysis, a worker killed
mid-task redone by another with exactly one answer, time-outs ending in the pool's
clear refusal, and the worker's probes and metrics saying what they claim."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from backcare.taskqueue.config import QueueConfig
from backcare.taskqueue.service import QueuedPoseService
from backcare.taskqueue.store import PhotoStore
from backcare.vision.errors import PhotoRejected, Reason
from backcare.vision.pool import PoseService
from backcare.vision.types import AnalysedPhoto
from tests.backcare.taskqueue.workers import Worker, get
from tests.support import services

pytestmark = pytest.mark.slow

PHOTO = "renders/forward_bend_deep.jpg"
# seconds: a vanished worker's task is queued again this soon (kept above what one
# analysis may take on a loaded 2-core machine: a task overtaken sooner runs twice)
VISIBILITY = 8


@pytest.fixture(scope="session")
def photo_bytes(test_data):
    return lambda relative: (test_data / relative).read_bytes()


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    url = services.require(services.REDIS_URL)
    tag = f"bctest-{uuid.uuid4().hex[:10]}"
    yield {
        "BACKCARE_BROKER_URL": url,
        "BACKCARE_KEY_PREFIX": f"{tag}:",
        "BACKCARE_QUEUE": tag,
        "BACKCARE_TASK_VISIBILITY": str(VISIBILITY),
    }
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{tag}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="module")
def config(env) -> QueueConfig:
    config = QueueConfig.from_env(env)
    assert config is not None
    return config


@pytest.fixture(scope="module")
def workers(env, tmp_path_factory) -> Iterator[list[Worker]]:
    logs = tmp_path_factory.mktemp("workers")
    started = [Worker(env, logs / f"worker-{i}.log") for i in range(2)]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def service(config, workers) -> Iterator[QueuedPoseService]:
    with QueuedPoseService(config, timeout_s=60) as svc:
        yield svc


def keys_left(config: QueueConfig) -> list[str]:
    client = redis.Redis.from_url(config.result_url)
    try:
        return sorted(
            k.decode()
            for kind in ("photo", "tries", "outcome", "done")
            for k in client.scan_iter(match=f"{config.prefix}{kind}:*")
        )
    finally:
        client.close()


def accepted_counts(workers: list[Worker]) -> float:
    total = 0.0
    for worker in workers:
        if worker.proc.poll() is not None:
            continue
        text = get(worker.url + "/metrics")[1]
        found = re.search(
            r'^backcare_worker_analyses_total\{outcome="accepted"\} (\S+)$', text, re.M
        )
        total += float(found.group(1)) if found else 0.0
    return total


def test_a_photo_comes_back_as_the_in_process_pool_analyses_it(service, photo_bytes):
    data = photo_bytes(PHOTO)
    queued = service.analyse(data)
    with PoseService(workers=1, timeout_s=60) as pool:
        local = pool.analyse(data)
    assert isinstance(queued, AnalysedPhoto)
    assert queued.analysis.movement.movement == local.analysis.movement.movement
    assert queued.analysis.view.kind == local.analysis.view.kind
    assert queued.analysis.measurements.keys() == local.analysis.measurements.keys()
    for name, measured in local.analysis.measurements.items():
        assert queued.analysis.measurements[name].value == pytest.approx(measured.value, abs=1e-6)
    assert queued.annotated_jpeg is not None and queued.annotated_jpeg[:2] == b"\xff\xd8"
    assert service.analyse(data, annotate=False).annotated_jpeg is None


@pytest.mark.parametrize("other", [{"mirrored": True}, {"depth_flipped": True}])
def test_the_other_looks_travel_through_the_queue(service, photo_bytes, other):
    data = photo_bytes(PHOTO)
    queued = service.analyse(data, annotate=False, **other)
    with PoseService(workers=1, timeout_s=60) as pool:
        local = pool.analyse(data, annotate=False, **other)
    plain = service.analyse(data, annotate=False)
    assert queued.analysis.measurements.keys() == local.analysis.measurements.keys()
    for name, measured in local.analysis.measurements.items():
        assert queued.analysis.measurements[name].value == pytest.approx(measured.value, abs=1e-6)
    # and it is another reading than the plain look's (a mirrored picture, or the depth)
    assert any(
        plain.analysis.measurements[name].value != measured.value
        for name, measured in queued.analysis.measurements.items()
    )


def test_a_plain_look_s_message_keeps_the_previous_release_s_form(config, monkeypatch):
    # workers of earlier releases take (key, annotate) or (key, annotate, mirrored) only:
    # during a rolling upgrade each look reaches every worker that knows it; only the
    # depth-flipped look needs the fourth argument
    sent: list[list] = []
    with QueuedPoseService(config, timeout_s=0.2) as svc:
        monkeypatch.setattr(svc.app, "send_task", lambda name, args, **kw: sent.append(args))
        for other in ({}, {"mirrored": True}, {"depth_flipped": True}):
            with pytest.raises(PhotoRejected):  # nobody answers the recorded messages
                svc.analyse(b"photo", annotate=False, **other)
    assert [len(args) for args in sent] == [2, 3, 4]
    assert sent[0][1] is False and sent[1][1:] == [False, True]
    assert sent[2][1:] == [False, False, True]


def test_a_bad_photo_is_refused_with_the_pools_reason(service):
    with pytest.raises(PhotoRejected) as err:
        service.analyse(b"GIF89a not really")
    assert err.value.reason in (Reason.NOT_IMAGE, Reason.CORRUPT)


async def test_the_async_entry_point_gives_the_same_analysis(service, photo_bytes):
    outs = await asyncio.gather(
        *(service.analyse_async(photo_bytes(PHOTO), annotate=False) for _ in range(3))
    )
    assert {o.analysis.movement.movement.value for o in outs} == {"forward_bend"}


def test_nothing_of_the_photo_is_left_in_redis_after_analysis(service, config, photo_bytes):
    service.analyse(photo_bytes(PHOTO), annotate=False)
    with pytest.raises(PhotoRejected):
        service.analyse(b"not a photo")
    assert keys_left(config) == []


def test_a_photo_nobody_takes_expires_by_itself(config):
    store = PhotoStore(config.result_url, config.prefix, ttl_s=1.0)
    try:
        store.put("orphan", b"\xff\xd8 photo bytes")
        ttl = store.redis.pttl(f"{config.prefix}photo:orphan")
        assert 0 < ttl <= 1000
        time.sleep(1.3)
        assert store.redis.exists(f"{config.prefix}photo:orphan") == 0
    finally:
        store.close()


def test_no_worker_on_the_queue_is_a_timeout_and_the_photo_is_taken_back(config, photo_bytes):
    idle = QueueConfig(
        broker_url=config.broker_url,
        result_url=config.result_url,
        queue=config.queue + "-nobody",
        prefix=config.prefix,
    )
    with QueuedPoseService(idle, timeout_s=1.5) as svc:
        start = time.monotonic()
        with pytest.raises(PhotoRejected) as err:
            svc.analyse(photo_bytes(PHOTO))
        assert time.monotonic() - start < 4
        assert err.value.reason is Reason.TIMEOUT
        assert svc.queue_depth() == 1  # still queued: a worker arriving later drops it (expired)
    assert keys_left(config) == []


def test_an_analysis_slower_than_the_timeout_is_the_clear_timeout(config, workers, photo_bytes):
    # the pool processes are paused, so the analysis outlasts the caller's time-out whatever
    # the machine's speed (a 50 ms time-out raced a fast worker and Redis's 100 ms timer)
    paused = [pid for worker in workers for pid in worker.children()]
    assert paused
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        with QueuedPoseService(config, timeout_s=1.0) as svc, pytest.raises(PhotoRejected) as err:
            svc.analyse(photo_bytes(PHOTO))
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)
    assert err.value.reason is Reason.TIMEOUT
    assert err.value.detail == "analysis took over 1 s"


def test_a_hung_analysis_is_stopped_at_the_time_limit_and_refused_once(
    config, env, photo_bytes, tmp_path
):
    hang = {**env, "BACKCARE_QUEUE": config.queue + "-hang", "BACKCARE_TASK_TIME_LIMIT": "2"}
    hang_config = QueueConfig.from_env(hang)
    assert hang_config is not None
    worker = Worker(hang, tmp_path / "worker-hang.log")
    try:
        worker.wait_ready()
        with QueuedPoseService(hang_config, timeout_s=30) as svc:
            thread, answers = _submit(svc, photo_bytes(PHOTO))
            _begun(hang_config)
            for pid in worker.children():
                os.kill(pid, signal.SIGSTOP)  # the analysis hangs
            start = time.monotonic()
            thread.join(30)
            assert time.monotonic() - start < 10  # the time limit, not the caller's 30 s
        assert len(answers) == 1 and isinstance(answers[0], PhotoRejected)
        assert answers[0].reason is Reason.TIMEOUT
        assert answers[0].detail == "analysis took over 2 s"
        worker.wait_ready()  # a new process took the hung one's place
        text = get(worker.url + "/metrics")[1]
        assert re.search(r'^backcare_worker_analyses_total\{outcome="timeout"\} 1\.0$', text, re.M)
        assert 'outcome="accepted"' not in text  # not analysed again after the kill
    finally:
        worker.stop()
    assert keys_left(config) == []


def _submit(service: QueuedPoseService, data: bytes) -> tuple[threading.Thread, list]:
    answers: list = []

    def call() -> None:
        try:
            answers.append(service.analyse(data, annotate=False))
        except PhotoRejected as err:
            answers.append(err)

    thread = threading.Thread(target=call)
    thread.start()
    return thread, answers


def _begun(config: QueueConfig, timeout: float = 30.0) -> str:
    """The key of the photo a worker process has begun on (its ``tries`` key appeared)."""
    client = redis.Redis.from_url(config.result_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            found = list(client.scan_iter(match=f"{config.prefix}tries:*"))
            if found:
                return found[0].decode().rsplit(":", 1)[1]
            time.sleep(0.002)
        raise TimeoutError("no worker began on the photo")
    finally:
        client.close()


def test_a_pool_process_killed_mid_task_is_replaced_and_the_photo_answered_once(
    service, config, workers, photo_bytes
):
    before = accepted_counts(workers)
    thread, answers = _submit(service, photo_bytes(PHOTO))
    key = _begun(config)
    children = [pid for w in workers for pid in w.children()]
    for pid in children:  # freeze the one analysing it (and the idle one) mid-task
        os.kill(pid, signal.SIGSTOP)
    store = PhotoStore(config.result_url, config.prefix, 60)
    try:
        assert store.outcome(key) is None, "the analysis ended before the kill: not mid-task"
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        thread.join(60)
        assert len(answers) == 1 and isinstance(answers[0], AnalysedPhoto)
        time.sleep(1.0)  # a second answer would come now
        assert len(answers) == 1
        assert store.outcome(key) is None  # taken by the caller, nothing left
        for worker in workers:
            worker.wait_ready()
        assert accepted_counts(workers) == before + 1  # analysed once to the end
    finally:
        store.close()
    assert keys_left(config) == []


def test_a_worker_killed_mid_task_leaves_the_photo_to_another_worker(
    service, config, env, workers, photo_bytes, tmp_path
):
    # Kills both workers for good (the probes test after it uses the new one). Only A runs
    # when the photo is sent: a frozen worker could still take it (Redis hands it over).
    a, b = workers
    b.stop()
    thread, answers = _submit(service, photo_bytes(PHOTO))
    key = _begun(config)
    a.signal_all(signal.SIGSTOP)
    store = PhotoStore(config.result_url, config.prefix, 60)
    try:
        assert store.outcome(key) is None, "the analysis ended before the kill: not mid-task"
    finally:
        store.close()
    a.signal_all(signal.SIGKILL)  # the machine went away: main process and pool
    a.proc.wait(10)
    assert not answers
    c = Worker(env, tmp_path / "worker-c.log")
    workers.append(c)  # stopped with the others
    c.wait_ready()
    thread.join(VISIBILITY + 30)
    assert len(answers) == 1 and isinstance(answers[0], AnalysedPhoto)
    time.sleep(1.0)  # a second answer would come now
    assert len(answers) == 1
    assert accepted_counts([c]) == 1
    assert keys_left(config) == []


def test_probes_and_metrics_say_what_they_claim(config, workers, service, photo_bytes):
    live = [w for w in workers if w.proc.poll() is None]
    assert live
    worker = live[-1]
    assert get(worker.url + "/healthz") == (200, "ok\n")
    assert get(worker.url + "/readyz") == (200, "ready\n")
    before = accepted_counts([worker])
    service.analyse(photo_bytes(PHOTO), annotate=False)
    time.sleep(0.2)
    text = get(worker.url + "/metrics")[1]
    assert accepted_counts([worker]) == before + 1
    assert re.search(r"^backcare_worker_queue_depth 0\.0$", text, re.M)
    assert "backcare_worker_analysis_seconds_count" in text


def test_rabbitmq_as_the_broker_carries_the_photo_the_same_way(photo_bytes, tmp_path):
    amqp = services.require(services.AMQP_URL)
    redis_url = services.require(services.REDIS_URL)
    tag = f"bctest-{uuid.uuid4().hex[:10]}"
    env = {
        "BACKCARE_BROKER_URL": amqp,
        "BACKCARE_RESULT_URL": redis_url,
        "BACKCARE_KEY_PREFIX": f"{tag}:",
        "BACKCARE_QUEUE": tag,
    }
    config = QueueConfig.from_env(env)
    assert config is not None
    worker = Worker(env, tmp_path / "worker-amqp.log")
    try:
        worker.wait_ready()
        with QueuedPoseService(config, timeout_s=60) as svc:
            out = svc.analyse(photo_bytes(PHOTO), annotate=False)
            assert out.analysis.movement.movement.value == "forward_bend"
            assert svc.queue_depth() == 0
    finally:
        worker.stop()
        with QueuedPoseService(config) as svc, svc.app.connection_for_write() as conn:
            channel = conn.default_channel
            channel.queue_delete(tag)
            channel.exchange_delete(tag)
            channel.exchange_delete(f"{tag}.pidbox")  # the workers' control exchange
    assert keys_left(config) == []
