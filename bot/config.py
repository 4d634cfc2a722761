"""How the Telegram bot is configured: environment variables only (12-factor).

=============================  ==========================================================
variable                       meaning
=============================  ==========================================================
BACKCARE_TELEGRAM_TOKEN        the bot token from @BotFather (required)
BACKCARE_MODE                  ``polling`` (default) or ``webhook``
BACKCARE_WEBHOOK_URL           public https URL Telegram posts updates to (webhook mode)
BACKCARE_WEBHOOK_SECRET        1-256 characters ``A-Z a-z 0-9 _ -``; Telegram sends it in
                               the X-Telegram-Bot-Api-Secret-Token header (webhook mode)
BACKCARE_WEBHOOK_LISTEN        address the webhook server binds (default 127.0.0.1;
                               put a TLS reverse proxy in front)
BACKCARE_WEBHOOK_PORT          port of the webhook server (default 8443)
BACKCARE_DATA_DIR              folder for the database, backups and kept photos
                               (default ./data; created owner-only)
BACKCARE_ADMIN_IDS             comma-separated Telegram user ids allowed admin commands
                               (default: none)
BACKCARE_MAX_PHOTO_MB          largest photo or image file accepted, in MB (default 10;
                               Telegram bots cannot download more than 20)
BACKCARE_KEEP_PHOTOS           ``1``/``true`` to offer keeping photos (each patient must
                               still agree); default off: photos are dropped after analysis
BACKCARE_WORKERS               photo-analysis worker processes (default 1)
BACKCARE_API_BASE_URL          Bot API endpoint, e.g. ``http://127.0.0.1:8081/bot`` for a
                               local Bot API server (default Telegram's)
BACKCARE_API_FILE_URL          file download endpoint to match (default Telegram's)
BACKCARE_STOP_GRACE            seconds a stop (SIGTERM, SIGINT) gives the turns in flight
                               (default 8: within the 10 s systemd and container
                               runtimes wait); what is not finished by then stays in
                               the inbox and outbox and is handled at the next start
BACKCARE_LOG_LEVEL             DEBUG, INFO (default for the bot), WARNING, ERROR; other
                               libraries' loggers stay at WARNING unless it is DEBUG
=============================  ==========================================================

Run it for real::

    export BACKCARE_TELEGRAM_TOKEN=123456:ABC...
    export BACKCARE_ADMIN_IDS=11111111
    ./run bot                      # polling: no public address needed

Webhook mode behind a TLS proxy that forwards https://bot.example.org/telegram to
127.0.0.1:8443::

    export BACKCARE_MODE=webhook
    export BACKCARE_WEBHOOK_URL=https://bot.example.org/telegram
    export BACKCARE_WEBHOOK_SECRET=$(openssl rand -hex 32)
    ./run bot
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TELEGRAM_DOWNLOAD_LIMIT_MB = 20  # bots cannot getFile anything larger
DEFAULT_STOP_GRACE = 8.0  # seconds; systemd and container runtimes kill after 10
_TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{10,100}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the variable."""


def data_dir_from_env(env: Mapping[str, str] | None = None) -> Path:
    """BACKCARE_DATA_DIR (default ./data); also what ``backcare health`` reads, token or not."""
    env = os.environ if env is None else env
    return Path((env.get("BACKCARE_DATA_DIR") or "data").strip()).expanduser()


