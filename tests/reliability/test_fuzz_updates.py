"""Updates of any shape reach the bot: none may stop it from serving everyone else.

Telegram sends well-formed updates, but the Bot API grows (new fields, new kinds
of messages) faster than any library version, and a webhook is an open door to
whoever has its secret. An update the bot cannot read is dropped with its id
logged (never its content); the others, before and after it, are served.
"""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from tests.reliability.fuzzing import JSONISH, fuzz_settings
from tests.reliability.live import live_bot, production_log_levels

UNREADABLE: list[dict[str, object]] = [
    {"message": "not an object"},
    {"message": {"text": 5}},
    {"callback_query": {"id": 1}},
    {
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": "abc", "is_bot": False, "first_name": "x"},
            "text": "secret words",
        }
    },
    {"message": {"message_id": "x", "date": "yesterday", "chat": [], "text": "secret words"}},
    {"edited_message": None, "message": {"photo": "not a list"}},
]


async def test_updates_the_library_cannot_read_are_dropped_and_polling_goes_on(
    data_file, registry, caplog
):
    caplog.set_level(logging.INFO)
    with production_log_levels():
        await serve_despite_unreadable(data_file, registry)
    assert not any(
        "secret words" in r.getMessage() or "secret words" in (r.exc_text or "")
        for r in caplog.records
    ), "the content of a dropped update is never logged"
    assert any("unreadable update" in r.getMessage() for r in caplog.records)


async def serve_despite_unreadable(data_file, registry) -> None:
    async with live_bot(data_file, registry) as bot:
        alice, bob = bot.api.user(95001), bot.api.user(95002)
        bot.api.send_text(alice, "/start")
        for raw in UNREADABLE:
            bot.api.push_update(raw)
        bot.api.send_text(bob, "/start")
        await bot.api.wait_for_message(bob.id, timeout=10)
        await bot.settle()
        assert bot.api.messages(alice.id) and bot.api.messages(bob.id)
        assert bot.api.pending_updates == 0, "the unreadable ones were confirmed too (dropped)"
        assert bot.storage.inbox_pending() == []


UPDATE_KINDS = st.sampled_from(
    [
        "message",
        "edited_message",
        "callback_query",
        "channel_post",
        "my_chat_member",
        "poll",
        "inline_query",
        "business_message",
    ]
)
MESSAGE_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "message_id": st.integers(-5, 10**12) | JSONISH,
        "date": st.integers(0, 2**31) | JSONISH,
        "chat": st.fixed_dictionaries(
            {
                "id": st.integers(-(10**12), 10**12),
                "type": st.sampled_from(["private", "group", "supergroup", "channel", "weird"]),
            }
        )
        | JSONISH,
        "from": st.fixed_dictionaries(
            {
                "id": st.integers(1, 10**12),
                "is_bot": st.booleans(),
                "first_name": st.text(max_size=5),
            }
        )
        | JSONISH,
        "text": st.text(max_size=30) | JSONISH,
        "data": st.text(max_size=70) | JSONISH,
        "photo": st.lists(JSONISH, max_size=3) | JSONISH,
        "document": JSONISH,
        "media_group_id": st.text(max_size=5) | JSONISH,
    },
)


@fuzz_settings(25)
@given(
    st.lists(
        st.dictionaries(UPDATE_KINDS, MESSAGE_FIELDS | JSONISH, min_size=1, max_size=2),
        min_size=1,
        max_size=8,
    )
)
def test_a_batch_of_updates_of_any_shape_never_stops_the_bot(registry, tmp_path_factory, batch):
    import asyncio

    async def run() -> None:
        async with live_bot(tmp_path_factory.mktemp("fuzz") / "backcare.json", registry) as bot:
            for raw in batch:
                bot.api.push_update(raw)
            patient = bot.api.user(96001)
            bot.api.send_text(patient, "/start")
            await bot.api.wait_for_message(patient.id, timeout=10)
            await bot.settle()
            assert bot.api.pending_updates == 0 and bot.storage.inbox_pending() == []
            assert bot.storage.pending() == []

    asyncio.run(run())
