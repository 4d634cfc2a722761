"""The dialogs' words (bot/dialogs/texts.yaml): every key in every language, validated on load.

Keys are dotted paths into the YAML (``consent.agree``); a leaf is a mapping of
language -> text. Loading refuses a leaf missing a language, a placeholder that
differs between languages, and a missing key that the dialogs need (every
capture step's guidance, every photo refusal's advice, every answer error).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.interview import ANSWER_ERRORS
from backcare.kernel.catalogue import Catalogue, parse_catalogue, placeholders
from backcare.kernel.translations import load_translated
from backcare.kernel.vocabulary import ADVICE, URGENCIES, vocabulary
from backcare.vision.errors import Reason
from backcare.vision.types import Movement

PATH = Path(__file__).with_name("texts.yaml")


def required_keys() -> list[str]:
    """Keys built at run time from names (the dialogs' literal keys are checked by the tests)."""
    keys = [f"photo.steps.{m}" for m in vocabulary().movements]
    keys += [f"photo.reasons.{r.value}" for r in Reason]
    keys += list(ANSWER_ERRORS)
    keys += [f"referral.{u}" for u in (*URGENCIES, "unexplained")]
    keys += [f"triage.{a}" for a in ADVICE]
    keys += [f"photo.movements.{m.value}" for m in Movement]
    keys += ["reminders.bad_time", "reminders.bad_zone", "common.error"]
    from backcare.bot.dialogs.flow import (
        STEPS,  # the flow imports the dialog modules, which never import texts
    )

    keys += [f"{group}.{step.name}" for step in STEPS for group in ("help", "status")]
    from backcare.bot.dialogs.commands import REGISTRY

    keys += [f"commands.{c.name}" for c in REGISTRY]  # the help text and Telegram's menu
    return keys


def parse_texts(data: Any, filename: str, required: Iterable[str] = ()) -> Catalogue:
    return parse_catalogue(data, filename, required=required)


def load_texts(path: str | Path = PATH) -> Catalogue:
    return parse_texts(load_translated(path), str(path), required_keys())


@lru_cache(maxsize=1)
def default_texts() -> Catalogue:
    return load_texts(PATH)


__all__ = ["default_texts", "load_texts", "parse_texts", "placeholders", "required_keys"]
