"""One user's conversation during one handle() call: the model the shared state machine drives.

The model is light on purpose: the typed state (bot/dialogs/state.py) is the whole
truth, so a Conversation is built around it for each event and thrown away afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from backcare.bot.dialogs.buttons import Button
from backcare.bot.dialogs.context import Context
from backcare.bot.dialogs.events import Choice, Image, Reply
from backcare.bot.dialogs.state import DialogState, InterviewProgress
from backcare.interview import AnswerError, Interview, validate_answer, walk
from backcare.kernel import languages


class Conversation:
    # Bound onto each model by transitions' Machine.add_model (declared for the type checker).
    trigger: Callable[..., bool]
    may_trigger: Callable[..., bool]

    def __init__(self, dialogs: Context, data: DialogState, now: datetime):
        self.dialogs = dialogs
        self.data = data
        self.now = now
        self.replies: list[Reply] = []
        self.entered: list[str] = []  # states entered during this call (for their follow-up work)
        # set by a handler that has already said what the step it moves to would prompt
        self.skip_prompt = False

    # the machine reads and writes the current state through this attribute
    @property
    def step(self) -> str:
        return self.data.step

    @step.setter
    def step(self, value: str) -> None:
        self.data.step = value

    @property
    def lang(self) -> str:
        return self.data.language

    # -- words and replies ----------------------------------------------------
    def t(self, key: str, /, **params: Any) -> str:
        return self.dialogs.texts.get(key, self.lang, **params)

    def text_of(self, text: dict[str, str] | None) -> str:
        """A {language: text} mapping from a data file, in the user's language."""
        if not text:
            return ""
        return text.get(self.lang) or next(iter(text.values()))

    def day(self, stamp: str) -> str:
        """The day of a stored ISO time, as the user's language writes a date (a stamp that
        is not one is shown as it is)."""
        try:
            day = datetime.fromisoformat(stamp).date()
        except ValueError:
            return stamp[:10]
        return languages.language(self.lang).date(day)

    def button(self, key: str, button: Button, /, **params: Any) -> Choice:
        return Choice(self.t(key, **params), button.data)

    def say(
        self,
        text: str,
        choices: Iterable[Choice] = (),
        expects: str | None = None,
        images: Iterable[Image] = (),
        links: Iterable[tuple[str, str]] = (),
        multi: bool = False,
        **meta: Any,
    ) -> None:
        self.replies.append(
            Reply(
                text=text,
                choices=tuple(choices),
                expects=expects,
                images=tuple(images),
                links=tuple(links),
                multi=multi,
                meta=dict(meta),
            )
        )

    def go(self, trigger: str) -> None:
        """Fire a machine trigger (bound by transitions onto this model)."""
        self.trigger(trigger)

    def offers_photo_consent(self, *_event: object) -> bool:
        """Whether the service keeps photos at all, so the optional question is asked
        (a transition condition: the machine passes its event data)."""
        return bool(self.dialogs.policy.keep_photos)

    def can(self, trigger: str) -> bool:
        return bool(self.may_trigger(trigger))

    # -- the interview this user is on ------------------------------------------
    @property
    def interview(self) -> Interview:
        """The version the user started on; moves the answers onto the live one when it is gone."""
        st = self.data.interview
        assert st is not None, "the interview has not started"
        registry = self.dialogs.interviews
        found = registry.get(st.digest)
        if found is not None:
            return found
        live = registry.current
        migrate(st, live)
        self.say(self.t("interview.updated"))
        return live


def migrate(st: InterviewProgress, interview: Interview) -> None:
    """Keep the answers that still fit ``interview`` and replay them to find where to go on."""
    kept: dict[str, Any] = {}
    for qid in st.history:
        question = interview.questions.get(qid)
        if question is None or qid not in st.answers:
            continue
        try:
            kept[qid] = validate_answer(question, st.answers[qid])
        except AnswerError:
            continue
    path, current = walk(interview, kept)
    st.digest = interview.digest
    st.version = interview.version
    st.answers = {q: kept[q] for q in path}
    st.history = list(path)
    st.current = current
    st.pending = []
