"""Reminder set-up (days, time, time zone) and the plan in words (the resting step is resting.py).

``data.reminders`` (bot.dialogs.state.ReminderPlan: days 0..6 with Monday = 0, "HH:MM",
"Area/City", active) is what the bot adapter schedules from; the set-up in progress is
``data.reminder_draft``.
"""

from __future__ import annotations

from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.feature import Command, Feature, Step, no_back
from backcare.bot.dialogs.state import ReminderDraft, ReminderPlan
from backcare.followup import schedule
from backcare.kernel import languages

WEEKDAYS = [0, 1, 2, 3, 4]
EVERY_DAY = list(range(7))
TIMES = ("07:00", "08:00", "12:00", "18:00", "20:00", "21:00")


def default_days(conv: Conversation) -> list[int]:
    """Pre-ticked days from the program's dose: daily, weekdays, or spread over the week."""
    per_week = max((ex["dose"].get("days_per_week", 3) for ex in conv.data.exercises()), default=3)
    if per_week >= 7:
        return EVERY_DAY
    if per_week >= 5:
        return WEEKDAYS
    return {1: [2], 2: [1, 4], 3: [0, 2, 4], 4: [0, 1, 3, 4]}.get(per_week, [0, 2, 4])


def draft(conv: Conversation) -> ReminderDraft:
    if conv.data.reminder_draft is None:
        conv.data.reminder_draft = ReminderDraft()
    return conv.data.reminder_draft


# -- days -------------------------------------------------------------------------------
def prompt_days(conv: Conversation, note: str | None = None) -> None:
    d = draft(conv)
    if d.days is None:
        old = conv.data.reminders
        d.days = list((old.days if old is not None else None) or default_days(conv))
    ticked = set(d.days)
    choices = [
        Choice(
            ("✓ " if day in ticked else "") + schedule.weekday(day, conv.lang),
            buttons.day(day).data,
        )
        for day in EVERY_DAY
    ]
    choices += [
        conv.button("reminders.every_day", buttons.ALL_DAYS),
        conv.button("reminders.weekdays", buttons.WEEKDAYS),
        conv.button("interview.done", buttons.DAYS_DONE),
        conv.button("reminders.no_thanks", buttons.REMINDERS_NO),
    ]
    text = conv.t("reminders.days")
    conv.say(f"{note}\n\n{text}" if note else text, choices=choices, expects="choice", multi=True)


async def on_days(conv: Conversation, event: Event) -> None:
    d = draft(conv)
    pressed = buttons.pressed(event)
    day = buttons.weekday(pressed)
    if pressed == buttons.REMINDERS_NO:
        conv.go("skip_reminders")
        return
    if pressed == buttons.DAYS_DONE:
        if not d.days:
            prompt_days(conv, note=conv.t("reminders.no_days"))
            return
        conv.go("days_chosen")
        return
    if pressed == buttons.ALL_DAYS:
        d.days = list(EVERY_DAY)
    elif pressed == buttons.WEEKDAYS:
        d.days = list(WEEKDAYS)
    elif day is not None and day in EVERY_DAY:
        d.days = sorted(set(d.days or []) ^ {day})
    else:
        prompt_days(conv, note=conv.t("interview.use_buttons"))
        return
    prompt_days(conv)
    conv.replies[-1].meta["update"] = True


# -- time -------------------------------------------------------------------------------
def prompt_time(conv: Conversation, note: str | None = None) -> None:
    choices = [Choice(t, buttons.time(t).data) for t in TIMES]
    choices.append(conv.button("common.back", buttons.command("back")))
    text = conv.t("reminders.time")
    conv.say(f"{note}\n\n{text}" if note else text, choices=choices, expects="text")


async def on_time(conv: Conversation, event: Event) -> None:
    pressed = buttons.value_of(buttons.pressed(event), "time")
    raw = pressed if pressed is not None else event.text
    try:
        draft(conv).time = schedule.parse_time(raw or "")
    except schedule.ScheduleError:
        prompt_time(conv, note=conv.t("reminders.bad_time"))
        return
    conv.go("time_chosen")


# -- time zone ----------------------------------------------------------------------------
def prompt_zone(conv: Conversation, note: str | None = None) -> None:
    zones = languages.language(conv.lang).zones
    old = conv.data.zone()
    if old and old not in zones:
        zones = (old, *zones)
    choices = [Choice(z, buttons.zone(z).data) for z in zones]
    choices.append(conv.button("common.back", buttons.command("back")))
    text = conv.t("reminders.zone")
    conv.say(f"{note}\n\n{text}" if note else text, choices=choices, expects="text")


async def on_zone(conv: Conversation, event: Event) -> None:
    pressed = buttons.value_of(buttons.pressed(event), "tz")
    raw = pressed if pressed is not None else event.text
    try:
        zone = schedule.parse_zone(raw or "")
    except schedule.ScheduleError:
        prompt_zone(conv, note=conv.t("reminders.bad_zone"))
        return
    d = conv.data.reminder_draft or ReminderDraft()
    conv.data.reminder_draft = None
    conv.data.reminders = ReminderPlan(
        days=sorted(d.days if d.days is not None else default_days(conv)),
        time=d.time or "08:00",
        tz=zone,
        active=True,
    )
    conv.go("tz_chosen")


# -- the plan in words (the resting step and /status show it) -------------------------------
def reminders_words(conv: Conversation) -> str:
    r = conv.data.reminders
    if r is None or not r.active:
        return conv.t("active.no_reminders")
    plan = schedule.ReminderPlan(days=tuple(r.days), time=r.time, tz=r.tz)
    return conv.t("active.reminders", plan=schedule.describe(plan, conv.lang))


def stop(conv: Conversation) -> None:
    """/stop: no more reminders (the plan is kept, to set them up again)."""
    reminders = conv.data.reminders
    if reminders is not None and reminders.active:
        reminders.active = False
        conv.say(conv.t("reminders.stopped"))
    else:
        conv.say(conv.t("reminders.none_active"))


FEATURE = Feature(
    "reminders",
    steps=(
        Step("reminder_days", prompt_days, on_days, back=no_back),
        Step("reminder_time", prompt_time, on_time),
        Step("reminder_zone", prompt_zone, on_zone),
    ),
    commands=(Command("stop", stop),),
    texts=("reminders",),
)