@dataclass(frozen=True)
class BotConfig:
    token: str
    mode: str = "polling"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    data_dir: Path = Path("data")
    admin_ids: frozenset[int] = frozenset()
    max_photo_mb: float = 10.0
    keep_photos: bool = False
    workers: int = 1
    api_base_url: str | None = None
    api_file_url: str | None = None
    stop_grace: float = DEFAULT_STOP_GRACE

    def __repr__(self) -> str:  # the token never goes into logs or tracebacks
        return f"BotConfig(mode={self.mode!r}, data_dir={str(self.data_dir)!r}, admins={len(self.admin_ids)})"

    @property
    def max_photo_bytes(self) -> int:
        return int(min(self.max_photo_mb, TELEGRAM_DOWNLOAD_LIMIT_MB) * 1024 * 1024)

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotConfig:
        env = os.environ if env is None else env
        get = lambda name, default="": (env.get(name) or default).strip()  # noqa: E731

        token = get("BACKCARE_TELEGRAM_TOKEN")
        if not token:
            raise ConfigError("BACKCARE_TELEGRAM_TOKEN is not set: get a token from @BotFather")
        if not _TOKEN.fullmatch(token):
            raise ConfigError(
                "BACKCARE_TELEGRAM_TOKEN does not look like a bot token "
                "(digits, a colon, then letters)"
            )
        mode = get("BACKCARE_MODE", "polling").lower()
        if mode not in ("polling", "webhook"):
            raise ConfigError(f"BACKCARE_MODE must be polling or webhook, not {mode!r}")

        webhook_url = get("BACKCARE_WEBHOOK_URL") or None
        secret = get("BACKCARE_WEBHOOK_SECRET") or None
        if mode == "webhook":
            if not webhook_url:
                raise ConfigError("BACKCARE_WEBHOOK_URL is required in webhook mode")
            parts = urlsplit(webhook_url)
            if parts.scheme != "https" or not parts.hostname:
                raise ConfigError(
                    "BACKCARE_WEBHOOK_URL must be an https:// URL (Telegram requires TLS)"
                )
            if not secret:
                raise ConfigError("BACKCARE_WEBHOOK_SECRET is required in webhook mode")
        if secret is not None and not _SECRET.fullmatch(secret):
            raise ConfigError("BACKCARE_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -")

        return cls(
            token=token,
            mode=mode,
            webhook_url=webhook_url,
            webhook_secret=secret,
            webhook_listen=get("BACKCARE_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=_integer(
                get("BACKCARE_WEBHOOK_PORT", "8443"), "BACKCARE_WEBHOOK_PORT", 1, 65535
            ),
            data_dir=data_dir_from_env(env),
            admin_ids=_admin_ids(get("BACKCARE_ADMIN_IDS")),
            max_photo_mb=_megabytes(get("BACKCARE_MAX_PHOTO_MB", "10")),
            keep_photos=_flag(get("BACKCARE_KEEP_PHOTOS"), "BACKCARE_KEEP_PHOTOS"),
            workers=_integer(get("BACKCARE_WORKERS", "1"), "BACKCARE_WORKERS", 1, 64),
            api_base_url=_url(get("BACKCARE_API_BASE_URL"), "BACKCARE_API_BASE_URL"),
            api_file_url=_url(get("BACKCARE_API_FILE_URL"), "BACKCARE_API_FILE_URL"),
            stop_grace=_seconds(get("BACKCARE_STOP_GRACE", str(DEFAULT_STOP_GRACE))),
        )


def _integer(text: str, name: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _admin_ids(text: str) -> frozenset[int]:
    ids = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        if not part.isdigit():
            raise ConfigError(
                f"BACKCARE_ADMIN_IDS must be comma-separated numeric Telegram user ids; "
                f"{part!r} is not one"
            )
        ids.add(int(part))
    return frozenset(ids)


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"BACKCARE_MAX_PHOTO_MB must be a number, not {text!r}") from None
    if not 0 < value <= TELEGRAM_DOWNLOAD_LIMIT_MB:
        raise ConfigError(
            f"BACKCARE_MAX_PHOTO_MB must be above 0 and at most "
            f"{TELEGRAM_DOWNLOAD_LIMIT_MB} (Telegram's download limit), not {text}"
        )
    return value


def _seconds(text: str, name: str = "BACKCARE_STOP_GRACE", high: float = 600.0) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None
    if not 0 <= value <= high:
        raise ConfigError(f"{name} must be between 0 and {high:.0f} seconds, not {text}")
    return value


def _flag(text: str, name: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, not {text!r}")


def _url(text: str, name: str) -> str | None:
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, not {text!r}")
    return text
