"""Whole conversations through the engine: events in, replies out, state as JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from backcare.bot.dialogs import buttons, flow
from backcare.bot.dialogs.events import Event
from backcare.bot.dialogs.state import STATE_VERSION, Consent, DialogState, ReminderPlan
from backcare.kernel.vocabulary import vocabulary


async def test_a_healthy_conversation_from_welcome_to_check_in(chat, interview, healthy, services):
    # onboarding: what is collected, why, how long, the right to delete
    await chat.start()
    assert chat.step == "consent"
    consent = chat.text
    assert "/delete" in consent and "365 days" in consent and "Photos" in consent
    await chat.press(buttons.CONSENT_YES)
    assert chat.step == "photo_consent" and "30 days" in chat.text
    await chat.press(buttons.DELETE_PHOTOS)
    assert chat.state.consent == Consent(
        data=True, keep_photos=False, at="2025-06-02T08:00:00+00:00"
    )

    # the interview, one question at a time
    assert chat.step == "interview" and chat.current == "age"
    assert "About you" in chat.text and "How old are you?" in chat.text
    asked = []
    while chat.step == "interview":
        asked.append(chat.current)
        assert chat.replies[-1].meta["question"] == chat.current
        await chat.answer(interview, healthy[chat.current])
    assert "weakness_worse" not in asked  # shown only when a leg is weak
    assert asked == [q for q in interview.order if q != "weakness_worse"]
    result = chat.state.result
    assert "worse_bending" in result["facts"] and "startback_low" in result["facts"]
    assert result["red_flags"] == {}

    # photos, in vocabulary order, with guidance; a refused one is retaken
    steps = list(vocabulary().movements)
    assert (
        chat.step == "photos"
        and "Photo 1 of 8" in chat.text
        and "side toward the camera" in chat.text
    )
    assert chat.replies[-1].expects == "photo"
    await chat.photo(b"refuse:too_dark")
    assert chat.state.photos.index == 0 and "too dark" in chat.text
    await chat.photo()
    assert chat.replies[0].images and chat.state.photos.index == 1
    await chat.all_photos()
    assert [step for step, _ in services.photo_calls] == [steps[0]] + steps

    # analysis and results: causes in plain words, pictures, the program with videos
    assert chat.step == "results"
    text = chat.text
    assert chat.replies[0].images and "Analysing" in chat.replies[1].text
    assert (
        "Your lower back rounds too easily" in text
        and "Tight muscles at the back of the thighs" in text
    )
    assert "not a medical diagnosis" in text
    pictures = next(r for r in chat.replies if r.text.startswith("Your movements"))
    assert [i.caption for i in pictures.images] == [
        t.text["en"] for t in vocabulary().movements.values()
    ]
    links = [url for r in chat.replies for _, url in r.links]
    assert links == ["https://example.org/hinge", "https://example.org/stretch"]
    assert (
        "10 × 2" not in text
        and "2 × 10, 5 days a week" in text
        and "Stop if: pain spreads down the leg" in text
    )
    report_call = services.report_calls[0]
    assert (
        report_call[2] == "en"
        and len(report_call[1]) == 8
        and "worse_bending" in report_call[0].facts
    )

    # reminders: days (pre-ticked from the dose), time, time zone
    await chat.press(buttons.REMINDERS_SET)
    assert chat.step == "reminder_days" and chat.replies[-1].multi
    assert [c.label for c in chat.replies[-1].choices][:7] == [
        "✓ Mon",
        "✓ Tue",
        "✓ Wed",
        "✓ Thu",
        "✓ Fri",
        "Sat",
        "Sun",
    ]
    await chat.press(buttons.day(4))
    await chat.press(buttons.day(5))
    await chat.press(buttons.DAYS_DONE)
    await chat.type("7:30")
    await chat.press(buttons.zone("Europe/London"))
    assert chat.step == "active"
    assert chat.state.reminder_plan() == ReminderPlan(
        days=[0, 1, 2, 3, 5], time="07:30", tz="Europe/London", active=True
    )
    assert "Mon, Tue, Wed, Thu, Sat at 07:30 (Europe/London)" in chat.text

    # a reminder fires, then a check-in
    await chat.timer("reminder")
    assert "Time for your exercises" in chat.text and "Hip hinge" in chat.text
    await chat.press(buttons.EXERCISED)
    assert chat.state.done_log == ["2025-06-02"]
    await chat.timer("checkin")
    assert chat.step == "checkin_pain"
    await chat.press(buttons.pain(3))
    assert "plan is 5 days a week" in chat.text  # the reminder plan's days
    await chat.press(buttons.days_done(5))
    await chat.press(buttons.SIGNS_NO)
    assert (
        chat.step == "active" and "clearly better than at the start (5 → 3 out of 10)" in chat.text
    )
    assert chat.state.checkins[-1].outcome == "better"
    await chat.press(buttons.PROGRESS)
    assert chat.replies[0].images[0].data.startswith(b"\x89PNG")

    # stop: reminders off
    await chat.command("stop")
    assert chat.state.reminders.active is False and "Reminders are off" in chat.text

    # every button fits Telegram's 64-byte callback data
    values = {c.value for r in chat.log for c in r.choices}
    assert len(values) > 100 and max(len(v.encode()) for v in values) <= 64


async def test_the_language_defaults_from_the_client(new_chat):
    ja = new_chat(language="ja-JP")
    await ja.start()
    assert ja.state.language == "ja" and "同意" in ja.text
    other = new_chat(language="de")
    await other.start()
    assert other.state.language == "en"
    unknown = new_chat(language=None)
    await unknown.start()
    assert unknown.state.language == "en"


async def test_the_language_can_be_switched_at_any_step(chat):
    await chat.consent()
    await chat.command("language")
    assert set(chat.choices()) == {buttons.language("en"), buttons.language("ja")}
    await chat.press(buttons.language("ja"))
    assert chat.state.language == "ja" and "年齢を教えてください" in chat.text
    assert chat.current == "age"  # still the same question


async def test_the_consent_screen_offers_the_other_language(new_chat):
    user = new_chat(language="en")
    await user.start()
    await user.press(buttons.language("ja"))
    assert user.step == "consent" and "同意いただけますか" in user.text


async def test_declining_stores_no_health_data_and_can_be_undone(chat):
    await chat.start()
    await chat.press(buttons.CONSENT_NO)
    assert chat.step == "declined" and chat.state.consent is None and chat.state.interview is None
    await chat.type("hello?")
    assert chat.step == "declined"
    await chat.press(buttons.CONSENT_AGAIN)
    assert chat.step == "consent"


async def test_the_state_is_plain_json_after_every_step(chat, interview, healthy):
    await chat.consent()
    for _ in range(10):
        state, _ = await chat.dialogs.handle(chat.saved, Event("text", text="not an answer"))
        # the stored form on purpose: plain JSON, written in this version
        assert json.loads(json.dumps(state)) == state and state["v"] == STATE_VERSION
        await chat.answer(interview, healthy[chat.current])
    assert len(chat.state.interview.history) == 10


async def test_handle_does_not_change_the_state_it_was_given(chat):
    await chat.consent()
    saved = json.loads(json.dumps(chat.saved))
    await chat.dialogs.handle(chat.saved, Event("text", text="42"))
    assert chat.saved == saved
    typed = chat.state
    await chat.dialogs.advance(typed, Event("text", text="42"))
    assert typed == chat.state


async def test_one_engine_serves_many_users_at_once(dialogs, new_chat, interview, healthy):
    users = [new_chat() for _ in range(5)]
    for user in users:
        await user.consent()

    async def walk(user, n):
        for _ in range(n):
            await user.answer(interview, healthy[user.current])
            await asyncio.sleep(0)

    await asyncio.gather(*(walk(user, n) for n, user in enumerate(users, start=1)))
    assert [len(u.state.interview.history) for u in users] == [1, 2, 3, 4, 5]
    assert dialogs.machine.models == []  # every model was removed after its event


async def test_an_unusable_state_starts_over_politely(dialogs):
    state, replies = await dialogs.handle(
        {"step": "no_such_step", "v": 1, "language": "en"}, Event("text", text="hi")
    )
    assert DialogState.from_json(state).step == "consent" and "Welcome" in replies[0].text
    state, replies = await dialogs.handle({"v": 99}, Event("start"))
    assert DialogState.from_json(state).step == "consent"
    typed, _ = await dialogs.advance(None, Event("start"))
    assert typed.step == "consent"


async def test_a_failure_inside_a_step_keeps_the_saved_state(chat, monkeypatch):
    await chat.consent()
    saved = json.loads(json.dumps(chat.saved))

    async def broken(conv, event):
        conv.data.interview.answers["age"] = 99  # a half-done change that must not be saved
        raise RuntimeError("bug")

    monkeypatch.setitem(
        flow.STEP, "interview", dataclasses.replace(flow.STEP["interview"], handle=broken)
    )
    state, replies = await chat.dialogs.handle(chat.saved, Event("text", text="42"))
    assert state == saved and "something went wrong" in replies[0].text


async def test_an_unknown_command_lists_the_commands(chat):
    await chat.consent()
    await chat.command("frobnicate")
    assert "/restart" in chat.text and "/status" in chat.text


async def test_status_tells_where_the_user_is_and_asks_again(chat, interview, healthy):
    await chat.consent()
    await chat.answer(interview, healthy["age"])
    await chat.command("status")
    assert "answering the questionnaire" in chat.text and "Questions answered: 1" in chat.text
    assert chat.replies[-1].meta["question"] == "sex"


async def test_help_explains_the_step_and_the_question(chat, interview, healthy):
    await chat.consent()
    await chat.command("help")
    assert "go back" in chat.text.lower() or "◀ Back" in chat.text
    assert "adults (18 and over)" in chat.text  # the age question's help text
    assert "/restart" in chat.text


async def test_timers_do_nothing_outside_the_program(chat):
    await chat.consent()
    before = chat.state
    assert await chat.timer("reminder") == []
    assert await chat.timer("checkin") == []
    assert chat.state == before  # a timer is not the user's activity
