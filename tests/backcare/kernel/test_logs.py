"""BACKCARE_LOG_FORMAT=json: one JSON object per line, the same message, nothing else."""

from __future__ import annotations

import json
import logging

from backcare.kernel import logs

USER = 987654321  # long enough that a pseudonym cannot contain it by chance (2 digits could)


def test_json_lines_carry_time_level_logger_message_and_the_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKCARE_LOG_FORMAT", "json")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.setup("INFO", logfile=tmp_path / "bot.log")
        log = logging.getLogger("backcare.bot.outbox")
        log.info("reply sent to %s", logs.pseudonym(USER))
        try:
            raise ValueError("broken")
        except ValueError:
            log.exception("send failed")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in (tmp_path / "bot.log").read_text().splitlines()]
    assert [(e["level"], e["logger"]) for e in lines] == [
        ("INFO", "backcare.bot.outbox"),
        ("ERROR", "backcare.bot.outbox"),
    ]
    assert lines[0]["message"] == f"reply sent to {logs.pseudonym(USER)}"
    assert str(USER) not in lines[0]["message"]
    assert lines[1]["message"] == "send failed" and "ValueError: broken" in lines[1]["exception"]
    assert set(lines[0]) == {"time", "level", "logger", "message"}


def test_text_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("BACKCARE_LOG_FORMAT", raising=False)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.setup("INFO", logfile=tmp_path / "bot.log")
        logging.getLogger("backcare.bot").info("started")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            if handler not in saved[0]:
                handler.close()
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert (tmp_path / "bot.log").read_text().rstrip().endswith("INFO backcare.bot: started")
