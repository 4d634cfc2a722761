"""Which updates a user's turns already handled: the ids actually seen, never a high-water mark.

Telegram numbers updates in sequence, but "if there are no new updates for at least
a week, then identifier of the next update will be chosen randomly instead of
sequentially" (Bot API, Update), so a returning user's next id can be lower than
any seen before. A per-user "last id" would then drop everything that user sends,
for good, and one forged update numbered 10**30 would do the same on purpose.
Instead each user's session keeps the exact ids of their recent turns (bounded in
number and age), saved in the same transaction as the turn: a redelivered or
replayed update is recognised by its id, also after a restart; any other id is
handled. An id far from the user's recent ones is handled and logged.
"""

from __future__ import annotations

from collections.abc import Iterable

KEY = "recent_updates"  # in the session: [[update_id, unix seconds handled], ...]
LEGACY = "last_update_id"  # the old high-water mark: kept only as one recent id
MAX_IDS = 256  # per user; far more than Telegram ever redelivers
MAX_AGE = 7 * 24 * 3600.0  # seconds: Telegram keeps unconfirmed updates for 24 hours
FAR = 1_000_000  # an id this far from every recent one is worth a log line


def _entries(session: dict) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    for entry in session.get(KEY) or []:
        if (
            isinstance(entry, list | tuple)
            and len(entry) == 2
            and isinstance(entry[0], int)
            and isinstance(entry[1], int | float)
        ):
            out.append((entry[0], float(entry[1])))
    legacy = session.get(LEGACY)
    if isinstance(legacy, int) and not isinstance(legacy, bool):
        out.append((legacy, 0.0))
    return out


def recent_ids(session: dict) -> set[int]:
    return {update_id for update_id, _ in _entries(session)}


def seen(session: dict, update_id: int) -> bool:
    """True if a turn of this user already handled exactly this update."""
    return update_id in recent_ids(session)


def far_off(session: dict, update_id: int, far: int = FAR) -> bool:
    """True if ``update_id`` is far from every id the user's recent turns had (a restart of
    Telegram's numbering, or a forged id): handled all the same, but worth a log line."""
    ids = recent_ids(session)
    return bool(ids) and min(abs(update_id - other) for other in ids) > far


def remember(
    session: dict,
    update_ids: Iterable[int],
    now: float,
    max_ids: int = MAX_IDS,
    max_age: float = MAX_AGE,
) -> dict:
    """The session with ``update_ids`` added and what is too old or too many dropped (a new
    dict). The newest handled are kept, whatever their ids."""
    # the legacy id has no time: it counts as handled now, then ages like the others
    entries = [(i, t or now) for i, t in _entries(session) if not t or now - t <= max_age]
    known = {i for i, _ in entries}
    entries += [(i, now) for i in update_ids if i not in known]
    entries.sort(key=lambda e: e[1])  # stable: among equal times, the order handled
    kept = entries[-max_ids:]
    out = {k: v for k, v in session.items() if k != LEGACY}
    out[KEY] = [[i, int(t)] for i, t in kept]
    return out
