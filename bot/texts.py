"""The adapter's own messages (file too large, erase, export, admin), per language.

Loaded from ``bot/locale/texts.yaml`` through the strict YAML loader: every key
must exist in every language with the same placeholders, or the bot refuses to start.
"""

from __future__ import annotations

from pathlib import Path

from backcare.kernel.catalogue import Catalogue, parse_catalogue
from backcare.kernel.languages import DEFAULT, from_client
from backcare.kernel.translations import load_translated

PATH = Path(__file__).with_name("locale") / "texts.yaml"
REQUIRED = (
    "too_large",
    "not_an_image",
    "unsupported",
    "download_failed",
    "analysing",
    "analysing_album",
    "analysed",
    "analysed_album",
    "not_analysed",
    "delete_confirm",
    "delete_yes",
    "delete_no",
    "deleted",
    "delete_cancelled",
    "export_caption",
    "export_chart_caption",
    "button_expired",
    "error",
    "not_saved",
    "edit_applied",
    "edit_old",
    "picture_lost",
    "admin_reloaded",
    "admin_reload_failed",
    "admin_version",
    "admin_stats",
)


def pick_language(*candidates: str | None) -> str:
    """The first supported language among ``candidates`` (client tags such as "pt-BR")."""
    for candidate in candidates:
        code = from_client(candidate)
        if code:
            return code
    return DEFAULT


def load_texts(path: Path = PATH) -> Catalogue:
    return parse_catalogue(load_translated(path), str(path), required=REQUIRED, closed=True)
