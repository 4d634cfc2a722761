"""The machine's services (Redis, RabbitMQ) for tests that need a real one.

URLs come from the environment, with the development machine's defaults. Where a
service is absent the test skips, saying how to start it; under CI=true it fails
instead, so a CI run never passes by skipping.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("BACKCARE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("BACKCARE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")

START = {
    "redis": "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' "
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log",
    "amqp": "rabbitmq-server -detached",
}


def require(url: str) -> str:
    """``url`` if its server accepts connections; else skip (fail under CI=true)."""
    parts = urlsplit(url)
    kind = "redis" if parts.scheme.startswith("redis") else "amqp"
    port = parts.port or (6379 if kind == "redis" else 5672)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        message = f"{kind} is not running at {parts.hostname}:{port} ({exc}); start it with: {START[kind]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url
