"""Logging set-up. No personal data in logs: users appear only as a keyed pseudonym.

Log lines name events ("photo refused: too_dark", "reminder sent"), never answers,
free text, names or photos. Telegram user ids are replaced by :func:`pseudonym`,
an HMAC with a per-installation key, so one user's lines can be followed without
the id itself being written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

_KEY: bytes | None = None


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


def setup(level: str | None = None, logfile: Path | None = None) -> None:
    """Configure the root logger once: level from BACKCARE_LOG_LEVEL (default INFO)."""
    level = (level or os.environ.get("BACKCARE_LOG_LEVEL") or "INFO").upper()
    if level != "DEBUG":
        # MediaPipe's native logging (glog, TFLite) writes to stderr from the worker
        # processes, which inherit this environment; keep it to errors.
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if logfile is not None:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(logfile, encoding="utf-8"))
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    # Libraries below log request URLs, which carry the bot token; keep them quiet.
    for noisy in ("httpx", "httpcore", "telegram.ext.ExtBot", "apscheduler", "absl"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
