"""The bot's heartbeat: what `backcare health` (the container's HEALTHCHECK) reads."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from backcare.bot import heartbeat


async def test_the_loop_beats_while_running_and_removes_the_file_after_a_clean_stop(tmp_path: Path):
    path = tmp_path / "data" / heartbeat.FILE
    async with heartbeat.beating(path, every=0.01):
        await asyncio.sleep(0.05)
        first = path.stat().st_mtime_ns
        await asyncio.sleep(0.05)
        assert path.stat().st_mtime_ns >= first
        assert heartbeat.healthy(path)[0]
        assert path.stat().st_mode & 0o077 == 0
    assert not path.exists()


def test_a_missing_or_stale_heartbeat_is_unhealthy(tmp_path: Path):
    path = tmp_path / heartbeat.FILE
    ok, why = heartbeat.healthy(path)
    assert not ok and "has not started" in why
    heartbeat.beat(path)
    assert heartbeat.healthy(path)[0]
    old = time.time() - heartbeat.STALE - 5
    os.utime(path, (old, old))
    ok, why = heartbeat.healthy(path)
    assert not ok and "ago" in why


def test_backcare_health_exits_by_the_heartbeat_of_the_data_folder(tmp_path: Path):
    env = {**os.environ, "BACKCARE_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "backcare", "health"]
    down = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert down.returncode == 1 and down.stdout.startswith("unhealthy")
    heartbeat.beat(tmp_path / heartbeat.FILE)
    up = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert up.returncode == 0 and up.stdout.startswith("healthy")
