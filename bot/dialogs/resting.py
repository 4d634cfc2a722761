"""The program's resting step ("active"): the menu while the patient does the program,
and the scheduled reminder that lands there (its timer fires only in this step)."""

from __future__ import annotations

from backcare.bot.dialogs import buttons, reassessment
from backcare.bot.dialogs.checkin import start_checkin
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.feature import Feature, Step, no_back
from backcare.bot.dialogs.progress import show_progress
from backcare.bot.dialogs.reminders import reminders_words
from backcare.bot.dialogs.results import render_program


def active_buttons(conv: Conversation) -> list[Choice]:
    choices = [conv.button("active.program", buttons.PROGRAM)]
    if conv.data.checkins:
        choices.append(conv.button("active.progress", buttons.PROGRESS))
    if reassessment.invited(conv.data):
        choices.append(conv.button("active.reassess", buttons.REASSESS_YES))
    return choices + [
        conv.button("active.checkin", buttons.CHECK_IN),
        conv.button("active.reminders_button", buttons.REMINDERS_SET),
        conv.button("common.restart", buttons.command("restart")),
    ]


def prompt_active(conv: Conversation) -> None:
    conv.data.reminder_draft = None
    conv.say(
        conv.t("active.ready") + "\n\n" + reminders_words(conv),
        choices=active_buttons(conv),
        expects="choice",
    )


async def on_active(conv: Conversation, event: Event) -> None:
    pressed = buttons.pressed(event)
    if pressed == buttons.PROGRAM:
        render_program(conv, conv.data.report or {})
        conv.say(reminders_words(conv), choices=active_buttons(conv), expects="choice")
    elif pressed == buttons.PROGRESS:
        show_progress(conv)
        conv.say(reminders_words(conv), choices=active_buttons(conv), expects="choice")
    elif pressed == buttons.CHECK_IN:
        start_checkin(conv)
    elif pressed == buttons.REASSESS_YES and (conv.data.report or {}).get("program"):
        reassessment.accept(conv)
    elif pressed == buttons.REASSESS_NO:
        reassessment.decline(conv)
        conv.say(reminders_words(conv), choices=active_buttons(conv), expects="choice")
    elif pressed == buttons.REMINDERS_SET:
        conv.go("plan_reminders")
    elif pressed == buttons.EXERCISED:
        log = conv.data.done_log
        log.append(conv.now.date().isoformat())
        del log[:-60]  # the last two months are plenty for progress
        conv.say(conv.t("reminder.thanks"), choices=active_buttons(conv), expects="choice")
    else:
        prompt_active(conv)


def reminder_message(conv: Conversation) -> None:
    """A scheduled reminder: today's exercises with their videos."""
    exercises = conv.data.exercises()
    names = [f"• {conv.text_of(ex['name'])}" for ex in exercises]
    links = [(conv.text_of(ex["name"]), ex["video_url"]) for ex in exercises if ex.get("video_url")]
    conv.say(
        "\n".join([conv.t("reminder.text")] + names),
        links=links,
        choices=[
            conv.button("reminder.done", buttons.EXERCISED),
            conv.button("active.checkin", buttons.CHECK_IN),
        ],
        expects="choice",
    )


FEATURE = Feature(
    "program",
    steps=(Step("active", prompt_active, on_active, back=no_back, timers=True),),
    texts=("active", "reminder"),
)
