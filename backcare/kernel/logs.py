"""Logging set-up. No personal data in logs: users appear only as a keyed pseudonym.

Log lines name events ("photo refused: too_dark", "reminder sent"), never answers,
free text, names or photos. Telegram user ids are replaced by :func:`pseudonym`,
an HMAC with a per-installation key, so one user's lines can be followed without
the id itself being written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

_KEY: bytes | None = None
LEVEL: str | None = None  # what setup() last configured (the bot keeps the CLI's choice)

# Other libraries' chatter (the state machine's every transition, PTB, the scheduler, the web
# server) stays at WARNING unless the level is DEBUG.
CHATTER = ("transitions", "telegram", "aiohttp", "asyncio", "absl", "PIL", "tinydb")
# ...and these stay at WARNING even then: request URLs carry the bot token, PTB's bot
# logs every request's parameters (what patients are sent) at DEBUG, and the scheduler
# logs every job by its name, which holds the patient's Telegram id.
PRIVATE = (
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.request",
    "apscheduler",
)


def _key() -> bytes:
    global _KEY
    if _KEY is None:
        configured = os.environ.get("BACKCARE_LOG_KEY")
        _KEY = configured.encode() if configured else secrets.token_bytes(32)
    return _KEY


def pseudonym(user_id: object) -> str:
    """A short stable tag for a user id, for log lines only (not reversible without the key)."""
    digest = hmac.new(_key(), str(user_id).encode(), hashlib.sha256).hexdigest()
    return f"u-{digest[:10]}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (BACKCARE_LOG_FORMAT=json), for log collectors: time,
    level, logger, message, and the exception's traceback when there is one. The same
    messages as the text format: events and pseudonyms, never patients' data."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str | None = None, logfile: Path | None = None) -> None:
    """Configure the root logger: ``level``, else BACKCARE_LOG_LEVEL, else INFO. Other
    libraries log at WARNING unless the level is DEBUG (see CHATTER and PRIVATE). Lines are
    text, or JSON objects when BACKCARE_LOG_FORMAT is ``json``."""
    global LEVEL
    level = (level or os.environ.get("BACKCARE_LOG_LEVEL") or "INFO").upper()
    LEVEL = level
    if level != "DEBUG":
        # MediaPipe's native logging (glog, TFLite) writes to stderr from the worker
        # processes, which inherit this environment; keep it to errors.
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if logfile is not None:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(logfile, encoding="utf-8"))
    if (os.environ.get("BACKCARE_LOG_FORMAT") or "text").strip().lower() == "json":
        for handler in handlers:
            handler.setFormatter(JsonFormatter())
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    for name in CHATTER:
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)
    for name in PRIVATE:
        logging.getLogger(name).setLevel(logging.WARNING)
