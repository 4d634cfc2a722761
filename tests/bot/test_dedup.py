"""Which updates a user's turns handled: exact ids, bounded in number and age."""

from __future__ import annotations

from backcare.bot import dedup

DAY = 24 * 3600.0


def test_an_update_is_seen_by_its_exact_id_only():
    session = dedup.remember({}, [5_000_000], now=1000.0)
    assert dedup.seen(session, 5_000_000)
    assert not dedup.seen(session, 1234), "a lower id is a new update"
    assert not dedup.seen(session, 10**30)


def test_the_ids_kept_are_bounded_in_number_and_age():
    session: dict = {}
    for n in range(dedup.MAX_IDS + 50):
        session = dedup.remember(session, [n], now=1000.0 + n)
    assert len(session[dedup.KEY]) == dedup.MAX_IDS
    assert dedup.seen(session, dedup.MAX_IDS + 49) and not dedup.seen(session, 0), "newest kept"
    later = dedup.remember(session, [99_999], now=1000.0 + dedup.MAX_AGE + 10 * DAY)
    assert dedup.recent_ids(later) == {99_999}, "a week later only the new one is kept"


def test_the_old_high_water_mark_counts_as_one_seen_id():
    session = {"last_update_id": 77, "language": "en"}
    assert dedup.seen(session, 77) and not dedup.seen(session, 76)
    after = dedup.remember(session, [78], now=5000.0)
    assert "last_update_id" not in after and after["language"] == "en"
    assert dedup.seen(after, 77) and dedup.seen(after, 78)


def test_an_id_far_from_the_recent_ones_is_flagged():
    session = dedup.remember({}, [5_000_000, 5_000_001], now=1.0)
    assert dedup.far_off(session, 1234) and dedup.far_off(session, 10**30)
    assert not dedup.far_off(session, 5_000_010)
    assert not dedup.far_off({}, 1234), "nothing to compare with: a first update"


def test_garbage_in_the_session_is_ignored():
    session = {dedup.KEY: [[1, 2], "x", [True], [3, "late"], None]}
    assert dedup.recent_ids(session) == {1}
