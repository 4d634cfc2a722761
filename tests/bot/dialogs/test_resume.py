"""Pause, process restarts and interview.yaml reloads: nobody loses their place."""

from __future__ import annotations

from backcare.bot.dialogs import buttons
from backcare.interview import InterviewRegistry


async def test_a_process_restart_mid_interview_continues_exactly(
    chat, interview, healthy, make_dialogs, registry
):
    await chat.consent()
    await chat.answer_all(interview, healthy, stop_at="worse")
    await chat.press(buttons.toggle("worse", "sitting"))
    saved = chat.saved
    # the process dies; a new one starts with a new registry and engine, and the saved state
    restarted = make_dialogs(InterviewRegistry(registry.path))
    chat.dialogs = restarted
    chat.saved = saved
    await chat.press(buttons.toggle("worse", "bending"))
    await chat.press(buttons.done("worse"))
    assert chat.state.interview.answers["worse"] == ["sitting", "bending"]
    await chat.answer_all(interview, healthy)
    await chat.all_photos()
    assert chat.step == "results"
    assert chat.state.interview.answers == {q: healthy[q] for q in chat.state.interview.history}


async def test_a_process_restart_between_photos_keeps_the_photos_taken(
    chat, interview, healthy, make_dialogs, registry, services
):
    await chat.consent()
    await chat.answer_all(interview, healthy)
    for _ in range(3):
        await chat.photo()
    fresh_services = services.__class__()
    chat.dialogs = make_dialogs(InterviewRegistry(registry.path), fresh_services)
    await chat.command("start")
    assert "Welcome back" in chat.text and "Photo 4 of 8" in chat.text
    await chat.all_photos()
    assert chat.step == "results"
    photos = fresh_services.report_calls[0][1]
    assert len(photos) == 8 and all(p.accepted for p in photos)
    # the three pictures taken before the restart were in the old process's memory only
    pictures = next(r for r in chat.replies if r.images and r.text)
    assert len(pictures.images) == 5


async def test_pause_for_days_then_resume_where_the_user_left(chat, interview, healthy, clock):
    await chat.consent()
    await chat.answer_all(interview, healthy, stop_at="duration")
    clock.advance(days=9)
    await chat.command("start")
    assert "Welcome back" in chat.text and chat.replies[-1].meta["question"] == "duration"
    await chat.answer(interview, healthy["duration"])
    assert chat.current == "onset_age"
    assert chat.state.updated == clock.now.isoformat(timespec="seconds")


async def test_a_reload_mid_interview_lets_the_user_finish_on_the_old_version(
    live_path, make_dialogs, new_chat, healthy
):
    registry = InterviewRegistry(live_path)
    dialogs = make_dialogs(registry)
    old = registry.current
    early = new_chat(dialogs)
    await early.consent()
    await early.answer_all(old, healthy, stop_at="sitting_hours")

    # the admin rewords a question and adds one, then reloads
    text = live_path.read_text(encoding="utf-8")
    text = text.replace('version: "2025.06-1"', 'version: "2025.07-1"')
    text = text.replace(
        "How do you spend most of your working day?", "What is your job mostly like?"
    )
    text = text.replace(
        "      - id: sitting_hours\n",
        (
            "      - id: commute\n        type: yes_no\n"
            '        text: {en: "Do you commute by car?", ja: "車で通勤していますか？"}\n'
            "      - id: sitting_hours\n"
        ),
        1,
    )
    live_path.write_text(text, encoding="utf-8")
    assert registry.reload() == []
    new = registry.current
    assert new.digest != old.digest and "commute" in new.questions

    # the user in progress goes on with the old version (no new question, old words)
    await early.answer_all(old, healthy)
    assert "commute" not in early.state.interview.history
    assert (
        early.state.interview.digest == old.digest and early.state.result["version"] == old.digest
    )

    # a new user gets the new version
    late = new_chat(dialogs)
    await late.consent()
    assert late.state.interview.digest == new.digest
    await late.answer_all(new, {**healthy, "commute": True}, stop_at="sitting_hours")
    assert "What is your job mostly like?" in "\n".join(r.text for r in late.log)
    assert late.state.interview.answers["commute"] is True


async def test_a_broken_reload_is_refused_and_nobody_notices(
    live_path, make_dialogs, new_chat, healthy
):
    registry = InterviewRegistry(live_path)
    dialogs = make_dialogs(registry)
    user = new_chat(dialogs)
    await user.consent()
    await user.answer_all(registry.current, healthy, stop_at="saddle")
    good = registry.current
    text = live_path.read_text(encoding="utf-8")
    live_path.write_text(
        text.replace("    urgency: emergency", "    urgency: whenever", 1), encoding="utf-8"
    )
    problems = registry.reload()
    assert problems and problems[0].field.endswith(".urgency") and problems[0].line
    assert registry.current is good
    # the red-flag rule of the good version still works for the user in progress
    await user.answer(good, True)
    assert user.step == "referred" and user.state.referral.urgency == "emergency"
    # and a new user still starts on the good version
    other = new_chat(dialogs)
    await other.consent()
    assert other.state.interview.digest == good.digest


async def test_after_a_restart_an_unknown_version_moves_the_answers_to_the_live_one(
    live_path, make_dialogs, new_chat, healthy
):
    registry = InterviewRegistry(live_path)
    user = new_chat(make_dialogs(registry))
    await user.consent()
    await user.answer_all(registry.current, healthy, stop_at="smoking")
    # the file changed while the process was down: the old version is gone from memory
    text = live_path.read_text(encoding="utf-8").replace(
        "      - id: lifting\n",
        "      - id: commute\n        type: yes_no\n"
        '        text: {en: "Do you commute by car?", ja: "車で通勤していますか？"}\n      - id: lifting\n',
        1,
    )
    live_path.write_text(text, encoding="utf-8")
    restarted = InterviewRegistry(live_path)
    user.dialogs = make_dialogs(restarted)
    await user.command("start")
    assert "questionnaire has been updated" in user.text
    st = user.state.interview
    assert st.digest == restarted.current.digest and user.current == "commute"
    assert st.history == ["age", "sex", "height", "weight", "work", "sitting_hours"]
    await user.answer(restarted.current, False)
    assert user.current == "lifting"
