"""/delete (confirm, then erase every trace) and /export (the user's data as a file)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from backcare.bot.messages import escape
from backcare.bot.turns import Turn, Turns
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)

YES, NO = "yes", "no"
Chart = Callable[
    [dict], "bytes | None"
]  # the export -> a PNG progress chart, when there is progress


class Privacy:
    def __init__(self, conversation: Turns, texts: Catalogue, chart: Chart | None = None) -> None:
        self.conv = conversation
        self.texts = texts
        self.chart = chart

    def ask_delete(self, turn: Turn) -> None:
        lang = turn.language
        token = self.conv.say(
            turn,
            self.texts.get("delete_confirm", lang),
            choices=[
                (self.texts.get("delete_yes", lang), YES),
                (self.texts.get("delete_no", lang), NO),
            ],
        )
        turn.session["confirm_delete"] = token

    def answer_delete(self, turn: Turn, index: int, message_id: int | None) -> None:
        lang = turn.language
        turn.session.pop("confirm_delete", None)
        if message_id is not None:  # take the buttons off the question
            turn.payloads.append(
                {
                    "kind": "edit",
                    "message_id": message_id,
                    "markup": None,
                    "text": escape(self.texts.get("delete_confirm", lang)),
                }
            )
        if index == 0:
            turn.erase = True
            log.info("erasing everything about %s", pseudonym(turn.user_id))
            self.conv.say(turn, self.texts.get("deleted", lang))
        else:
            self.conv.say(turn, self.texts.get("delete_cancelled", lang))

    async def export(self, turn: Turn) -> None:
        disk = self.conv.disk
        data = await disk(disk.storage.export_user, turn.user_id)
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        files: list[tuple[str, bytes]] = [
            (
                f"backcare-export-{stamp}.json",
                json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
            )
        ]
        if self.chart is not None:
            try:
                png = await asyncio.to_thread(self.chart, data)
            except Exception:
                log.exception("progress chart failed")
                png = None
            if png:
                files.append(("backcare-progress.png", png))
        for name in data.get("photos", []):
            files.append((name, await disk(disk.storage.load_photo, turn.user_id, name)))
        self.conv.say(turn, self.texts.get("export_caption", turn.language), files=tuple(files))
