"""Turns: per-user order, users in parallel, one save per turn, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import time

from backcare.bot.dialogs.commands import MENU
from backcare.bot.dialogs.state import CheckinRecord, DialogState
from tests.support.echo_dialogs import EchoDialogs, echo_data
from tests.support.fake_botapi import Fault
from tests.support.harness import BotHarness
from tests.support.patients import dialog_of

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 2000


async def test_buttons_answer_the_dialog_and_the_question_shows_the_answer(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/start")
    await bot.settle()
    question = bot.api.messages(alice.id)[-1]
    bot.api.press(alice, question, "6")
    await bot.settle()
    assert dialogs.events[-1][1].kind == "choice" and dialogs.events[-1][1].data == "6"
    first, second = bot.api.messages(alice.id)
    assert first.plain == "Welcome. How bad is your pain today?\n\n✓ 6"
    assert first.reply_markup is None, "answered buttons are taken away"
    assert second.plain == "Do you sit for long?" and second.labels == ["Yes", "No"]
    assert bot.api.answered_callbacks[-1].get("text") is None
    assert echo_data(bot.storage.get_state(alice.id))["answers"] == {"pain": "6"}


async def test_buttons_no_longer_live_are_taken_off_the_screen(bot):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/results")  # a reply with a link button only
    bot.api.send_text(alice, "/start")  # a question with answer buttons
    await bot.settle()
    links, welcome = [m for m in bot.api.messages(alice.id) if m.kind == "text"]
    assert welcome.labels and links.labels == ["Video"]
    bot.api.send_text(alice, "I would rather type")
    await bot.settle()
    assert welcome.reply_markup is None, "dead answer buttons removed"
    assert links.labels == ["Video"], "link buttons are never dead"
    assert bot.api.messages(alice.id)[-1].plain == "You said: I would rather type"


async def test_what_the_user_typed_is_echoed_escaped(bot):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "<b>bold</b> & <a href='x'>link</a>")
    await bot.settle()
    (reply,) = bot.api.messages(alice.id)
    assert reply.text == "You said: &lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href='x'&gt;link&lt;/a&gt;"
    assert reply.plain == "You said: <b>bold</b> & <a href='x'>link</a>"


async def test_old_and_forged_buttons_do_nothing_but_say_so(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/start")
    await bot.settle()
    old = bot.api.messages(alice.id)[-1]
    stale = old.button("4")["callback_data"]
    bot.api.press(alice, old, "3")
    await bot.settle()
    handled = len(dialogs.events)
    bot.api.press(alice, old, data=stale)  # stale
    bot.api.press(alice, old, data="k00000000.1")  # forged token
    bot.api.press(alice, old, data="delete_everything")  # not ours at all
    await bot.settle()
    assert len(dialogs.events) == handled
    expired = [c.get("text") for c in bot.api.answered_callbacks[-3:]]
    assert expired == ["This button is no longer active."] * 3
    assert bot.storage.inbox_pending() == []


async def test_a_multi_select_is_edited_in_place(bot):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/multi")
    await bot.settle()
    (menu,) = bot.api.messages(alice.id)
    bot.api.press(alice, menu, "legs")
    await bot.settle()
    (menu,) = bot.api.messages(alice.id)
    assert menu.labels[0] == "✓ legs" and menu.edits == 1
    bot.api.press(alice, menu, "Done")
    await bot.settle()
    menu, done = bot.api.messages(alice.id)
    assert menu.reply_markup is None and done.plain == "You picked legs."
    assert menu.plain == "Where does it hurt?\n\n✓ legs"


async def test_presses_in_quick_succession_are_handled_in_the_order_they_were_made(bot):
    # the spinner of the first press is answered slowly: the second press must still wait
    # for the first one's turn (found by bench/soak.py: a tick lost behind a quick "Done")
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/multi")
    await bot.settle()
    (menu,) = bot.api.messages(alice.id)
    bot.api.faults.append(Fault("answerCallbackQuery", 200, delay=0.5))
    bot.api.press(alice, menu, "legs")
    bot.api.press(alice, menu, "Done")
    await bot.settle()
    menu, done = bot.api.messages(alice.id)
    assert done.plain == "You picked legs."
    assert menu.plain == "Where does it hurt?\n\n✓ legs"
    await bot.api.wait_for(lambda: len(bot.api.answered_callbacks) == 2)  # both spinners


async def test_one_users_slow_photo_does_not_hold_up_others(make_storage):
    dialogs = EchoDialogs(photo_delay=1.0)
    async with BotHarness(dialogs, make_storage()) as bot:
        slow, quick = bot.api.user(1), bot.api.user(2)
        bot.api.send_photo(slow, JPEG)
        await asyncio.sleep(0.2)
        sent = time.monotonic()
        bot.api.send_text(quick, "hello")
        reply = await bot.api.wait_for_message(quick.id, timeout=5)
        assert reply.time and time.monotonic() - sent < 0.6
        assert not any(m.plain.startswith("Photo 1 received") for m in bot.api.messages(slow.id))
        await bot.settle()


async def test_a_users_updates_are_handled_one_at_a_time_in_order(make_storage):
    dialogs = EchoDialogs(photo_delay=0.3)
    async with BotHarness(dialogs, make_storage()) as bot:
        alice = bot.api.user(1)
        bot.api.send_photo(alice, JPEG)
        bot.api.send_text(alice, "after the photo")
        await bot.settle()
        texts = [m.plain for m in bot.api.messages(alice.id) if m.kind == "text"]
        assert texts.index("You said: after the photo") > texts.index(
            next(t for t in texts if t.startswith("Photo 1 received"))
        )
        kinds = [e.kind for _, e in dialogs.events]
        assert kinds == ["photo", "text"]


async def test_an_update_delivered_twice_is_handled_once(bot, dialogs):
    alice = bot.api.user(1001)
    update = bot.api.send_text(alice, "once")
    await bot.settle()
    await bot.stop()
    bot.api.redeliver(update)  # e.g. the confirmation was lost when the process died
    await bot.start()
    await bot.settle()
    assert [e.text for _, e in dialogs.events] == ["once"]
    assert len(bot.api.messages(alice.id)) == 1


async def test_a_failing_dialog_gets_an_apology_and_is_not_retried(bot, dialogs):
    alice = bot.api.user(1001)
    bot.api.send_text(alice, "/start")
    bot.api.send_text(alice, "/boom")
    await bot.settle()
    assert bot.api.messages(alice.id)[-1].plain.startswith("Sorry, something went wrong")
    assert dialog_of(bot.storage.get_state(alice.id)).step == "pain", (
        "the failed turn changed nothing"
    )
    assert bot.storage.inbox_pending() == []
    await bot.restart()
    await bot.settle()
    assert sum(e.text == "boom" for _, e in dialogs.events) == 1


async def test_stickers_and_voice_get_a_plain_answer(bot, dialogs):
    alice = bot.api.user(1001, language_code="ja")
    bot.api.send_sticker(alice)
    await bot.settle()
    (reply,) = bot.api.messages(alice.id)
    assert reply.plain == "読み取れるのはテキスト、ボタン、写真だけです。"
    assert dialogs.events == []


async def test_the_command_menu_is_set_in_both_languages(bot):
    menus = {
        c.get("language_code"): [x["command"] for x in c["commands"]] for c in bot.api.commands
    }
    assert set(menus) == {None, "ja"}
    assert menus[None] == menus["ja"] == list(MENU)  # the command registry, in its order
    assert not any(c.startswith("admin") for c in menus[None])
    ja = next(c for c in bot.api.commands if c.get("language_code") == "ja")["commands"]
    assert {"command": "progress", "description": "経過のグラフ"} in ja


async def test_reports_and_check_ins_are_kept_beside_the_dialog_state(storage):
    class Reporting(EchoDialogs):
        async def handle(self, state, event):
            saved, replies = await super().handle(state, event)
            state = DialogState.from_json(saved)
            if event.text == "report":
                state.report = {"causes": ["flexion_impairment"], "n": len(self.events)}
            if event.text == "checkin":
                state.checkins.append(CheckinRecord(at="2030-01-01", pain=4))
            if event.text == "restart":
                state.report = None
            return state.to_json(), replies

    async with BotHarness(Reporting(), storage) as bot:
        alice = bot.api.user(1001)
        for command in ("/report", "/status", "/checkin", "/restart", "/report", "/checkin"):
            bot.api.send_text(alice, command)
        await bot.settle()
    assert [a["n"] for a in storage.assessments(alice.id)] == [1, 5]
    assert storage.checkins(alice.id) == [CheckinRecord(at="2030-01-01", pain=4).to_json()] * 2
