"""The Dockerfile is fit to run: pinned base, dependencies before code, a health check,
webhook reachable from outside the container, Japanese text drawable, not root.

Docker is not available on the development machines; tests/packaging/test_install.py
replays the same steps in a venv.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.packaging.dockerfile import Dockerfile

REPO = Path(__file__).resolve().parents[2]
DOCKER = Dockerfile.read(REPO / "Dockerfile")
CODE = ("backcare", "bot", "vision", "assessment", "reasoning", "content", "interview.yaml")


def test_the_base_image_is_pinned_to_a_patch_version():
    (base,) = DOCKER.all("FROM")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.argument), base


def test_dependencies_install_from_the_lock_files_in_a_layer_before_the_code():
    locks = DOCKER.dependency_steps()
    assert any("requirements.lock" in step and "--require-hashes" in step for step in locks)
    assert any("requirements-mediapipe.lock" in step and "--no-deps" in step for step in locks)
    first_code = min(
        DOCKER.index(c)
        for c in DOCKER.all("COPY")
        if any(name in c.argument.split() for name in CODE)
    )
    deps_runs = [run for run, step in DOCKER.pip_steps() if "-r" in step]
    assert all(DOCKER.index(run) < first_code for run in deps_runs)
    # the COPY before those steps brings the lock files alone
    lock_copy = [c for c in DOCKER.all("COPY") if DOCKER.index(c) < first_code]
    assert lock_copy and all("lock" in src for c in lock_copy for src in c.argument.split()[:-1])


def test_every_copied_path_exists_and_the_package_links_are_copied_with_their_targets():
    sources = {src for src, _ in DOCKER.copies()}
    for src in sources:
        assert (REPO / src).exists(), src
    for link in (REPO / "backcare").iterdir():
        if link.is_symlink():
            assert link.resolve().relative_to(REPO).parts[0] in sources, link


def test_there_is_a_health_check_and_the_command_exists():
    (check,) = DOCKER.all("HEALTHCHECK")
    assert '"backcare", "health"' in check.argument
    done = subprocess.run(
        [sys.executable, "-m", "backcare", "health"],
        env={"BACKCARE_DATA_DIR": str(REPO / "no-such-folder"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "no heartbeat" in done.stdout


def test_the_webhook_listens_on_every_address_inside_the_container_and_the_port_is_exposed():
    env = " ".join(e.argument for e in DOCKER.all("ENV"))
    assert "BACKCARE_WEBHOOK_LISTEN=0.0.0.0" in env
    assert DOCKER.all("EXPOSE")[0].argument == "8443"


def test_a_cjk_font_is_installed_and_the_bot_does_not_run_as_root():
    runs = " ".join(r.argument for r in DOCKER.all("RUN"))
    assert re.search(r"fonts-(ipaexfont|noto-cjk|ipafont)", runs)
    (user,) = DOCKER.all("USER")
    assert user.argument not in ("root", "0")


def test_compose_builds_this_image_and_keeps_the_data_in_a_volume():
    import yaml

    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert any(v.endswith(":/data") for v in bot["volumes"])
    assert bot["stop_grace_period"]
