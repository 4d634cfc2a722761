"""The real bot for cross-cutting tests: real dialogs, interview.yaml, TinyDB on disk.

Shared by tests/reliability and tests/security (and bench/soak.py). Only
Telegram is simulated (tests/support/fake_botapi.py); photo analysis is either
the real vision pool or :class:`NoPhotos` for tests that never reach it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.storage import TinyDBStorage
from backcare.interview import InterviewRegistry, load_answers
from tests.support.fake_botapi import Call, FakeBotApi
from tests.support.harness import BotHarness
from tests.support.patients import dialog_of
from tests.support.storage import Storages

REPO = Path(__file__).resolve().parents[2]
INTERVIEW = REPO / "interview.yaml"
HEALTHY = REPO / "tests" / "backcare" / "interview" / "answers_healthy.yaml"
# a standing side view (the first capture step), rendered (tests/data/README.md)
STANDING_SIDE = REPO / "tests" / "data" / "renders" / "standing_side_right.jpg"
PATIENT = 41001  # the scripted patient of the reference run (conftest.reference)
# what a photo's result says when vision never gave a verdict on it
NO_VERDICT = ("worker_failed", "timeout")


def analysed(result: dict) -> bool:
    """Vision looked at the photo (accepted, or refused for what it shows)."""
    return bool(result) and (result.get("accepted") or result.get("reason") not in NO_VERDICT)


class NoPhotos:
    """Services for conversations that never get to photos: any use is a test bug."""

    async def analyse_photo(self, data: bytes, step: str, filename: str | None = None):
        raise AssertionError("this test's patients send no photos")

    async def build_report(self, result, photos, language):
        raise AssertionError("this test's patients get no report")


def healthy_answers(registry: InterviewRegistry) -> dict:
    return load_answers(HEALTHY, registry.current)


class QuickHarness(BotHarness):
    """BotHarness whose HTTP client gives up after ``read_timeout`` seconds (PTB's default is
    5 s), so a Bot API that does not answer shows up as a timeout within a test's time."""

    def __init__(self, *args: Any, read_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout

    async def start(self) -> None:
        from backcare.bot.app import BotRunner, build_application

        build = {
            "poll_timeout": 1,
            "retry_delays": (0.05, 0.1, 0.2),
            "progress_after": 0.05,
            **self.build,
        }
        app = build_application(self.config, self.dialogs, self.storage, **build)
        if self.read_timeout is not None:
            shorten_timeouts(app, self.read_timeout)
        self.runner = BotRunner(app)
        await self.runner.start()

    async def settle(self, timeout: float = 15.0) -> None:
        """Every update handled and every reply out, including replies kept in the outbox
        after Telegram failed for longer than the back-off (sent again by the retry job)."""
        import asyncio

        async def sent() -> None:
            while self.storage.pending():
                await asyncio.sleep(0.02)

        await super().settle(timeout)
        await asyncio.wait_for(sent(), timeout)
        await super().settle(timeout)


def shorten_timeouts(app: Any, read: float) -> None:
    """Every request of ``app.bot`` (except long polls, which add their own wait) times out
    after ``read`` seconds without an answer."""
    timeout = httpx.Timeout(connect=read, read=read, write=read, pool=1.0)
    for request in app.bot._request:
        request._client_kwargs["timeout"] = timeout
        request._client.timeout = timeout


@contextlib.asynccontextmanager
async def live_bot(
    data_file: Path,
    registry: InterviewRegistry,
    services: Any = None,
    *,
    api: FakeBotApi | None = None,
    admins: frozenset[int] = frozenset(),
    read_timeout: float | None = None,
    config: dict | None = None,
    files: bool = False,
    **build: Any,
) -> AsyncIterator[QuickHarness]:
    """The bot as `backcare bot` wires it (minus MediaPipe unless ``services`` is a Pipeline).
    Its storage: TinyDB on ``data_file``, or PostgreSQL under BACKCARE_TEST_STORAGE=postgres
    (tests.support.storage); ``files``: TinyDB whatever the switch, for a test about the
    files themselves (a corrupt file, a full disk)."""
    storages = Storages()
    storage = TinyDBStorage(data_file) if files else storages(data_file)
    dialogs = Dialogs(services=services or NoPhotos(), interviews=registry)
    settings = {"admin_ids": admins, "data_dir": data_file.parent, **(config or {})}
    try:
        async with QuickHarness(
            dialogs,
            storage,
            api=api,
            interviews=registry,
            config=settings,
            read_timeout=read_timeout,
            **build,
        ) as bot:
            yield bot
    finally:
        storage.close()
        storages.close()


# -- what the fake Telegram saw --------------------------------------------------------------
def delivered(api: FakeBotApi, method: str = "sendMessage") -> dict[int, list[str]]:
    """Per chat, the texts of ``method`` calls Telegram accepted, in order."""
    out: dict[int, list[str]] = {}
    for call in api.calls_of(method):
        if call.status == 200 and "chat_id" in call.params:
            out.setdefault(int(call.params["chat_id"]), []).append(str(call.params.get("text", "")))
    return out


SENDS = ("sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup")


def refused(api: FakeBotApi) -> list[Call]:
    """New messages Telegram refused as malformed (400: bad HTML, too long, empty): a bug in
    what the bot sends, never a fault a test injects (429, 5xx, dropped connections). Edits
    are left out: "message is not modified" is a 400 the bot expects and handles."""
    return [c for c in api.calls if c.status == 400 and c.method in SENDS]


def read_database(path: Path) -> dict:
    """The whole database as the bot last committed it, in the single-file layout (its
    partitions and journal merged; read without the lock, nothing written)."""
    from backcare.bot.storage.tinyfile import read_database as merged

    return merged(path)


# -- patients placed further along, played through the real dialogs (milliseconds) ----------
def answer_events(interview: Any, qid: str, value: Any) -> list:
    """The events a patient sends to give ``value`` to question ``qid`` (as the buttons would)."""
    from backcare.bot.dialogs import buttons
    from backcare.bot.dialogs.events import Event

    def press(button: buttons.Button) -> Event:
        return Event("choice", data=button.data)

    q = interview.questions[qid]
    if value is None:
        return [press(buttons.skip(qid))]
    if q.type == "yes_no":
        return [
            press(
                buttons.yes_no(qid, value)
                if isinstance(value, bool)
                else buttons.answer(qid, value)
            )
        ]
    if q.type in ("single", "scale"):
        return [press(buttons.answer(qid, value))]
    if q.type in ("multiple", "body_map"):
        return [press(buttons.toggle(qid, o)) for o in value] + [press(buttons.done(qid))]
    return [Event("text", text=str(value))]


async def state_at(
    registry: InterviewRegistry,
    answers: dict,
    step: str = "photos",
    language: str = "en",
    question: str | None = None,
    keep_photos: bool = False,
) -> dict:
    """The stored dialog document at ``step`` ("consent", "interview" or "photos"), as if the
    patient had got there in the chat: consent given, photos kept only with ``keep_photos``,
    the interview answered (up to ``question`` when given: the interview then waits for that
    question's answer). Put a patient there with :func:`place`."""
    from backcare.bot.dialogs import buttons
    from backcare.bot.dialogs.events import Event

    dialogs = Dialogs(services=NoPhotos(), interviews=registry)
    state, _ = await dialogs.handle(None, Event("start", language=language))
    if step == "consent":
        return state
    for button in (
        buttons.CONSENT_YES,
        buttons.KEEP_PHOTOS if keep_photos else buttons.DELETE_PHOTOS,
    ):
        state, _ = await dialogs.handle(state, Event("choice", data=button.data))
    if question is not None:
        step = "interview"
    while (dialog_of(state).step == "interview" and step == "photos") or (
        question is not None and dialog_of(state).asked() != question
    ):
        qid = dialog_of(state).asked()
        assert qid is not None, f"the interview ended before {question!r}"
        for event in answer_events(registry.current, qid, answers.get(qid)):
            state, _ = await dialogs.handle(state, event)
    assert dialog_of(state).step == step, dialog_of(state).step
    return state


def place(storage: Any, user_id: int, state: dict) -> None:
    """Put a patient at the stored dialog document ``state`` (each patient gets a
    conversation of their own)."""
    placed = dialog_of(state)
    placed.session = f"s{user_id}"
    storage.put_state(user_id, placed.to_json())


# -- the bot in its own process (tests.reliability.botproc), to be killed -------------------
class BotProcess:
    """``python -m tests.reliability.botproc`` against ``api``; ``kill()`` is SIGKILL."""

    def __init__(
        self,
        api: FakeBotApi,
        data_file: Path,
        log_file: Path,
        vision: int = 0,
        vision_timeout: float = 60.0,
        options: tuple[str, ...] = (),
    ) -> None:
        self.api, self.data_file, self.log_file = api, data_file, log_file
        self.vision, self.vision_timeout = vision, vision_timeout
        self.options = options  # more botproc options, e.g. ("--slow-fsync", "0.3")
        self.process: Any = None
        self.starts = 0

    async def start(self, timeout: float = 60.0) -> None:
        """Start it and wait until it polls. "ready" comes on a pipe of its own: the vision
        workers inherit stdout, so a pipe there would stay open after the bot is killed."""
        import asyncio
        import os
        import sys

        read_end, write_end = os.pipe()
        args = [
            sys.executable,
            "-m",
            "tests.reliability.botproc",
            str(self.data_file),
            self.api.base_url,
            self.api.file_url,
            self.api.token,
            "--ready-fd",
            str(write_end),
        ]
        if self.vision:
            args += ["--vision", str(self.vision), "--vision-timeout", str(self.vision_timeout)]
        args += list(self.options)
        try:
            with open(self.log_file, "ab") as log:
                self.process = await asyncio.create_subprocess_exec(
                    *args, cwd=REPO, stdout=log, stderr=log, pass_fds=(write_end,)
                )
            os.close(write_end)
            write_end = -1
            line = await asyncio.wait_for(asyncio.to_thread(os.read, read_end, 16), timeout)
        finally:
            if write_end >= 0:
                os.close(write_end)
            os.close(read_end)  # (also ends the read if it timed out)
        if line.strip() != b"ready":
            raise AssertionError(f"the bot did not start: {self.log_file.read_text()[-2000:]}")
        self.starts += 1

    @property
    def pid(self) -> int:
        return self.process.pid

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no last write, as in a power cut or the OOM killer."""
        self.process.kill()
        await self.process.wait()

    async def stop(self, timeout: float = 60.0) -> None:
        import asyncio

        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), timeout)


class FileView:
    """What a scripted patient may look up (state, offered buttons) from the bot's data file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _data(self) -> dict:
        return read_database(self.path) if self.path.exists() else {}

    def get_state(self, user_id: int) -> dict | None:
        return self._data().get("states", {}).get(str(user_id))

    def get_session(self, user_id: int) -> dict:
        return self._data().get("sessions", {}).get(str(user_id), {})

    def busy(self) -> bool:
        data = self._data()
        return bool(data.get("inbox")) or bool(data.get("outbox"))


class ProcHarness:
    """Enough of BotHarness for tests.support.patients.Patient, with the bot in a process."""

    def __init__(self, api: FakeBotApi, data_file: Path) -> None:
        self.api = api
        self.storage = FileView(data_file)

    async def settle(self, timeout: float = 30.0) -> None:
        """Every update sent is handled, its replies sent and that fact on disk."""
        import asyncio

        async def quiet() -> None:
            calls = -1
            while True:
                if (
                    self.api.pending_updates == 0
                    and not self.storage.busy()
                    and len(self.api.calls) == calls
                ):
                    return
                calls = len(self.api.calls)
                await asyncio.sleep(0.02)

        await asyncio.wait_for(quiet(), timeout)


# -- logs ---------------------------------------------------------------------------------------
QUIETED = (
    "httpx",
    "httpcore",
    "telegram.ext.ExtBot",
    "apscheduler",
    "absl",
)  # as backcare.kernel.logs


@contextlib.contextmanager
def production_log_levels(ours: int = 10):
    """Libraries at the levels backcare.kernel.logs.setup gives them (they log request URLs, which
    carry the bot token, and API replies); our own loggers at ``ours`` (default DEBUG)."""
    import logging

    saved = {name: logging.getLogger(name).level for name in QUIETED + ("backcare",)}
    try:
        for name in QUIETED:
            logging.getLogger(name).setLevel(logging.WARNING)
        for name in ("backcare",):
            logging.getLogger(name).setLevel(ours)
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


# -- photos without MediaPipe -----------------------------------------------------------------
class AcceptingServices:
    """Every photo accepted as showing its step (a measurement, an annotated picture);
    reports from the real pipeline (ratings, reasoning, program). For tests about what
    happens around photos rather than what vision sees in them."""

    def __init__(self) -> None:
        from backcare.application.pipeline import Pipeline

        self.pipeline = Pipeline(pose=None)
        self.photos: list[bytes] = []

    async def analyse_photo(self, data: bytes, step: str, filename: str | None = None):
        from backcare.kernel.vocabulary import vocabulary
        from backcare.report.types import PhotoResult
        from backcare.vision.types import Measurement

        self.photos.append(data)
        movement = vocabulary().movements[step]
        return PhotoResult(
            step=step,
            source=filename or step,
            accepted=True,
            measurements={
                "trunk_inclination": Measurement("trunk_inclination", 60.0, "deg", 0.9, "3d-world")
            },
            view=movement.view,
            movement_seen=movement.expects,
            confidence=0.9,
            annotated_jpeg=b"\xff\xd8annotated:" + data[-32:],
        )

    async def build_report(self, result, photos, language):
        return await self.pipeline.build_report(result, photos, language)
