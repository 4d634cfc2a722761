"""Every button the dialogs offer, built and parsed in this one place.

A button's data is what comes back in ``Event.data`` when it is pressed: ``kind`` and
its arguments joined by ":". The formats are those of state version 1, so keyboards
saved before an upgrade still work:

    cmd:<command>   lang:<code>   consent:yes|no|again   keep:yes|no
    a:<question>:<option>  t:<question>:<option>  d:<question>  s:<question>
        the interview: answer, tick, done (a multiple choice), skip; the check-in's
        warning-sign questions use the same with a "c" in front (ca, ct, cd)
    ck:pain:<0-10>  ck:done:<days>  ck:signs:yes|no      the check-in
    ph:skip  ph:use  ph:retake  an:retry                 photos and the analysis
    rm:set  rm:no  day:<0-6>|all|weekdays|done  time:<HH:MM>  tz:<zone>   reminders
    act:program|progress|checkin  re:yes|no  rem:done    the program's resting step

Dialogs build with the functions and constants here and read a pressed button with
:func:`pressed`; tests press them the same way (``chat.press(buttons.command("help"))``).
"""

from __future__ import annotations

from dataclasses import dataclass

from backcare.bot.dialogs.events import Event

# the most arguments of each kind; the last one takes the rest (a time has a ":");
# a question button may come without its option
ARITY = {
    "cmd": 1,
    "lang": 1,
    "consent": 1,
    "keep": 1,
    "a": 2,
    "t": 2,
    "d": 2,
    "s": 2,
    "ca": 2,
    "ct": 2,
    "cd": 2,
    "cs": 2,
    "ck": 2,
    "ph": 1,
    "an": 1,
    "rm": 1,
    "day": 1,
    "time": 1,
    "tz": 1,
    "act": 1,
    "re": 1,
    "rem": 1,
}
# interview answer kinds (the check-in's have CHECKIN in front)
ANSWER, TOGGLE, DONE, SKIP = "a", "t", "d", "s"
QUESTION_KINDS = (ANSWER, TOGGLE, DONE, SKIP)
CHECKIN = "c"


@dataclass(frozen=True)
class Button:
    kind: str
    args: tuple[str, ...] = ()

    @property
    def data(self) -> str:
        """What the button sends (Choice.value, Event.data)."""
        return ":".join((self.kind, *self.args))

    @property
    def arg(self) -> str:
        """The first argument ("" when there is none)."""
        return self.args[0] if self.args else ""

    def __str__(self) -> str:
        return self.data


def parse(data: str | None) -> Button | None:
    """The button whose data this is, or None when it is none of ours."""
    kind, sep, rest = (data or "").partition(":")
    arity = ARITY.get(kind)
    if arity is None or not sep:
        return None
    args = tuple(rest.split(":", arity - 1))
    if kind == "ck" and len(args) < 2:
        return None
    return Button(kind, args)


def pressed(event: Event) -> Button | None:
    """The button an event pressed (None for anything else)."""
    return parse(event.data) if event.kind == "choice" else None


# -- commands and languages --------------------------------------------------------------
def command(name: str) -> Button:
    return Button("cmd", (name,))


def language(code: str) -> Button:
    return Button("lang", (code,))


# -- consent -----------------------------------------------------------------------------
CONSENT_YES = Button("consent", ("yes",))
CONSENT_NO = Button("consent", ("no",))
CONSENT_AGAIN = Button("consent", ("again",))
KEEP_PHOTOS = Button("keep", ("yes",))
DELETE_PHOTOS = Button("keep", ("no",))


# -- questions (the interview; the check-in's warning signs with checkin=True) ---------------
def _kind(kind: str, checkin: bool) -> str:
    return CHECKIN + kind if checkin else kind


def answer(question: str, option: str | int, checkin: bool = False) -> Button:
    return Button(_kind(ANSWER, checkin), (question, str(option)))


def yes_no(question: str, yes: bool, checkin: bool = False) -> Button:
    return answer(question, "yes" if yes else "no", checkin)


def toggle(question: str, option: str, checkin: bool = False) -> Button:
    return Button(_kind(TOGGLE, checkin), (question, option))


def done(question: str, checkin: bool = False) -> Button:
    return Button(_kind(DONE, checkin), (question,))


def skip(question: str) -> Button:
    return Button(SKIP, (question,))


@dataclass(frozen=True)
class QuestionButton:
    kind: str  # ANSWER, TOGGLE, DONE or SKIP
    question: str
    option: str | None
    checkin: bool


def question_button(button: Button | None) -> QuestionButton | None:
    """An answer button of the interview or of the check-in, taken apart."""
    if button is None:
        return None
    checkin = button.kind.startswith(CHECKIN) and button.kind[1:] in QUESTION_KINDS
    kind = button.kind[1:] if checkin else button.kind
    if kind not in QUESTION_KINDS or not button.args:
        return None
    option = button.args[1] if len(button.args) > 1 else None
    return QuestionButton(kind, button.args[0], option, checkin)


# -- the check-in --------------------------------------------------------------------------
def pain(n: int) -> Button:
    return Button("ck", ("pain", str(n)))


def days_done(n: int) -> Button:
    return Button("ck", ("done", str(n)))


SIGNS_YES = Button("ck", ("signs", "yes"))
SIGNS_NO = Button("ck", ("signs", "no"))


def checkin_value(button: Button | None, what: str) -> str | None:
    """The number a check-in button ("pain" or "done") carries, as sent."""
    if button is None or button.kind != "ck" or button.arg != what or len(button.args) < 2:
        return None
    return button.args[1]


# -- photos and the analysis -----------------------------------------------------------------
PHOTO_SKIP = Button("ph", ("skip",))
PHOTO_USE = Button("ph", ("use",))  # a photo that looks like another movement: use it anyway
PHOTO_RETAKE = Button("ph", ("retake",))
ANALYSIS_RETRY = Button("an", ("retry",))


# -- reminders ----------------------------------------------------------------------------
REMINDERS_SET = Button("rm", ("set",))
REMINDERS_NO = Button("rm", ("no",))
ALL_DAYS = Button("day", ("all",))
WEEKDAYS = Button("day", ("weekdays",))
DAYS_DONE = Button("day", ("done",))


def day(weekday: int) -> Button:
    return Button("day", (str(weekday),))


def weekday(button: Button | None) -> int | None:
    """The weekday (Monday = 0) a day button ticks, or None."""
    if button is None or button.kind != "day" or not button.arg.isdigit():
        return None
    return int(button.arg)


def time(hhmm: str) -> Button:
    return Button("time", (hhmm,))


def zone(name: str) -> Button:
    return Button("tz", (name,))


def value_of(button: Button | None, kind: str) -> str | None:
    """The argument of a button of ``kind`` (a time, a zone, a language), or None."""
    return button.arg if button is not None and button.kind == kind else None


# -- the program's resting step ----------------------------------------------------------------
PROGRAM = Button("act", ("program",))
PROGRESS = Button("act", ("progress",))
CHECK_IN = Button("act", ("checkin",))
REASSESS_YES = Button("re", ("yes",))
REASSESS_NO = Button("re", ("no",))
EXERCISED = Button("rem", ("done",))
