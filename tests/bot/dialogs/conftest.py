"""A test double for the pipeline and a chat driver that saves the state like a real driver.

FakeServices builds real PhotoResult and Report objects: photos whose bytes
start with b"refuse:<reason>[:<detail>]" are refused with that reason, b"crash"
raises, anything else is accepted with an annotated JPEG. The forward bend's photo
measures hip flexion at ``services.hip_flexion`` degrees (set it between two
assessments to change one measurement), and the report rates it against 70-90 deg.
Its report has a real Diagnosis (causes chosen from the interview facts) and a real Program.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from backcare.assessment.types import Observation
from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.buttons import Button
from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.dialogs.events import Event, Reply
from backcare.bot.dialogs.state import DialogState
from backcare.content.types import Dose, Prescription, Program
from backcare.interview import Interview, InterviewRegistry, InterviewResult, load_answers
from backcare.kernel.vocabulary import vocabulary
from backcare.reasoning.types import Diagnosis, Explanation
from backcare.report.types import PhotoResult, Report
from backcare.vision.types import Measurement

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
INTERVIEW_PATH = REPO / "interview.yaml"
HEALTHY_PATH = REPO / "tests" / "backcare" / "interview" / "answers_healthy.yaml"


def tiny_jpeg(color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (16, 24), color).save(out, format="JPEG")
    return out.getvalue()


JPEG = tiny_jpeg()
PHOTO = b"\xff\xd8 a photo of a person"


def both(en: str, ja: str) -> dict[str, str]:
    return {"en": en, "ja": ja}


def prescription(
    exercise_id: str, name: dict, reps: int | None, hold: int | None, url: str
) -> Prescription:
    return Prescription(
        exercise_id=exercise_id,
        name=name,
        instructions=both("Move slowly and breathe.", "ゆっくり呼吸しながら動かします。"),
        dose=Dose(sets=2, reps=reps, hold_s=hold, days_per_week=5),
        why=both("It trains bending at the hips.", "股関節から曲げる練習になります。"),
        video_url=url,
        progression=both("Add a weight.", "重りを持って行います。"),
        regression=both("Do half the range.", "動かす範囲を半分にします。"),
        stop_if=both("pain spreads down the leg", "脚に痛みが広がるとき"),
    )


class FakeServices:
    def __init__(self) -> None:
        self.photo_calls: list[tuple[str, str | None]] = []
        self.report_calls: list[tuple[InterviewResult, list[PhotoResult], str]] = []
        self.fail_reports = 0
        self.referral: str | None = None
        self.hip_flexion = 55.0  # what the forward bend's photo measures
        self.created = "2025-06-01T10:00:00+00:00"  # the reports' time stamp

    async def analyse_photo(
        self, data: bytes, step: str, filename: str | None = None
    ) -> PhotoResult:
        self.photo_calls.append((step, filename))
        if data.startswith(b"crash"):
            raise RuntimeError("the worker died")
        if data.startswith(b"refuse:"):
            _, reason, *detail = data.decode().split(":")
            return PhotoResult(
                step=step,
                source=filename or step,
                accepted=False,
                reason=reason,
                detail=detail[0] if detail else "",
            )
        expects = vocabulary().movements[step].expects
        measurements = {
            "trunk_inclination": Measurement("trunk_inclination", 80.0, "deg", 0.9, "3d-world")
        }
        if step == "forward_bend":
            measurements["hip_flexion"] = Measurement(
                "hip_flexion", self.hip_flexion, "deg", 0.9, "3d-world"
            )
        return PhotoResult(
            step=step,
            source=filename or step,
            accepted=True,
            measurements=measurements,
            view=vocabulary().movements[step].view,
            movement_seen=expects,
            confidence=0.9,
            annotated_jpeg=JPEG,
        )

    async def build_report(
        self, result: InterviewResult, photos: list[PhotoResult], language: str
    ) -> Report:
        self.report_calls.append((result, photos, language))
        if self.fail_reports:
            self.fail_reports -= 1
            raise RuntimeError("the solver timed out")
        causes = (
            ("flexion_impairment", "hamstring_shortness")
            if "worse_bending" in result.facts
            else ("deconditioning",)
        )
        observations = (
            Observation(
                "forward_bend.lumbar_flexion",
                "excessive",
                48.0,
                "deg",
                (20.0, 40.0),
                "test",
                0.8,
                both(
                    "Your lower back rounds a lot when you bend forward.",
                    "前かがみで腰が大きく丸まっています。",
                ),
            ),
            hip_flexion(photos),
            Observation(
                "standing.sway",
                "normal",
                2.0,
                "%",
                (-5.0, 5.0),
                "test",
                0.9,
                both("Your standing posture is balanced.", "立ち姿勢のバランスは良好です。"),
            ),
        )
        diagnosis = Diagnosis(
            explanations=(
                Explanation(
                    causes,
                    1.2,
                    0.72,
                    ("forward_bend.lumbar_flexion=excessive",),
                    (),
                    (),
                    {causes[0]: ("forward_bend.lumbar_flexion=excessive",)},
                ),
                Explanation(
                    ("motor_control_deficit",),
                    2.1,
                    0.28,
                    (),
                    ("forward_bend.hip_flexion=insufficient",),
                    (),
                ),
            ),
            referral=self.referral,
            referral_reasons=("red_flag_fever",) if self.referral else (),
        )
        # stiff hips get a stretch; once they bend as usual, trunk control instead
        second = (
            prescription(
                "hamstring_stretch",
                both("Hamstring stretch", "ハムストリングスのストレッチ"),
                None,
                30,
                "https://example.org/stretch",
            )
            if observations[1].rating != "normal"
            else prescription(
                "bird_dog",
                both("Bird dog", "バードドッグ"),
                8,
                None,
                "https://example.org/bird-dog",
            )
        )
        program = (
            None
            if self.referral
            else Program(
                exercises=(
                    prescription(
                        "hip_hinge",
                        both("Hip hinge", "ヒップヒンジ"),
                        10,
                        None,
                        "https://example.org/hinge",
                    ),
                    second,
                ),
                advice={
                    "en": ("Stay active.", "Change position often."),
                    "ja": ("活動的に過ごしましょう。", "こまめに姿勢を変えましょう。"),
                },
                if_worse=both(
                    "Ease off and use the easier versions.",
                    "ペースを落とし、やさしいバージョンにしましょう。",
                ),
                causes=causes,
            )
        )
        return Report(
            created=self.created,
            language=language,
            facts=tuple(sorted(result.facts)),
            scores=dict(result.scores),
            photos=tuple(photos),
            observations=observations,
            diagnosis=diagnosis,
            program=program,
            referral=self.referral,
        )


def hip_flexion(photos: list[PhotoResult]) -> Observation:
    """forward_bend.hip_flexion rated from the forward bend's photo (70-90 deg is usual)."""
    seen = next(
        (
            p.measurements.get("hip_flexion")
            for p in photos
            if p.step == "forward_bend" and p.accepted
        ),
        None,
    )
    if seen is None:
        return Observation(
            "forward_bend.hip_flexion",
            "not_assessed",
            None,
            "deg",
            (70.0, 90.0),
            "test",
            0.0,
            both("Not measured.", "測定できませんでした。"),
            reason="no_photo",
        )
    rating = "insufficient" if seen.value < 70 else "excessive" if seen.value > 90 else "normal"
    return Observation(
        "forward_bend.hip_flexion",
        rating,
        seen.value,
        "deg",
        (70.0, 90.0),
        "test",
        0.7,
        both("Your hips bend less than usual.", "股関節の曲がりが少なめです。")
        if rating != "normal"
        else both("Your hips bend as usual.", "股関節の曲がりは標準的です。"),
        uncertainty=5.0,
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Chat:
    """Drives the dialogs like a real driver: the state goes through JSON between every step.

    ``saved`` is the JSON document a driver stores; ``state`` reads it through the typed
    state (bot/dialogs/state.py), as every test should. A test that needs a stored document
    of another shape (an older version, a damaged one) sets ``saved``."""

    def __init__(self, dialogs: Dialogs, language: str | None = "en"):
        self.dialogs = dialogs
        self.language = language
        self.saved: dict | None = None
        self.replies: list[Reply] = []
        self.log: list[Reply] = []

    async def send(self, event: Event) -> list[Reply]:
        saved, replies = await self.dialogs.handle(self.saved, event)
        self.saved = json.loads(json.dumps(saved))  # what the driver saves and restores
        self.replies = replies
        self.log += replies
        return replies

    async def start(self) -> list[Reply]:
        return await self.send(Event("start", language=self.language))

    def offered(self) -> set[Button]:
        """The buttons of the last replies."""
        return {b for r in self.replies for c in r.choices if (b := buttons.parse(c.value))}

    def choices(self, reply: int = -1) -> list[Button]:
        """The buttons of one of the last replies (the last by default), in order."""
        return [b for c in self.replies[reply].choices if (b := buttons.parse(c.value))]

    async def press(self, button: Button) -> list[Reply]:
        """Press a button of the last replies (built with bot.dialogs.buttons)."""
        offered = {c.value for r in self.replies for c in r.choices}
        assert button.data in offered, f"no button {button} in the last replies: {sorted(offered)}"
        return await self.send(Event("choice", data=button.data))

    async def press_stale(self, button: Button) -> list[Reply]:
        """Press a button the last replies may not show (an old message's, another step's,
        a forged one): the dialogs get it all the same."""
        return await self.send(Event("choice", data=button.data))

    async def type(self, text: str) -> list[Reply]:
        return await self.send(Event("text", text=text))

    async def photo(self, data: bytes = PHOTO, filename: str | None = "photo.jpg") -> list[Reply]:
        return await self.send(Event("photo", photo=data, filename=filename))

    async def command(self, name: str) -> list[Reply]:
        return await self.send(Event("command", text=name))

    async def timer(self, name: str) -> list[Reply]:
        return await self.send(Event("timer", data=name))

    @property
    def state(self) -> DialogState:
        """The saved state, read as the dialogs read it (a fresh copy: changes are not saved)."""
        assert self.saved is not None, "no event sent yet"
        state = DialogState.from_json(self.saved)
        assert state is not None, "the saved state cannot be read"
        return state

    @property
    def step(self) -> str:
        return self.state.step

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def current(self) -> str | None:
        interview = self.state.interview
        assert interview is not None, "the interview has not started"
        return interview.current

    def button(self, label: str) -> Button:
        """The button whose label contains ``label``."""
        for reply in self.replies:
            for choice in reply.choices:
                if label in choice.label:
                    button = buttons.parse(choice.value)
                    assert button is not None, f"not a dialog button: {choice.value!r}"
                    return button
        raise AssertionError(f"no button labelled {label!r}")

    async def consent(self, keep_photos: bool = False) -> None:
        await self.start()
        await self.press(buttons.CONSENT_YES)
        await self.press(buttons.KEEP_PHOTOS if keep_photos else buttons.DELETE_PHOTOS)

    async def answer(self, interview: Interview, value: Any) -> list[Reply]:
        """Answer the current question with ``value`` the way a user would: buttons, or typing."""
        qid = self.current
        assert qid is not None, "no question is being asked"
        q = interview.questions[qid]
        if value is None:
            return await self.press(buttons.skip(qid))
        if q.type == "yes_no":
            return await self.press(buttons.yes_no(qid, value))
        if q.type in ("single", "scale"):
            return await self.press(buttons.answer(qid, value))
        if q.type in ("multiple", "body_map"):
            for option in value:
                await self.press(buttons.toggle(qid, option))
            return await self.press(buttons.done(qid))
        return await self.type(str(value))

    async def answer_all(
        self, interview: Interview, answers: dict, stop_at: str | None = None
    ) -> None:
        """Answer until the interview ends (or ``stop_at`` is the current question)."""
        while self.step == "interview" and self.current != stop_at:
            await self.answer(interview, answers[self.current])

    async def all_photos(self) -> None:
        while self.step == "photos":
            await self.photo()


class RestartingChat(Chat):
    """Like Chat, but every event meets a new engine: a process restart between any two steps."""

    def __init__(self, make: Any, language: str | None = "en"):
        self.make = make
        super().__init__(make(), language)

    async def send(self, event: Event) -> list[Reply]:
        self.dialogs = self.make()
        return await super().send(event)


@pytest.fixture(scope="session")
def interview_path() -> Path:
    return INTERVIEW_PATH


@pytest.fixture(scope="session")
def registry() -> InterviewRegistry:
    return InterviewRegistry(INTERVIEW_PATH)


@pytest.fixture(scope="session")
def interview(registry) -> Interview:
    return registry.current


@pytest.fixture(scope="session")
def healthy(interview) -> dict:
    return load_answers(HEALTHY_PATH, interview)


@pytest.fixture
def live_path(tmp_path: Path) -> Path:
    """A copy of interview.yaml an admin may edit during the test."""
    path = tmp_path / "interview.yaml"
    shutil.copy(INTERVIEW_PATH, path)
    return path


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dialogs(services, registry, clock) -> Dialogs:
    return Dialogs(services, registry, clock)


@pytest.fixture
def chat(dialogs) -> Chat:
    return Chat(dialogs)


@pytest.fixture
def new_chat(dialogs):
    """Another user (or the same user's saved state on another Dialogs: set .state)."""

    def make(on: Dialogs | None = None, language: str | None = "en") -> Chat:
        return Chat(on or dialogs, language)

    return make


@pytest.fixture
def restarting_chat(services, registry, clock) -> RestartingChat:
    """A user whose every step runs on a freshly started engine (same services and clock)."""
    return RestartingChat(lambda: Dialogs(services, registry, clock))


@pytest.fixture
def make_dialogs(clock):
    """A fresh engine, as after a process restart."""

    def make(registry: InterviewRegistry, services: FakeServices | None = None) -> Dialogs:
        return Dialogs(services or FakeServices(), registry, clock)

    return make
