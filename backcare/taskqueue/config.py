"""Where the queue and the photo store are: environment variables only.

=============================  ==========================================================
variable                       meaning
=============================  ==========================================================
BACKCARE_BROKER_URL            Celery broker: ``redis://host:6379/0`` or
                               ``amqp://user:password@host:5672//``; when set, photos are
                               analysed by ``backcare worker`` processes, not in-process
BACKCARE_RESULT_URL            Redis holding photos in transit and their outcomes
                               (default: the broker URL when it is Redis, else
                               ``redis://127.0.0.1:6379/0``)
BACKCARE_QUEUE                 the queue's name (default ``backcare-photos``)
BACKCARE_KEY_PREFIX            prefix of every Redis key used, the broker's included when
                               it is Redis (default ``backcare:``)
BACKCARE_PHOTO_TTL             seconds a photo may wait in Redis (default 120); it is
                               deleted as soon as it is analysed
BACKCARE_TASK_TIME_LIMIT       seconds one analysis may run before its process is killed
                               and the photo refused as TIMEOUT (default 25)
BACKCARE_TASK_VISIBILITY       Redis broker: seconds after which a task taken by a worker
                               that vanished (machine off) is queued again (default 30;
                               above the task time limit of 25 s)
=============================  ==========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_RESULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "backcare-photos"
DEFAULT_PREFIX = "backcare:"
PHOTO_TTL_S = 120.0
# A photo takes 1-3 s; a task still running after this is stuck (a hang): its process is
# killed and the photo refused (TIMEOUT), never retried, as in the in-process pool.
TASK_TIME_LIMIT_S = 25.0
# Redis as broker: a task taken by a worker that vanished (machine off, SIGKILL of the
# whole worker) goes back to the queue after this long; longer than any task may run.
VISIBILITY_S = 30.0
# Deliveries of one photo before it is refused: a photo that killed its process twice
# is WORKER_FAILED, like the in-process pool's second death.
MAX_DELIVERIES = 2


class QueueConfigError(ValueError):
    """A queue setting is wrong; the message names the variable."""


def _is_redis(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "rediss")


@dataclass(frozen=True)
class QueueConfig:
    broker_url: str
    result_url: str = DEFAULT_RESULT_URL
    queue: str = DEFAULT_QUEUE
    prefix: str = DEFAULT_PREFIX
    photo_ttl_s: float = PHOTO_TTL_S
    task_time_limit_s: float = TASK_TIME_LIMIT_S
    visibility_s: float = VISIBILITY_S

    def __repr__(self) -> str:  # URLs may carry passwords
        return f"QueueConfig(queue={self.queue!r}, prefix={self.prefix!r})"

    @property
    def broker_is_redis(self) -> bool:
        return _is_redis(self.broker_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> QueueConfig | None:
        """None without BACKCARE_BROKER_URL: the in-process pool is used."""
        env = os.environ if env is None else env
        get = lambda name: (env.get(name) or "").strip()  # noqa: E731
        broker = get("BACKCARE_BROKER_URL")
        if not broker:
            return None
        scheme = urlsplit(broker).scheme
        if scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp"):
            raise QueueConfigError(
                f"BACKCARE_BROKER_URL must be a redis:// or amqp:// URL, not a {scheme or '?'}: one"
            )
        result = get("BACKCARE_RESULT_URL") or (broker if _is_redis(broker) else DEFAULT_RESULT_URL)
        if not _is_redis(result):
            raise QueueConfigError("BACKCARE_RESULT_URL must be a redis:// URL")
        return cls(
            broker_url=broker,
            result_url=result,
            queue=get("BACKCARE_QUEUE") or DEFAULT_QUEUE,
            prefix=get("BACKCARE_KEY_PREFIX") or DEFAULT_PREFIX,
            photo_ttl_s=_seconds(get("BACKCARE_PHOTO_TTL"), "BACKCARE_PHOTO_TTL", PHOTO_TTL_S),
            task_time_limit_s=_seconds(
                get("BACKCARE_TASK_TIME_LIMIT"), "BACKCARE_TASK_TIME_LIMIT", TASK_TIME_LIMIT_S
            ),
            visibility_s=_seconds(
                get("BACKCARE_TASK_VISIBILITY"), "BACKCARE_TASK_VISIBILITY", VISIBILITY_S
            ),
        )


def _seconds(text: str, name: str, default: float) -> float:
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise QueueConfigError(f"{name} must be a number of seconds, not {text!r}") from None
    if not 1 <= value <= 3600:
        raise QueueConfigError(f"{name} must be between 1 and 3600 seconds, not {text}")
    return value
