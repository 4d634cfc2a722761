"""Photos in: sizes checked before download, documents and albums, progress shown, nothing kept."""

from __future__ import annotations

import asyncio

import pytest

from backcare.bot.dialogs.events import Reply
from backcare.bot.dialogs.state import Consent, DialogState
from tests.support.echo_dialogs import EchoDialogs
from tests.support.harness import BotHarness

JPEG = b"\xff\xd8\xff\xe0" + b"p" * 5000
MB = 1024 * 1024


async def test_a_quick_photo_gets_its_answer_without_a_progress_message(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_photo(alice, JPEG)
    await bot.settle()
    ((_, event),) = dialogs.events
    assert event.kind == "photo" and event.photo == JPEG and event.filename.endswith(".jpg")
    reply, picture = bot.api.messages(alice.id)
    assert reply.plain == f"Photo 1 received ({len(JPEG)} bytes)."
    assert picture.kind == "photo" and picture.data == JPEG
    actions = [c.params["action"] for c in bot.api.calls_of("sendChatAction")]
    assert actions and set(actions) == {"upload_photo"}


async def test_a_slow_analysis_shows_a_progress_message_then_its_end(make_storage):
    async with BotHarness(EchoDialogs(photo_delay=0.4), make_storage()) as bot:
        alice = bot.api.user(1001)
        bot.api.send_photo(alice, JPEG)
        await bot.settle()
        progress, reply, picture = bot.api.messages(alice.id)
        assert progress.plain == "Photo analysed." and progress.edits == 1
        assert reply.plain.startswith("Photo 1 received") and picture.kind == "photo"


class FailingAnalysis(EchoDialogs):
    """Photos whose analysis fails (its worker died twice) or whose turn crashes, slowly
    enough for a progress message to be shown first."""

    def __init__(self, crash: bool = False) -> None:
        super().__init__(photo_delay=0.4)
        self.crash = crash

    async def handle(self, state, event):
        if event.kind != "photo":
            return await super().handle(state, event)
        await asyncio.sleep(self.photo_delay)
        if self.crash:
            raise RuntimeError("a bug in the dialogs")
        reply = Reply("I couldn't use this photo: something went wrong.", expects="photo")
        reply.meta["analysis_failed"] = "worker_failed"
        return dict(state or {}), [reply]


@pytest.mark.parametrize("crash", [False, True], ids=["analysis failed", "turn failed"])
async def test_a_failed_analysis_ends_its_progress_message_without_claiming_success(
    make_storage, crash
):
    async with BotHarness(FailingAnalysis(crash), make_storage()) as bot:
        alice = bot.api.user(1001)
        bot.api.send_photo(alice, JPEG)
        await bot.settle()
        progress, told = bot.api.messages(alice.id)
        assert progress.plain == "Photo not analysed." and progress.edits == 1
        assert told.plain.startswith("Sorry" if crash else "I couldn't use this photo")


async def test_an_image_sent_as_a_file_is_taken(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_document(alice, JPEG, "IMG_0042.HEIC", mime_type="image/heic")
    await bot.settle()
    assert dialogs.events[0][1].photo == JPEG
    assert dialogs.events[0][1].filename == "IMG_0042.HEIC"


async def test_an_oversized_photo_is_refused_without_downloading_it(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_document(alice, b"tiny", "big.jpg", size=12 * MB)
    bot.api.send_photo(alice, b"tiny", size=11 * MB)
    await bot.settle()
    texts = [m.plain for m in bot.api.messages(alice.id)]
    assert texts == [
        "This file is too large (12 MB). Please send a photo under 10 MB.",
        "This file is too large (11 MB). Please send a photo under 10 MB.",
    ]
    assert bot.api.calls_of("getFile") == [] and dialogs.events == []


async def test_the_lower_cap_is_configurable_and_telegrams_limit_is_respected(
    make_storage, dialogs
):
    async with BotHarness(dialogs, make_storage(), config={"max_photo_mb": 1.0}) as bot:
        alice = bot.api.user(1001)
        bot.api.send_document(alice, b"x" * (2 * MB), "a.png", mime_type="image/png", size=None)
        await bot.settle()
        assert bot.api.messages(alice.id)[0].plain.startswith("This file is too large (2 MB)")
    # Telegram itself refuses getFile over 20 MB; a size the message did not state is caught there
    async with BotHarness(dialogs, make_storage(), config={"max_photo_mb": 20.0}) as bot:
        alice = bot.api.user(1002)
        stored = bot.api.add_file(b"x", size=25 * MB)
        message = bot.api._message(
            alice,
            document={
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "file_name": "a.jpg",
                "mime_type": "image/jpeg",
            },
        )
        bot.api.push_update({"message": message})
        await bot.settle()
        assert any(m.plain.startswith("This file is too large") for m in bot.api.messages(alice.id))
    assert dialogs.events == []


async def test_files_that_are_not_images_are_refused(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_document(alice, b"%PDF-1.4", "report.pdf", mime_type="application/pdf")
    await bot.settle()
    assert bot.api.messages(alice.id)[0].plain.startswith("I can only analyse pictures")
    assert dialogs.events == [] and bot.api.calls_of("getFile") == []


async def test_a_corrupt_image_reaches_the_dialogs_who_decide(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_document(alice, b"\xff\xd8\xff garbage", "broken.jpg")
    await bot.settle()
    assert dialogs.events[0][1].photo == b"\xff\xd8\xff garbage"


async def test_an_album_is_analysed_photo_by_photo_with_one_progress_message(make_storage):
    dialogs = EchoDialogs(photo_delay=0.2)
    async with BotHarness(dialogs, make_storage()) as bot:
        alice = bot.api.user(1001)
        bot.api.send_album(alice, [JPEG + b"1", JPEG + b"2", JPEG + b"3"])
        await bot.settle()
        assert [e.photo[-1:] for _, e in dialogs.events] == [b"1", b"2", b"3"]
        progress = [m for m in bot.api.messages(alice.id) if "analys" in m.plain.lower()]
        assert len(progress) == 1
        assert progress[0].plain == "3 photos analysed." and progress[0].edits >= 3


async def test_photos_are_not_kept_without_consent(bot, dialogs, storage):
    alice = bot.api.user(1001)
    bot.api.send_photo(alice, JPEG)
    await bot.settle()
    assert storage.photos(alice.id) == []
    assert JPEG not in repr(storage.export_user(alice.id)).encode()


async def test_photos_are_kept_only_when_offered_and_agreed(make_storage, storage):
    class Consenting(EchoDialogs):
        async def handle(self, state, event):
            saved, replies = await super().handle(state, event)
            agreed = DialogState.from_json(saved)
            assert agreed is not None
            agreed.consent = Consent(data=True, keep_photos=True)
            return agreed.to_json(), replies

    async with BotHarness(Consenting(), storage, config={"keep_photos": True}) as bot:
        alice = bot.api.user(1001)
        bot.api.send_text(alice, "hi")
        bot.api.send_photo(alice, JPEG)
        await bot.settle()
        (name,) = storage.photos(alice.id)
        assert storage.load_photo(alice.id, name) == JPEG
        assert storage.get_user(alice.id).consented("keep_photos")
    async with BotHarness(Consenting(), make_storage(), config={"keep_photos": False}) as bot:
        alice = bot.api.user(1001)
        bot.api.send_photo(alice, JPEG)
        await bot.settle()
        assert bot.storage.photos(alice.id) == []
