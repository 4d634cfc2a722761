"""Dialog replies -> Telegram messages, as JSON payloads the outbox can store (pure).

Text is escaped for Telegram's HTML (user words may be echoed inside it), split
under Telegram's limits, choices become inline keyboards whose callback data is
a short random token (the values stay on our side, so forged or stale buttons
are recognised), links become URL buttons, several images a media group.
Image and file bytes never go into a payload: they are photos of a body or an
export, kept in memory (``Rendered.blobs``) until sent.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from backcare.bot.dialogs.events import Reply

TEXT_LIMIT = 4096  # characters of a message
CAPTION_LIMIT = 1024  # characters of a photo caption
ALBUM_LIMIT = 10  # photos per media group
CALLBACK_PREFIX = "k"  # callback data: k<token>.<index>


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def callback_data(token: str, index: int) -> str:
    return f"{CALLBACK_PREFIX}{token}.{index}"


def parse_callback(data: str | None) -> tuple[str, int] | None:
    """(token, index) from our callback data, or None when it is not ours."""
    if not data or not data.startswith(CALLBACK_PREFIX) or "." not in data:
        return None
    token, _, index = data[1:].partition(".")
    if not token.isalnum() or not index.isdigit() or len(index) > 3:
        return None
    return token, int(index)


def new_token() -> str:
    return secrets.token_hex(4)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Plain text in pieces whose escaped form fits ``limit``, cut at paragraphs, lines, spaces."""
    pieces: list[str] = []
    rest = text
    while tg_len(escape(rest)) > limit:
        cut = _cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


def _cut(text: str, limit: int) -> int:
    # the longest prefix whose escaped length fits, then back off to a natural break
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if tg_len(escape(text[:mid])) <= limit:
            low = mid
        else:
            high = mid - 1
    for sep in ("\n\n", "\n", ". ", " "):
        at = text.rfind(sep, 0, low)
        if at > low // 2:
            return at + len(sep)
    return low


def per_row(labels: Iterable[str]) -> int:
    """Buttons per keyboard row: short labels side by side, long ones one per row."""
    longest = max((len(label) for label in labels), default=1)
    return max(1, min(6, 28 // (longest + 2)))


@dataclass
class Rendered:
    payloads: list[dict] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    keyboards: dict[str, dict] = field(default_factory=dict)  # token -> values, labels, multi


def keyboard(token: str, labels: list[str], links: Iterable[tuple[str, str]] = ()) -> dict | None:
    rows: list[list[dict]] = []
    if labels:
        width = per_row(labels)
        buttons = [
            {"text": label, "callback_data": callback_data(token, i)}
            for i, label in enumerate(labels)
        ]
        rows += [buttons[i : i + width] for i in range(0, len(buttons), width)]
    rows += [[{"text": label, "url": url}] for label, url in links]
    return {"inline_keyboard": rows} if rows else None


def render(
    replies: Iterable[Reply],
    *,
    blob_prefix: str,
    token: Callable[[], str] = new_token,
    edit_message_id: int | None = None,
) -> Rendered:
    """Payloads for ``replies`` in sending order.

    edit_message_id: the message whose button was just pressed; a reply the dialog re-sends
    with its ticks updated (``meta["update"]``) replaces that message.
    """
    out = Rendered()
    blob_count = 0

    def blob(data: bytes) -> str:
        nonlocal blob_count
        key = f"{blob_prefix}-{blob_count}"
        blob_count += 1
        out.blobs[key] = bytes(data)
        return key

    for n, reply in enumerate(replies):
        markup = None
        if reply.choices or reply.links:
            safe_links = [(label, url) for label, url in reply.links if _safe_url(url)]
            kb_token = token() if reply.choices else ""
            markup = keyboard(kb_token, [c.label for c in reply.choices], safe_links)
            if reply.choices:
                out.keyboards[kb_token] = {
                    "values": [c.value for c in reply.choices],
                    "labels": [c.label for c in reply.choices],
                    "multi": reply.multi,
                }
        texts = split_text(reply.text) if reply.text.strip() else []
        text_payloads: list[dict[str, Any]] = [
            {"kind": "text", "text": escape(t), "markup": None} for t in texts
        ]
        if markup is not None:
            if not text_payloads:
                text_payloads = [{"kind": "text", "text": "⬇️", "markup": None}]
            text_payloads[-1]["markup"] = markup
        if (
            n == 0
            and edit_message_id is not None
            and replaces_pressed(reply)
            and len(text_payloads) == 1
            and not reply.images
            and not reply.files
        ):
            text_payloads[0] = {
                "kind": "edit",
                "message_id": edit_message_id,
                **{k: v for k, v in text_payloads[0].items() if k != "kind"},
            }

        media: list[dict] = []
        images = list(reply.images)
        chunks = [images[i : i + ALBUM_LIMIT] for i in range(0, len(images), ALBUM_LIMIT)]
        for chunk in chunks:
            if len(chunk) == 1:  # a media group needs two or more
                media += _photo(blob(chunk[0].data), chunk[0].caption)
                continue
            items, overflow = [], []
            for image in chunk:
                fits = tg_len(image.caption) <= CAPTION_LIMIT
                items.append(
                    {"blob": blob(image.data), "caption": escape(image.caption) if fits else ""}
                )
                if not fits:
                    overflow.append(image.caption)
            media.append({"kind": "album", "items": items})
            media += [
                {"kind": "text", "text": escape(t), "markup": None}
                for c in overflow
                for t in split_text(c)
            ]
        for filename, data in reply.files:
            media.append(
                {"kind": "document", "blob": blob(data), "filename": filename, "caption": ""}
            )

        # The question with its buttons comes last, so it sits above the keyboard.
        if markup is not None and media:
            out.payloads += media + text_payloads
        else:
            out.payloads += text_payloads + media
    return out


def replaces_pressed(reply: Reply) -> bool:
    """A reply the dialogs re-send with updated buttons (``meta["update"]``, e.g. ticks of a
    multi-select): it edits the pressed message instead of adding one."""
    return bool(reply.meta.get("update"))


def _photo(key: str, caption: str) -> list[dict]:
    if tg_len(caption) <= CAPTION_LIMIT:
        return [{"kind": "photo", "blob": key, "caption": escape(caption)}]
    # too long for a caption: the picture, then the words as messages
    return [{"kind": "photo", "blob": key, "caption": ""}] + [
        {"kind": "text", "text": escape(t), "markup": None} for t in split_text(caption)
    ]


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://", "tg://"))
