"""Keeping data no longer than the consent text promises.

The dialogs' ``Policy`` says how long answers and results (``data_days``,
counted from the user's last message) and consented photos (``photo_days``)
are kept; a periodic job erases what is older, the same way /delete does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backcare.bot.dialogs.state import DialogState
from backcare.bot.storage import Storage
from backcare.bot.storage.records import parse_iso
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)

EVERY = 6 * 3600.0  # seconds between purges


@dataclass(frozen=True)
class Retention:
    data_days: int = 365
    photo_days: int = 30

    @classmethod
    def of(cls, dialogs: Any) -> Retention:
        policy = getattr(dialogs, "policy", None)
        return cls(
            getattr(policy, "data_days", cls.data_days),
            getattr(policy, "photo_days", cls.photo_days),
        )


def last_active(state: DialogState | None, session: dict, created: str | None) -> datetime | None:
    """The user's last message: the dialogs' ``updated``, our ``seen``, else first contact."""
    moments = []
    for text in (state.updated if state is not None else None, session.get("seen"), created):
        if isinstance(text, str) and text:
            try:
                moments.append(parse_iso(text))
            except ValueError:
                continue
    return max(moments) if moments else None


def photo_taken(name: str) -> datetime | None:
    """Kept photos are named ``<unix time>-<label>``."""
    head = name.split("-", 1)[0]
    if not head.isdigit():
        return None
    return datetime.fromtimestamp(int(head), tz=UTC)


def expired(
    storage: Storage, user_id: int, now: datetime, rules: Retention
) -> tuple[bool, list[str]]:
    """(erase the user?, photos to delete) for one user (pure reads)."""
    profile = storage.get_user(user_id)
    active = last_active(
        DialogState.from_json(storage.get_state(user_id)),
        storage.get_session(user_id),
        profile.created if profile else None,
    )
    if active is not None and now - active > timedelta(days=rules.data_days):
        return True, []
    old = [
        n
        for n in storage.photos(user_id)
        if (taken := photo_taken(n)) is None or now - taken > timedelta(days=rules.photo_days)
    ]
    return False, old


async def purge(conversation: Any, rules: Retention, now: datetime) -> tuple[int, int]:
    """Erase users past ``data_days`` and photos past ``photo_days``; returns the counts."""
    disk, storage = conversation.disk, conversation.storage
    users = photos = 0
    for user_id in await disk(storage.user_ids):
        async with conversation.locks.hold(user_id):
            erase, old = await disk(expired, storage, user_id, now, rules)
            if erase:
                await disk(storage.delete_user, user_id)
                conversation.scheduler.unschedule(user_id)
                conversation.outbox.forget_user(user_id)
                log.info(
                    "erased %s: inactive for over %d days", pseudonym(user_id), rules.data_days
                )
                users += 1
            for name in old:
                await disk(storage.delete_photo, user_id, name)
                photos += 1
    return users, photos
