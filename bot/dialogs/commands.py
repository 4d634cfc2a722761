"""The one command registry (REGISTRY, at the end) and the commands of the whole conversation.

Every slash command a patient may use is declared once, by the feature it belongs to
(``FEATURE.commands`` at the end of its module: /stop in reminders.py, /progress in
progress.py, the conversation-wide ones here, the adapter's /export and /delete below):
its name, who runs it (the dialogs, or the Telegram adapter) and whether Telegram's menu
lists it. Its one-line description is ``commands.<name>`` in texts.yaml (checked at
load). REGISTRY gathers them; the help text, the "unknown command" answer, Telegram's
command menu (bot/app.py) and the adapter's routing (bot/handlers.py) are made from it.

Dialog commands come as Event(kind="command", text=name) or as buttons
(``bot.dialogs.buttons.command(name)``); ``buttons.language(code)`` chooses the language.
"""

from __future__ import annotations

from backcare.bot.dialogs import buttons, capture, flow, interviewing, progress, reassessment
from backcare.bot.dialogs.checkin import start_checkin
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.events import Choice
from backcare.bot.dialogs.feature import Command, Feature
from backcare.bot.dialogs.flow import STEP
from backcare.bot.dialogs.reminders import reminders_words
from backcare.bot.dialogs.resting import reminder_message
from backcare.kernel import languages
from backcare.kernel.languages import LANGUAGES


def resume(conv: Conversation) -> None:
    """Show where the user is again (the step's short prompt)."""
    step = STEP[conv.step]
    (step.resume or step.prompt)(conv)


def run(conv: Conversation, name: str) -> None:
    command = BY_NAME.get(name)
    if command is None or command.run is None:  # the adapter's own never reach the dialogs
        conv.say(conv.t("common.unknown_command", commands=", ".join(f"/{c}" for c in COMMANDS)))
        return
    command.run(conv)
    if command.resume:
        resume(conv)


def commands_line(conv: Conversation) -> str:
    """The commands with their descriptions, for the help text."""
    listed = " · ".join(f"/{c.name} {conv.t(f'commands.{c.name}')}" for c in REGISTRY if c.menu)
    return f"{conv.t('help.commands')} {listed}"


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
    lines.append(commands_line(conv))
    conv.say("\n\n".join(lines))


def restart(conv: Conversation) -> None:
    if conv.data.consent is None or not conv.data.consent.data:
        resume(conv)  # nothing to restart before consent
        return
    if conv.data.reminders is not None:
        conv.data.reminders.active = False
    conv.data.reminder_draft = None
    conv.dialogs.pictures.drop(conv.data.session)
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
    st = data.interview
    if st is not None:
        lines.append(conv.t("status.interview_progress", n=len(st.history), version=st.version))
    photos = data.photos
    if photos is not None:
        lines.append(
            conv.t(
                "status.photos_progress",
                accepted=photos.accepted(),
                skipped=len(photos.skipped),
                total=len(capture.steps()),
            )
        )
    if data.reminders is not None:
        lines.append(reminders_words(conv))
    if data.checkins:
        last = data.checkins[-1]
        lines.append(conv.t("status.last_checkin", pain=last.pain, date=conv.day(last.at)))
    lines.append(conv.t("status.language", language=languages.language(conv.lang).name))
    conv.say("\n".join(lines))
    resume(conv)


def language(conv: Conversation) -> None:
    conv.say(
        conv.t("common.choose_language"),
        choices=[
            Choice(languages.language(lang).name, buttons.language(lang).data) for lang in LANGUAGES
        ],
        expects="choice",
    )


def set_language(conv: Conversation, code: str) -> None:
    if code in LANGUAGES:
        conv.data.language = code
        conv.say(conv.t("common.language_set"))
    resume(conv)


def timer(conv: Conversation, name: str | None) -> None:
    """A scheduled job fired: act only when the user rests in the program with reminders on."""
    if not STEP[conv.step].timers or conv.data.reminders is None or not conv.data.reminders.active:
        return
    if name == "reminder":
        reminder_message(conv)
    elif name == "checkin":
        start_checkin(conv)


FEATURE = Feature(
    "commands",
    commands=(
        Command("start", start),
        Command("help", help_),
        Command("status", status),
        Command("back", back),
        Command("restart", restart),
        Command("language", language),
    ),
    texts=("common", "help", "commands", "status"),
)
# the adapter's own (bot/privacy.py): a file of everything kept; erase it after a confirmation
PRIVACY = Feature("privacy", commands=(Command("export", None), Command("delete", None)))
FEATURES: tuple[Feature, ...] = (
    FEATURE,
    *flow.FEATURES,
    reassessment.FEATURE,
    progress.FEATURE,
    PRIVACY,
)
REGISTRY: tuple[Command, ...] = tuple(c for feature in FEATURES for c in feature.commands)
BY_NAME = {c.name: c for c in REGISTRY}
COMMANDS = tuple(c.name for c in REGISTRY)  # every command a patient may type
MENU = tuple(c.name for c in REGISTRY if c.menu)
ADAPTER_COMMANDS = tuple(c.name for c in REGISTRY if c.run is None)
