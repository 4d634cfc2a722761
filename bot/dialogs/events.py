"""What goes into and comes out of the dialogs: plain data, no Telegram.

A driver (the Telegram adapter, the console, a test) turns what the user did
into an :class:`Event`, hands it to the dialog engine with the user's saved
state, and renders the returned :class:`Reply` list however it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal[
    "start",  # first contact or /start
    "text",  # free text typed by the user
    "choice",  # a button pressed: data is the choice's value as sent by the dialog
    "photo",  # a photo (or image file): photo holds the bytes
    "command",  # /restart, /back, /status, /language, /stop, ... (text holds the name, no slash)
    "timer",  # a scheduled job fired (data names it, e.g. "reminder" or "checkin")
]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    text: str | None = None
    data: str | None = None
    photo: bytes | None = None
    filename: str | None = None
    language: str | None = None  # the client's language setting (a tag), if known


@dataclass(frozen=True)
class Choice:
    label: str  # what the button shows (already in the user's language)
    value: str  # what comes back in Event.data


@dataclass(frozen=True)
class Image:
    data: bytes  # PNG or JPEG bytes
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    """One message to the user.

    text:     plain text; drivers must escape it for their markup
    choices:  buttons (inline keyboard in Telegram); one choice per row when labels are long
    multi:    choices are a multi-select (the dialog re-sends with ticks; "done" value ends it)
    images:   pictures to show (a media group when several)
    files:    (filename, bytes) attachments, e.g. an export
    links:    (label, url) pairs shown as link buttons or a list
    expects:  what the dialog waits for next: "text", "choice", "photo", "number", or None
    """

    text: str = ""
    choices: tuple[Choice, ...] = ()
    multi: bool = False
    images: tuple[Image, ...] = ()
    files: tuple[tuple[str, bytes], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    expects: str | None = None
    meta: dict = field(default_factory=dict, compare=False)
