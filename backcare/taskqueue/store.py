"""Photos in transit and their outcomes, in Redis under one random key per photo.

For a photo key ``k`` (all under the configured prefix):

- ``photo:k``     the photo's bytes, with a short time-to-live: a photo nobody picks up
                  (no worker, the caller gone) disappears by itself
- ``tries:k``     how many times a worker began on it (a photo that kills its process
                  is not retried forever)
- ``outcome:k``   the analysis or the refusal, pickled (the same objects the in-process
                  pool returns); written before the photo is deleted and before the task
                  is acknowledged, so a redelivered task returns it instead of analysing
                  again
- ``done:k``      a list the caller waits on (BLPOP): one item once the outcome is there

Only the first run of a photo to finish stores its outcome and wakes the caller (a
duplicate run, after a redelivery that overtook a slow worker, finds ``tries`` gone);
the caller takes the outcome and deletes every key of the photo.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

import redis

from backcare.vision.errors import PhotoRejected
from backcare.vision.types import AnalysedPhoto

Outcome = AnalysedPhoto | PhotoRejected
WAIT_SLICE_S = 2.0

# KEYS: photo, tries; ARGV: the time-to-live in ms. Nothing is written for a photo that
# is gone (answered already, expired, or taken back by a caller who gave up).
_BEGIN = """
local data = redis.call('GET', KEYS[1])
if not data then return nil end
local tries = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {data, tries}
"""
# KEYS: photo, tries, outcome, done; ARGV: the pickled outcome, the time-to-live in ms.
# ``tries`` exists from a run's start until the first run finishes or the caller takes
# the outcome (or gives up): without it, this run is a duplicate and stores nothing.
_FINISH = """
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('RPUSH', KEYS[4], '1')
redis.call('PEXPIRE', KEYS[4], ARGV[2])
return 1
"""


class PhotoStore:
    def __init__(self, url: str, prefix: str, ttl_s: float, max_connections: int = 32) -> None:
        self.prefix = prefix
        self.ttl_ms = int(ttl_s * 1000)
        self.redis: redis.Redis = redis.Redis.from_url(
            url,
            max_connections=max_connections,
            socket_connect_timeout=3,
            health_check_interval=30,
        )
        self._begin = self.redis.register_script(_BEGIN)
        self._finish = self.redis.register_script(_FINISH)

    def _keys(self, key: str) -> tuple[str, str, str, str]:
        p = self.prefix
        return f"{p}photo:{key}", f"{p}tries:{key}", f"{p}outcome:{key}", f"{p}done:{key}"

    # -- caller ---------------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> None:
        self.redis.set(self._keys(key)[0], data, px=self.ttl_ms)

    def wait(self, key: str, timeout_s: float) -> bool:
        """True once a worker has stored the outcome, False after ``timeout_s``."""
        done = self._keys(key)[3]
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # short blocks: each stays within the client's socket time-out (5 s), so a
            # Redis that vanished is noticed instead of waited on
            if self.redis.blpop([done], timeout=min(WAIT_SLICE_S, max(0.01, left))) is not None:
                return True

    def take(self, key: str) -> Outcome | None:
        """The outcome (None if none was stored), every key of the photo deleted."""
        keys = self._keys(key)
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(keys[2])
        pipe.delete(*keys)
        raw = pipe.execute()[0]
        return None if raw is None else _loads(raw)

    def discard(self, key: str) -> None:
        """Every key of the photo deleted (the caller gave up on it)."""
        self.redis.delete(*self._keys(key))

    # -- worker ---------------------------------------------------------------------------
    def outcome(self, key: str) -> Outcome | None:
        raw = self.redis.get(self._keys(key)[2])
        return None if raw is None else _loads(raw)

    def begin(self, key: str) -> tuple[bytes, int] | None:
        """The photo and how many times a worker has now begun on it, this time included;
        None when the photo is gone (answered, expired, or taken back)."""
        found = self._begin(keys=list(self._keys(key)[:2]), args=[self.ttl_ms])
        return None if found is None else (bytes(found[0]), int(found[1]))

    def finish(self, key: str, outcome: Outcome) -> bool:
        """Store the outcome, delete the photo and wake the caller, atomically; False (and
        nothing written) when another run finished first or the caller gave up."""
        data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        return bool(self._finish(keys=list(self._keys(key)), args=[data, self.ttl_ms]))

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def close(self) -> None:
        self.redis.close()


def _loads(raw: Any) -> Outcome:
    # Written only by our own workers into our own Redis (the same trust as the in-process
    # pool's pickled results); never data from patients or the network.
    value = pickle.loads(raw)
    if not isinstance(value, AnalysedPhoto | PhotoRejected):
        raise TypeError(f"unexpected outcome {type(value).__name__}")
    return value
