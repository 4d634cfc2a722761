"""Data is kept no longer than the consent text says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backcare.bot.dialogs.state import DialogState
from backcare.bot.retention import Retention, expired, last_active, photo_taken, purge
from backcare.bot.storage import UserProfile
from tests.support.echo_dialogs import EchoDialogs, echo_state
from tests.support.harness import BotHarness

NOW = datetime(2031, 6, 1, tzinfo=UTC)
RULES = Retention(data_days=365, photo_days=30)


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def test_last_activity_is_the_latest_known_moment():
    recent = echo_state(updated=at(10))
    assert last_active(recent, {"seen": at(3)}, at(400)) == NOW - timedelta(days=3)
    assert last_active(None, {}, at(400)) == NOW - timedelta(days=400)
    assert last_active(echo_state(updated="garbage"), {}, None) is None


def test_old_users_are_erased_and_old_photos_deleted(make_storage):
    s = make_storage()
    s.put_user(UserProfile(1, created=at(500)))
    s.put_state(1, echo_state(updated=at(366)).to_json())
    s.put_user(UserProfile(2, created=at(500)))
    s.put_state(2, echo_state(updated=at(5)).to_json())
    old = f"{int((NOW - timedelta(days=31)).timestamp())}-side.jpg"
    new = f"{int((NOW - timedelta(days=2)).timestamp())}-back.jpg"
    s.save_photo(2, old, b"o")
    s.save_photo(2, new, b"n")
    assert expired(s, 1, NOW, RULES) == (True, [])
    assert expired(s, 2, NOW, RULES) == (False, [old])
    assert photo_taken(new) == datetime.fromtimestamp(int(new.split("-")[0]), tz=UTC)


async def test_the_purge_erases_like_delete_does(storage):
    now = datetime.now(UTC)
    long_ago = (now - timedelta(days=400)).isoformat()
    async with BotHarness(EchoDialogs(), storage) as bot:
        alice, bob = bot.api.user(1), bot.api.user(2)
        for user in (alice, bob):
            bot.api.send_text(user, "/remind")
        await bot.settle()
        state = DialogState.from_json(storage.get_state(alice.id))
        state.updated = long_ago
        storage.put_state(alice.id, state.to_json())
        storage.put_session(alice.id, {**storage.get_session(alice.id), "seen": long_ago})
        storage.put_user(UserProfile(alice.id, created=long_ago))
        users, photos = await purge(bot.runtime.conversation, RULES, now)
        assert (users, photos) == (1, 0)
        assert storage.get_state(alice.id) is None and storage.get_reminder(alice.id) is None
        assert bot.runtime.scheduler.scheduled(alice.id) is None
        assert storage.get_state(bob.id) is not None
        assert bot.runtime.scheduler.scheduled(bob.id) is not None
