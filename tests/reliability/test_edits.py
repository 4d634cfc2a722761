"""An edited message is never ignored without a word.

Telegram tells the bot when a patient edits a message. The edit of their latest
typed answer replaces it (the question is asked now, or it is the last one
answered: the bot goes back one question and takes the edit as the answer);
the edit of an older message is answered with how to change an answer (Back).
"""

from __future__ import annotations

from tests.reliability.live import live_bot, place, state_at
from tests.support.patients import Patient

APPLIED = "the edited one replaces it"
OLD = "press Back"


async def _edit(bot, patient: Patient, update: dict, text: str) -> list[str]:
    """Edit ``update``'s message to ``text``; the texts the bot sent back."""
    before = len(patient.messages)
    bot.api.edit_text(update, text)
    await bot.settle()
    return [m.plain for m in patient.messages[before:]]


async def _type(bot, patient: Patient, text: str) -> dict:
    update = bot.api.send_text(patient.user, text)
    await bot.settle()
    return update


async def test_an_edited_answer_to_the_last_question_replaces_it(data_file, registry, answers):
    async with live_bot(data_file, registry) as bot:
        patient = Patient(bot, 6001)
        place(bot.storage, patient.id, await state_at(registry, answers, question="height"))
        typed = await _type(bot, patient, "165")
        assert patient.dialog.asked() == "weight"
        replies = await _edit(bot, patient, typed, "172")
        interview = patient.dialog.interview
        assert interview is not None
        assert interview.answers["height"] == 172.0, "the edit is the answer"
        assert interview.current == "weight" and interview.history[-1] == "height"
        assert APPLIED in replies[0] and "weigh" in replies[-1].lower(), "then the next question"
        # edited again: still the latest answer
        await _edit(bot, patient, typed, "171")
        assert patient.dialog.answers()["height"] == 171.0


async def test_an_edit_of_an_answer_the_bot_refused_answers_the_question(
    data_file, registry, answers
):
    async with live_bot(data_file, registry) as bot:
        patient = Patient(bot, 6002)
        place(bot.storage, patient.id, await state_at(registry, answers, question="height"))
        typed = await _type(bot, patient, "tall")
        assert patient.dialog.asked() == "height", "refused: asked again"
        replies = await _edit(bot, patient, typed, "168")
        assert patient.dialog.answers()["height"] == 168.0
        assert patient.dialog.asked() == "weight"
        assert APPLIED in replies[0]


async def test_an_edit_of_an_older_answer_says_how_to_change_it(data_file, registry, answers):
    async with live_bot(data_file, registry) as bot:
        patient = Patient(bot, 6003)
        place(bot.storage, patient.id, await state_at(registry, answers, question="height"))
        height = await _type(bot, patient, "165")
        await _type(bot, patient, "70")  # weight
        before = patient.dialog.interview
        assert before is not None
        replies = await _edit(bot, patient, height, "180")
        assert len(replies) == 1 and OLD in replies[0], "answered, with how to change it"
        assert patient.dialog.interview == before, "nothing changed"
        # /start is no answer: its edit gets the same explanation
        start = await _type(bot, patient, "/help")
        assert OLD in (await _edit(bot, patient, start, "/help please"))[0]
