"""/delete erases every trace after a confirmation; /export hands the user their data."""

from __future__ import annotations

import json

from backcare.bot.storage import TinyDBStorage
from backcare.bot.storage.tinyfile import read_database
from tests.support.echo_dialogs import EchoDialogs, echo_data
from tests.support.harness import BotHarness

JPEG = b"\xff\xd8\xff\xe0" + b"q" * 3000


async def test_delete_asks_first_and_no_keeps_everything(bot, storage):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "my secret answer")
    bot.api.send_text(alice, "/delete")
    await bot.settle()
    question = bot.api.messages(alice.id)[-1]
    assert question.plain.startswith("This erases everything")
    assert question.labels == ["Yes, erase everything", "No, keep my data"]
    bot.api.press(alice, question, "No, keep my data")
    await bot.settle()
    assert bot.api.messages(alice.id)[-1].plain == "Nothing was erased."
    assert question.reply_markup is None
    assert echo_data(storage.get_state(alice.id))["answers"]["text"] == "my secret answer"
    bot.api.press(alice, question, data="k0.0")  # a forgery afterwards
    await bot.settle()
    assert storage.get_state(alice.id) is not None


async def test_delete_erases_every_trace_from_the_file_and_its_backups(tmp_path):
    path = tmp_path / "data" / "backcare.json"
    storage = TinyDBStorage(path, backup_interval=0.0)
    secret = "my-secret-answer-5551234"
    async with BotHarness(EchoDialogs(), storage) as bot:
        alice, bob = bot.api.user(987654321), bot.api.user(1002)
        for user in (alice, bob):
            bot.api.send_text(user, "/start")
            bot.api.send_text(user, secret if user is alice else "bob stays")
            bot.api.send_text(user, "/remind")
            bot.api.send_text(user, "/results")
            bot.api.send_photo(user, JPEG)
        await bot.settle()
        assert storage.get_reminder(alice.id) is not None
        assert bot.runtime.scheduler.scheduled(alice.id) is not None
        bot.api.send_text(alice, "/delete")
        await bot.settle()
        bot.api.press(alice, bot.api.messages(alice.id)[-1], "Yes, erase everything")
        await bot.settle()
        assert bot.api.messages(alice.id)[-1].plain.startswith(
            "Everything about you has been erased"
        )
        assert bot.runtime.scheduler.scheduled(alice.id) is None
        assert bot.runtime.scheduler.scheduled(bob.id) is not None
    storage.close()
    for f in tmp_path.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            assert secret.encode() not in raw, f
            assert b"987654321" not in raw, f
    assert "bob stays" in json.dumps(read_database(path))
    again = TinyDBStorage(path)
    assert again.export_user(alice.id)["dialog_state"] is None
    assert again.get_reminder(alice.id) is None and again.pending(alice.id) == []
    again.close()


async def test_after_delete_the_user_starts_from_nothing(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/start")
    bot.api.send_text(alice, "/delete")
    await bot.settle()
    bot.api.press(alice, bot.api.messages(alice.id)[-1], "Yes, erase everything")
    await bot.settle()
    bot.api.send_text(alice, "/status")
    await bot.settle()
    assert dialogs.events[-1][0] is None, "the dialogs got no state: a new user"


async def test_export_sends_the_users_data_as_a_json_file(bot, storage):
    alice = bot.api.user(1001, language_code="ja")
    bot.api.send_text(alice, "/start")
    bot.api.send_text(alice, "<answer> & more")
    bot.api.send_text(alice, "/results")
    bot.api.send_text(alice, "/export")
    await bot.settle()
    doc = next(m for m in bot.api.messages(alice.id) if m.kind == "document")
    assert doc.filename.startswith("backcare-export-") and doc.filename.endswith(".json")
    data = json.loads(doc.data)
    assert data["user_id"] == alice.id
    assert echo_data(data["dialog_state"])["answers"]["text"] == "<answer> & more"
    assert data["assessments"] == [{"summary": "results", "pain": None}]
    caption = [m.plain for m in bot.api.messages(alice.id) if m.kind == "text"][-1]
    assert caption == "保存しているあなたのデータすべて（JSON ファイル）です。"
    assert "upload_document" in [c.params["action"] for c in bot.api.calls_of("sendChatAction")]
