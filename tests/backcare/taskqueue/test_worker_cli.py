"""`backcare worker` refuses to start without a broker or with a bad setting, saying which."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def worker(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BACKCARE_")}
    return subprocess.run(
        [sys.executable, "-m", "backcare", "worker"],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "BACKCARE_BROKER_URL is not set"),
        ({"BACKCARE_BROKER_URL": "http://mq"}, "BACKCARE_BROKER_URL must be"),
        (
            {"BACKCARE_BROKER_URL": "redis://127.0.0.1:6379/0", "BACKCARE_WORKERS": "many"},
            "BACKCARE_WORKERS must be",
        ),
        (
            {"BACKCARE_BROKER_URL": "redis://127.0.0.1:6379/0", "BACKCARE_WORKER_HTTP_PORT": "0"},
            "BACKCARE_WORKER_HTTP_PORT must be",
        ),
    ],
)
def test_a_missing_or_wrong_setting_is_named(env, named):
    proc = worker(**env)
    assert proc.returncode == 2
    assert named in proc.stderr
