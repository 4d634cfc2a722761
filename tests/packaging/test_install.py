"""The product installs as a real package: from a wheel, and by the Dockerfile's own steps.

Both install into fresh virtual environments outside the checkout and run the installed
``backcare`` command from another directory, so a file that only the checkout has
(interview.yaml, the samples, a YAML beside a module) would fail here.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.dockerfile import Dockerfile

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
GENERIC = ("bot", "vision", "content", "reasoning", "assessment", "samples", "interview")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900):
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, (
        f"{shlex.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def new_venv(path: Path) -> Path:
    run([sys.executable, "-m", "venv", str(path)], cwd=path.parent)
    return path / "bin"


def site_packages(venv_bin: Path) -> Path:
    return Path(
        run(
            [
                str(venv_bin / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            cwd=venv_bin,
        ).stdout.strip()
    )


def outside_env() -> dict[str, str]:
    """The environment less anything that points back into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BACKCARE_INTERVIEW")}
    env["BACKCARE_LOG_LEVEL"] = "WARNING"
    return env


def check_installed(venv_bin: Path, workdir: Path) -> None:
    """`backcare check`, `demo` and `chat` of the installed command, run from elsewhere."""
    env = outside_env()
    where = workdir / "elsewhere"
    where.mkdir()
    located = run(
        [
            str(venv_bin / "python"),
            "-c",
            "import backcare, backcare.vision; print(backcare.__file__)",
        ],
        cwd=where,
        env=env,
    ).stdout
    assert str(REPO) not in located, f"the checkout was imported, not the install: {located}"
    checked = run([str(venv_bin / "backcare"), "check"], cwd=where, env=env)
    assert "interview" in checked.stdout
    run([str(venv_bin / "backcare"), "demo", "--out", str(where / "demo")], cwd=where, env=env)
    for name in ("report.html", "report.md", "report.json"):
        assert (where / "demo" / name).stat().st_size > 0
    chat = subprocess.run(
        [str(venv_bin / "backcare"), "chat", "--state", str(where / "chat.json")],
        cwd=where,
        env=env,
        input="/start\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in chat.stderr, chat.stderr
    assert "backcare" in chat.stdout.lower(), chat.stdout
    shipped = run(
        [
            str(venv_bin / "python"),
            "-c",
            "from importlib.resources import files; "
            "print(sorted(p.name for p in files('backcare.bot.storage.postgres')"
            ".joinpath('migrations').iterdir()))",
        ],
        cwd=where,
        env=env,
    ).stdout
    assert "0001_initial.sql" in shipped, f"PostgreSQL migrations not shipped: {shipped}"
    # the proxies' network is a binary file beside its description: both must ship and load
    network = run(
        [
            str(venv_bin / "python"),
            "-c",
            "from backcare.vision import proxies; print(proxies.load().version)",
        ],
        cwd=where,
        env=env,
    ).stdout
    assert network.strip(), "the standing proxies' network did not load"
    installed = {p.name for p in site_packages(venv_bin).iterdir()}
    assert not installed & set(GENERIC), (
        f"generic top-level names in site-packages: {installed & set(GENERIC)}"
    )


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the locked dependencies, by the Dockerfile's own pip steps."""
    root = tmp_path_factory.mktemp("deps")
    venv_bin = new_venv(root / "venv")
    for step in Dockerfile.read(REPO / "Dockerfile").dependency_steps():
        run([str(venv_bin / "python"), "-m", *step], cwd=REPO)
    return venv_bin


def copy_as_docker_does(docker: Dockerfile, into: Path) -> None:
    """COPY src... dest: a folder's content into dest, files into a dest folder; links stay links."""
    for source, target in docker.copies():
        src = REPO / source
        dst = into / target
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True)
        else:
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / src.name)


def test_the_dockerfile_steps_install_a_working_product(dependencies: Path, tmp_path: Path):
    """The image's build replayed in a venv: its files copied as COPY does, then its steps."""
    docker = Dockerfile.read(REPO / "Dockerfile")
    app = tmp_path / "app"
    app.mkdir()
    copy_as_docker_does(docker, app)
    venv_bin = new_venv(tmp_path / "venv")
    # The locked dependencies come from the fixture's venv (a plain path entry: its .pth
    # files, such as an editable checkout, are not run); only the project installs here.
    (site_packages(venv_bin) / "locked-deps.pth").write_text(f"{site_packages(dependencies)}\n")
    for step in docker.project_steps():
        run([str(venv_bin / "python"), "-m", *step], cwd=app)
    check_installed(venv_bin, tmp_path)


def test_the_wheel_installs_under_one_name_and_works_from_anywhere(
    dependencies: Path, tmp_path: Path
):
    dist = tmp_path / "dist"
    run(
        [str(dependencies / "python"), "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("backcare-*.whl")
    venv_bin = new_venv(tmp_path / "venv")
    (site_packages(venv_bin) / "locked-deps.pth").write_text(f"{site_packages(dependencies)}\n")
    run(
        [str(venv_bin / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
        cwd=tmp_path,
    )
    check_installed(venv_bin, tmp_path)


def test_pip_check_reports_only_the_documented_mediapipe_lines(dependencies: Path):
    proc = subprocess.run(
        [str(dependencies / "python"), "-m", "pip", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    readme = (REPO / "README.md").read_text()
    for line in lines:
        assert line.startswith("mediapipe 0.10.21 "), f"undocumented dependency problem: {line}"
        assert line in readme, f"README's dependency notes do not explain: {line}"
