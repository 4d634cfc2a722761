"""Admin commands for allow-listed Telegram ids. Everyone else cannot tell they exist.

A non-admin's ``/admin_reload`` is handed to the dialogs exactly like any
unknown command, so the answer is the same as for ``/foo``. Every admin
action is written to the audit log (who, what, when; never patient data).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import telegram

import backcare
from backcare.bot.turns import Turn, Turns
from backcare.kernel.catalogue import Catalogue

log = logging.getLogger(__name__)

COMMANDS = ("admin_reload", "admin_version", "admin_stats")
MAX_PROBLEMS_SHOWN = 40


class Admin:
    def __init__(
        self,
        conversation: Turns,
        texts: Catalogue,
        admin_ids: frozenset[int],
        interviews: Any | None,
    ) -> None:
        self.conv = conversation
        self.texts = texts
        self.admin_ids = frozenset(admin_ids)
        self.interviews = interviews

    def allowed(self, user_id: int, command: str) -> bool:
        return command in COMMANDS and user_id in self.admin_ids

    def _version(self) -> str:
        current = getattr(self.interviews, "current", None)
        return str(getattr(current, "version", "?"))

    async def handle(self, turn: Turn, command: str) -> None:
        disk, lang = self.conv.disk, turn.language
        if command == "admin_reload":
            if self.interviews is None:
                problems: list[Any] = ["no interview registry configured"]
            else:
                problems = await asyncio.to_thread(self.interviews.reload)
            if problems:
                shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
                if len(problems) > MAX_PROBLEMS_SHOWN:
                    shown.append(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more")
                text = self.texts.get(
                    "admin_reload_failed", lang, version=self._version(), errors="\n".join(shown)
                )
                detail = f"refused: {len(problems)} problem(s)"
            else:
                text = self.texts.get("admin_reloaded", lang, version=self._version())
                detail = f"version {self._version()}"
        elif command == "admin_version":
            text = self.texts.get(
                "admin_version",
                lang,
                app=backcare.__version__,
                interview=self._version(),
                ptb=telegram.__version__,
            )
            detail = ""
        else:
            stats = await disk(disk.storage.stats)
            text = self.texts.get("admin_stats", lang, **stats, **self.conv.health.counts())
            detail = ""
        await disk(disk.storage.audit, turn.user_id, command, detail)
        log.info("admin command %s (%s)", command, detail or "ok")
        self.conv.say(turn, text)
