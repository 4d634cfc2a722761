"""Reminder set-up (days, time, time zone) and the program's resting state ("active").

``data["reminders"] = {"days": [0..6, Monday = 0], "time": "HH:MM", "tz": "Area/City", "active": bool}``
is what the bot adapter schedules from; the set-up in progress is ``data["reminder_draft"]``.
"""

from __future__ import annotations

from backcare.bot.dialogs import reassessment
from backcare.bot.dialogs.checkin import start_checkin
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice, Event
from backcare.bot.dialogs.progress import show_progress
from backcare.bot.dialogs.results import render_program
from backcare.followup import schedule
from backcare.kernel import languages

WEEKDAYS = [0, 1, 2, 3, 4]
EVERY_DAY = list(range(7))
TIMES = ("07:00", "08:00", "12:00", "18:00", "20:00", "21:00")


def default_days(conv: Conversation) -> list[int]:
    """Pre-ticked days from the program's dose: daily, weekdays, or spread over the week."""
    program = (conv.data.get("report") or {}).get("program") or {}
    per_week = max(
        (ex["dose"].get("days_per_week", 3) for ex in program.get("exercises", [])), default=3
    )
    if per_week >= 7:
        return EVERY_DAY
    if per_week >= 5:
        return WEEKDAYS
    return {1: [2], 2: [1, 4], 3: [0, 2, 4], 4: [0, 1, 3, 4]}.get(per_week, [0, 2, 4])


def draft(conv: Conversation) -> dict:
    return conv.data.setdefault("reminder_draft", {})


def days_words(conv: Conversation, days: list[int]) -> str:
    if sorted(days) == EVERY_DAY:
        return conv.t("reminders.every_day")
    return conv.t("reminders.list_separator").join(conv.t(f"days.{d}") for d in sorted(days))


# -- days -------------------------------------------------------------------------------
def prompt_days(conv: Conversation, note: str | None = None) -> None:
    d = draft(conv)
    if "days" not in d:
        old = conv.data.get("reminders") or {}
        d["days"] = list(old.get("days") or default_days(conv))
    ticked = set(d["days"])
    buttons = [
        Choice(("✓ " if day in ticked else "") + conv.t(f"days.{day}"), f"day:{day}")
        for day in EVERY_DAY
    ]
    buttons += [
        conv.button("reminders.every_day", "day:all"),
        conv.button("reminders.weekdays", "day:weekdays"),
        conv.button("interview.done", "day:done"),
        conv.button("reminders.no_thanks", "rm:no"),
    ]
    text = conv.t("reminders.days")
    conv.say(f"{note}\n\n{text}" if note else text, choices=buttons, expects="choice", multi=True)


async def on_days(conv: Conversation, event: Event) -> None:
    d = draft(conv)
    value = event.data if event.kind == "choice" else None
    if value == "rm:no":
        conv.go("skip_reminders")
        return
    if value == "day:done":
        if not d.get("days"):
            prompt_days(conv, note=conv.t("reminders.no_days"))
            return
        conv.go("days_chosen")
        return
    if value == "day:all":
        d["days"] = list(EVERY_DAY)
    elif value == "day:weekdays":
        d["days"] = list(WEEKDAYS)
    elif value and value.startswith("day:") and value[4:].isdigit() and int(value[4:]) in EVERY_DAY:
        day = int(value[4:])
        d["days"] = sorted(set(d.get("days", [])) ^ {day})
    else:
        prompt_days(conv, note=conv.t("interview.use_buttons"))
        return
    prompt_days(conv)
    conv.replies[-1].meta["update"] = True


# -- time -------------------------------------------------------------------------------
def prompt_time(conv: Conversation, note: str | None = None) -> None:
    buttons = [Choice(t, f"time:{t}") for t in TIMES] + [conv.button("common.back", "cmd:back")]
    text = conv.t("reminders.time")
    conv.say(f"{note}\n\n{text}" if note else text, choices=buttons, expects="text")


async def on_time(conv: Conversation, event: Event) -> None:
    data = event.data or ""
    raw = data[5:] if event.kind == "choice" and data.startswith("time:") else event.text
    try:
        draft(conv)["time"] = schedule.parse_time(raw or "")
    except schedule.ScheduleError:
        prompt_time(conv, note=conv.t("reminders.bad_time"))
        return
    conv.go("time_chosen")


