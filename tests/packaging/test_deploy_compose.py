"""deploy/compose.yaml, the production layout for a trial, holds together: two bot
replicas in webhook mode and two workers built from the Dockerfile, PostgreSQL with its
data in a volume, Redis, HAProxy in front of the replicas with deploy/haproxy.cfg;
every URL names a service of the file; health checks on /healthz and /readyz.

Docker is not available on the development machines: the file is read, not run. The
same haproxy.cfg is the one tests/scaleout runs (tests.scaleout.test_webhook_replicas).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from backcare.bot.config import BotConfig
from backcare.taskqueue.config import QueueConfig

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
BOTS = ("bot1", "bot2")
WORKERS = ("worker1", "worker2")
# what compose substitutes for the ${...} the operator sets
GIVEN = {
    "BACKCARE_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi",
    "BACKCARE_WEBHOOK_URL": "https://bot.example.org/telegram",
    "BACKCARE_WEBHOOK_SECRET": "0123456789abcdef",
}


def resolved(value: object) -> str:
    """``value`` with compose's ${NAME}, ${NAME:-default} and ${NAME:?message} filled in."""

    def fill(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in GIVEN:
            return GIVEN[name]
        assert op != ":?", f"{name} must be set to start the layout"
        return rest if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", fill, str(value))


def env(service: str) -> dict[str, str]:
    return {k: resolved(v) for k, v in SERVICES[service]["environment"].items()}


def healthcheck_path(service: str) -> str:
    test = " ".join(SERVICES[service]["healthcheck"]["test"])
    found = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", test)
    assert found, test
    return f":{found.group(1)}{found.group(2)}"


def test_the_layout_has_two_replicas_two_workers_postgres_redis_and_haproxy():
    assert set(SERVICES) == {*BOTS, *WORKERS, "haproxy", "postgres", "redis"}


def test_replicas_and_workers_are_built_from_the_dockerfile_and_run_its_commands():
    for name in BOTS + WORKERS:
        service = SERVICES[name]
        context = (DEPLOY / service["build"]).resolve()
        assert (context / "Dockerfile").is_file() and context == REPO, name
        assert service["command"] == (["bot"] if name in BOTS else ["worker"])
    # the image's entry point is backcare: the commands are its subcommands
    assert 'ENTRYPOINT ["backcare"]' in (REPO / "Dockerfile").read_text()


def test_the_bots_are_valid_webhook_replicas_on_the_layouts_database_and_queue():
    for name in BOTS:
        settings = env(name)
        config = BotConfig.from_env(settings)  # what the bot itself checks at start
        assert config.mode == "webhook"
        database = urlsplit(settings["BACKCARE_DATABASE_URL"])
        assert database.scheme == "postgresql" and database.hostname == "postgres"
        assert database.path.lstrip("/") == SERVICES["postgres"]["environment"]["POSTGRES_DB"]
        assert database.username == SERVICES["postgres"]["environment"]["POSTGRES_USER"]
        assert database.password == resolved(
            SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"]
        )
        queue = QueueConfig.from_env(settings)
        assert queue is not None and urlsplit(queue.broker_url).hostname == "redis"


def test_the_workers_share_the_bots_queue_and_database():
    bot = QueueConfig.from_env(env("bot1"))
    for name in WORKERS:
        assert QueueConfig.from_env(env(name)) == bot, name


def test_postgres_takes_the_connections_of_both_replicas():
    """docs/DEPLOY.md: up to 50 connections per replica, plus tools (the default 100 is
    enough for one replica only)."""
    command = SERVICES["postgres"]["command"]
    settings = dict(arg.split("=", 1) for arg in command if "=" in arg)
    assert int(settings["max_connections"]) >= len(BOTS) * 50 + 20
    assert int(settings["tcp_keepalives_idle"]) <= 60


def test_postgres_keeps_its_data_in_a_named_volume():
    (volume,) = SERVICES["postgres"]["volumes"]
    source, target = volume.split(":")[:2]
    assert target == "/var/lib/postgresql/data" and source in COMPOSE["volumes"]
    for name in BOTS:
        assert any(v.split(":")[1] == "/data" for v in SERVICES[name]["volumes"])


def test_health_checks_use_healthz_and_readyz():
    assert {healthcheck_path(b) for b in BOTS} == {":8443/readyz"}
    port = env("worker1")["BACKCARE_WORKER_HTTP_PORT"]
    assert {healthcheck_path(w) for w in WORKERS} == {f":{port}/readyz"}
    backend = (DEPLOY / "haproxy.cfg").read_text()
    assert "option httpchk GET /healthz" in backend
    for name in ("postgres", "redis"):
        assert SERVICES[name]["healthcheck"]["test"], name
    # the replicas start once their database and broker answer
    for name in BOTS + WORKERS:
        needs = SERVICES[name]["depends_on"]
        assert needs == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }


def test_haproxy_mounts_the_config_whose_servers_are_the_two_replicas():
    haproxy = SERVICES["haproxy"]
    (mount,) = haproxy["volumes"]
    source, target = mount.split(":")[:2]
    assert (DEPLOY / source).resolve() == DEPLOY / "haproxy.cfg"
    assert target == "/usr/local/etc/haproxy/haproxy.cfg"
    servers = re.findall(r"^\s*server \S+ (\S+):(\d+)", (DEPLOY / "haproxy.cfg").read_text(), re.M)
    port = env("bot1")["BACKCARE_WEBHOOK_PORT"]
    assert servers == [(b, port) for b in BOTS]
    bind = re.search(r"^\s*bind :(\d+)$", (DEPLOY / "haproxy.cfg").read_text(), re.M)
    assert bind and haproxy["ports"] == [f"{bind.group(1)}:{bind.group(1)}"]


def test_haproxy_accepts_the_config():
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if haproxy is None:
        pytest.skip("HAProxy is not installed (apt-get install haproxy)")
    # the replicas' names resolve only inside compose's network: checked as IP addresses
    text = (DEPLOY / "haproxy.cfg").read_text()
    for name in BOTS:
        text = text.replace(f" {name}:", " 127.0.0.1:")
    done = subprocess.run(
        [haproxy, "-c", "-f", "/dev/stdin"], input=text, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_readme_starts_it_with_one_command():
    readme = (REPO / "README.md").read_text()
    assert "docker compose -f deploy/compose.yaml up" in readme
