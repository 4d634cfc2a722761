"""Commands every step understands: start, help, restart, back, status, language, stop, progress.

They come as Event(kind="command", text=name) or as buttons whose data is
"cmd:<name>"; "lang:<code>" buttons choose the language.
"""

from __future__ import annotations

from backcare.bot.dialogs import capture, interviewing
from backcare.bot.dialogs.checkin import start_checkin
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice
from backcare.bot.dialogs.flow import STEP
from backcare.bot.dialogs.onboarding import LANGUAGE_NAMES
from backcare.bot.dialogs.progress import show_progress
from backcare.bot.dialogs.reminders import reminder_message, reminders_words
from backcare.vocabulary import LANGUAGES

COMMANDS = ("start", "help", "restart", "back", "status", "language", "stop", "progress")


def resume(conv: Conversation) -> None:
    """Show where the user is again (the step's short prompt)."""
    step = STEP[conv.step]
    (step.resume or step.prompt)(conv)


def run(conv: Conversation, name: str) -> None:
    handler = {
        "start": start,
        "help": help_,
        "restart": restart,
        "back": back,
        "status": status,
        "language": language,
        "stop": stop,
        "progress": progress,
    }.get(name)
    if handler is None:
        conv.say(conv.t("common.unknown_command", commands=", ".join(f"/{c}" for c in COMMANDS)))
        return
    handler(conv)


def start(conv: Conversation) -> None:
    if conv.step == "declined":
        conv.go("reconsider")
        return
    conv.say(conv.t("common.welcome_back"))
    resume(conv)


def help_(conv: Conversation) -> None:
    lines = [conv.t(f"help.{conv.step}")]
    extra = interviewing.question_help(conv)
    if extra:
        lines.append(conv.t("help.question", text=extra))
    lines.append(conv.t("help.commands"))
    conv.say("\n\n".join(lines))


def restart(conv: Conversation) -> None:
    if not (conv.data.get("consent") or {}).get("data"):
        resume(conv)  # nothing to restart before consent
        return
    if conv.data.get("reminders"):
        conv.data["reminders"]["active"] = False
    conv.data.pop("reminder_draft", None)
    conv.dialogs.pictures.drop(conv.data["session"])
    interviewing.start_interview(conv)
    conv.say(conv.t("common.restarted"))
    conv.go("restart")


def back(conv: Conversation) -> None:
    step = STEP[conv.step]
    done = step.back(conv) if step.back is not None else None
    if done is None and conv.can("back"):
        conv.go("back")
    elif not done:
        conv.say(conv.t("common.no_back"))
        resume(conv)


def status(conv: Conversation) -> None:
    data = conv.data
    lines = [conv.t(f"status.{conv.step}")]
    st = data.get("interview")
    if st:
        lines.append(
            conv.t(
                "status.interview_progress",
                n=len(st.get("history", [])),
                version=st.get("version", ""),
            )
        )
    photos = data.get("photos")
    if photos:
        accepted = sum(1 for r in photos["results"].values() if r.get("accepted"))
        lines.append(
            conv.t(
                "status.photos_progress",
                accepted=accepted,
                skipped=len(photos["skipped"]),
                total=len(capture.steps()),
            )
        )
    if data.get("reminders"):
        lines.append(reminders_words(conv))
    if data.get("checkins"):
        last = data["checkins"][-1]
        lines.append(conv.t("status.last_checkin", pain=last["pain"], date=last["at"][:10]))
    lines.append(conv.t("status.language", language=LANGUAGE_NAMES.get(conv.lang, conv.lang)))
    conv.say("\n".join(lines))
    resume(conv)


def language(conv: Conversation) -> None:
    conv.say(
        conv.t("common.choose_language"),
        choices=[Choice(LANGUAGE_NAMES.get(lang, lang), f"lang:{lang}") for lang in LANGUAGES],
        expects="choice",
    )


def set_language(conv: Conversation, code: str) -> None:
    if code in LANGUAGES:
        conv.data["language"] = code
        conv.say(conv.t("common.language_set"))
    resume(conv)


def stop(conv: Conversation) -> None:
    reminders = conv.data.get("reminders")
    if reminders and reminders.get("active"):
        reminders["active"] = False
        conv.say(conv.t("reminders.stopped"))
    else:
        conv.say(conv.t("reminders.none_active"))


def progress(conv: Conversation) -> None:
    show_progress(conv)
    resume(conv)


def timer(conv: Conversation, name: str | None) -> None:
    """A scheduled job fired: act only when the user rests in the program with reminders on."""
    if not STEP[conv.step].timers or not (conv.data.get("reminders") or {}).get("active"):
        return
    if name == "reminder":
        reminder_message(conv)
    elif name == "checkin":
        start_checkin(conv)