# -- time zone ----------------------------------------------------------------------------
def prompt_zone(conv: Conversation, note: str | None = None) -> None:
    zones = languages.language(conv.lang).zones
    old = (conv.data.get("reminders") or {}).get("tz")
    if old and old not in zones:
        zones = (old, *zones)
    buttons = [Choice(z, f"tz:{z}") for z in zones] + [conv.button("common.back", "cmd:back")]
    text = conv.t("reminders.zone")
    conv.say(f"{note}\n\n{text}" if note else text, choices=buttons, expects="text")


async def on_zone(conv: Conversation, event: Event) -> None:
    data = event.data or ""
    raw = data[3:] if event.kind == "choice" and data.startswith("tz:") else event.text
    try:
        zone = schedule.parse_zone(raw or "")
    except schedule.ScheduleError:
        prompt_zone(conv, note=conv.t("reminders.bad_zone"))
        return
    d = conv.data.pop("reminder_draft", {})
    conv.data["reminders"] = {
        "days": sorted(d.get("days", default_days(conv))),
        "time": d.get("time", "08:00"),
        "tz": zone,
        "active": True,
    }
    conv.go("tz_chosen")


# -- the resting state ----------------------------------------------------------------------
def reminders_words(conv: Conversation) -> str:
    r = conv.data.get("reminders") or {}
    if not r.get("active"):
        return conv.t("active.no_reminders")
    return conv.t("active.reminders", days=days_words(conv, r["days"]), time=r["time"], tz=r["tz"])


def active_buttons(conv: Conversation) -> list[Choice]:
    buttons = [conv.button("active.program", "act:program")]
    if conv.data.get("checkins"):
        buttons.append(conv.button("active.progress", "act:progress"))
    if reassessment.invited(conv.data):
        buttons.append(conv.button("active.reassess", "re:yes"))
    return buttons + [
        conv.button("active.checkin", "act:checkin"),
        conv.button("active.reminders_button", "rm:set"),
        conv.button("common.restart", "cmd:restart"),
    ]


def prompt_active(conv: Conversation) -> None:
    conv.data.pop("reminder_draft", None)
    conv.say(
        conv.t("active.ready") + "\n\n" + reminders_words(conv),
        choices=active_buttons(conv),
        expects="choice",
    )


async def on_active(conv: Conversation, event: Event) -> None:
    value = event.data if event.kind == "choice" else None
    if value == "act:program":
        render_program(conv, conv.data["report"])
        conv.say(reminders_words(conv), choices=active_buttons(conv), expects="choice")
    elif value == "act:progress":
        show_progress(conv)
        conv.say(reminders_words(conv), choices=active_buttons(conv), expects="choice")
    elif value == "act:checkin":
        start_checkin(conv)
    elif value == "re:yes" and (conv.data.get("report") or {}).get("program"):
        reassessment.accept(conv)
    elif value == "re:no":
        reassessment.decline(conv)
        conv.say(reminders_words(conv), choices=active_buttons(conv), expects="choice")
    elif value == "rm:set":
        conv.go("plan_reminders")
    elif value == "rem:done":
        log = conv.data.setdefault("done_log", [])
        log.append(conv.now.date().isoformat())
        del log[:-60]  # the last two months are plenty for progress
        conv.say(conv.t("reminder.thanks"), choices=active_buttons(conv), expects="choice")
    else:
        prompt_active(conv)


def reminder_message(conv: Conversation) -> None:
    """A scheduled reminder: today's exercises with their videos."""
    program = (conv.data.get("report") or {}).get("program") or {}
    names = [f"• {conv.text_of(ex['name'])}" for ex in program.get("exercises", [])]
    links = [
        (conv.text_of(ex["name"]), ex["video_url"])
        for ex in program.get("exercises", [])
        if ex.get("video_url")
    ]
    conv.say(
        "\n".join([conv.t("reminder.text")] + names),
        links=links,
        choices=[
            conv.button("reminder.done", "rem:done"),
            conv.button("active.checkin", "act:checkin"),
        ],
        expects="choice",
    )
