"""`backcare chat`: the dialogs in a terminal, buttons by number, photos by path, state saved."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from PIL import Image as PILImage

from backcare.application.console import Screen, run_console
from backcare.bot.dialogs import buttons
from backcare.bot.dialogs.engine import Dialogs
from backcare.bot.dialogs.events import Choice, Event, Reply
from backcare.bot.dialogs.state import DialogState
from backcare.content.types import Dose, Prescription, Program
from backcare.interview import InterviewRegistry, load_answers
from backcare.reasoning.types import Diagnosis, Explanation
from backcare.report.types import PhotoResult, Report

REPO = Path(__file__).resolve().parents[3]
HEALTHY = REPO / "tests" / "backcare" / "interview" / "answers_healthy.yaml"


def typed(saved: object) -> DialogState:
    """The console's saved document, read as the dialogs read it."""
    state = DialogState.from_json(saved)
    assert state is not None, "the console saved no usable state"
    return state


def jpeg() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


class Services:
    """Accepts photos whose file starts with JPEG bytes, refuses others as not pictures."""

    async def analyse_photo(self, data, step, filename=None):
        if not data.startswith(b"\xff\xd8"):
            return PhotoResult(
                step=step, source=filename or step, accepted=False, reason="not_image"
            )
        return PhotoResult(step=step, source=filename or step, accepted=True, annotated_jpeg=jpeg())

    async def build_report(self, result, photos, language):
        text = {"en": "Hip hinge", "ja": "ヒップヒンジ"}
        exercise = Prescription(
            "hip_hinge",
            text,
            text,
            Dose(2, 10, None, 3),
            text,
            "https://example.org/v",
            text,
            text,
            text,
        )
        return Report(
            created="2025-06-01T00:00:00+00:00",
            language=language,
            facts=tuple(sorted(result.facts)),
            scores=dict(result.scores),
            photos=tuple(photos),
            observations=(),
            diagnosis=Diagnosis(
                (Explanation(("flexion_impairment",), 1.0, 1.0, (), (), ()),), None
            ),
            program=Program(
                (exercise,),
                {"en": ("Stay active.",), "ja": ("動きましょう。",)},
                {"en": "Ease off.", "ja": "控えめに。"},
            ),
            referral=None,
        )


@pytest.fixture(scope="module")
def registry():
    return InterviewRegistry(REPO / "interview.yaml")


@pytest.fixture
def dialogs(registry):
    return Dialogs(Services(), registry)


def typed_answers(interview, answers, upto: str | None = None) -> list[str]:
    """What a person types to answer the interview (to ``upto`` included): numbers for
    buttons, or the value."""
    lines = []
    order = interview.order
    for qid in order[: order.index(upto) + 1] if upto else order:
        if qid == "weakness_worse":
            continue  # not asked: no weakness
        q, value = interview.questions[qid], answers[qid]
        if q.type == "yes_no":
            lines.append("1" if value else "2")
        elif q.type == "single":
            lines.append(str(q.option_ids.index(value) + 1))
        elif q.type in ("multiple", "body_map"):
            lines += [str(q.option_ids.index(v) + 1) for v in value] + [str(len(q.options) + 1)]
        else:
            lines.append(str(value))
    return lines


def test_a_whole_conversation_in_the_terminal(dialogs, registry, tmp_path: Path):
    interview = registry.current
    photo = tmp_path / "me.jpg"
    photo.write_bytes(jpeg())
    lines = ["1", "2"]  # I agree; delete photos after analysis
    lines += typed_answers(interview, load_answers(HEALTHY, interview))
    lines += [
        str(tmp_path / "missing.jpg"),
        str(REPO / "pyproject.toml"),
    ]  # no such file; not a picture
    lines += [str(photo)] * 8
    lines += ["2", "/status", "/quit"]  # no reminders
    out = io.StringIO()
    state_path = tmp_path / "chat.json"
    state = run_console(
        dialogs,
        io.StringIO("\n".join(lines) + "\n"),
        out,
        state_path=state_path,
        language="en",
        picture_dir=tmp_path / "pictures",
    )
    text = out.getvalue()
    assert "  1) I agree" in text and "How old are you?" in text
    assert "(no such file:" in text and "isn't a picture" in text
    assert (
        state is not None
        and typed(state).step == "active"
        and state == json.loads(state_path.read_text(encoding="utf-8"))
    )
    assert stat.S_IMODE(state_path.stat().st_mode) == 0o600
    pictures = sorted((tmp_path / "pictures").glob("picture-*.jpg"))
    assert len(pictures) == 16  # one per accepted photo, then the eight in the results
    assert f"[picture] Forward bend: {tmp_path / 'pictures'}" in text
    assert "[link] ▶ Video: https://example.org/v" in text
    assert "Your exercise program is running" in text


def test_the_conversation_resumes_from_the_saved_state(dialogs, tmp_path: Path):
    state_path = tmp_path / "chat.json"
    out = io.StringIO()
    run_console(dialogs, io.StringIO("1\n2\n42\n"), out, state_path=state_path, language="en")
    saved = json.loads(state_path.read_text(encoding="utf-8"))
    assert typed(saved).answers() == {"age": 42}
    out = io.StringIO()
    state = run_console(
        dialogs, io.StringIO("/back\n43\n"), out, state_path=state_path, language="en"
    )
    assert "Welcome back" in out.getvalue() and "What is your sex?" in out.getvalue()
    assert state is not None and typed(state).answers() == {"age": 43}


def test_numbers_choose_buttons_unless_a_number_is_the_answer():
    screen = Screen(io.StringIO(), None)
    screen.show(
        [
            Reply(
                "Pain?",
                choices=tuple(Choice(str(n), buttons.answer("pain", n).data) for n in range(11)),
                expects="number",
            )
        ]
    )
    assert screen.event("7", None).text == "7"
    assert screen.event("#8", None).data == buttons.answer("pain", 7).data
    screen.show(
        [
            Reply(
                "Sex?",
                choices=(
                    Choice("Female", buttons.answer("sex", "female").data),
                    Choice("Male", buttons.answer("sex", "male").data),
                ),
                expects="choice",
            )
        ]
    )
    assert screen.event("2", None).data == buttons.answer("sex", "male").data
    assert screen.event("3", None).text == "3"  # no such button: sent as typed
    assert screen.event("/timer checkin", None).data == "checkin"
    assert screen.event("/Back", None).text == "back"
    assert screen.event("   ", None) is None


def test_japanese_comes_from_the_locale(dialogs, monkeypatch):
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    out = io.StringIO()
    state = run_console(dialogs, io.StringIO(""), out)
    assert typed(state).language == "ja" and "同意いただけますか" in out.getvalue()


def test_an_absolute_photo_path_is_not_a_command(tmp_path: Path):
    photo = tmp_path / "back.jpg"
    photo.write_bytes(jpeg())
    screen = Screen(io.StringIO(), None)
    screen.show(
        [Reply("Photo?", choices=(Choice("Skip", buttons.PHOTO_SKIP.data),), expects="photo")]
    )
    event = screen.event(str(photo), None)
    assert isinstance(event, Event)
    assert (
        event.kind == "photo" and event.photo == photo.read_bytes() and event.filename == "back.jpg"
    )
    quoted = screen.event(f"'{photo}'", None)
    assert isinstance(quoted, Event) and quoted.kind == "photo"
    missing = screen.event(str(tmp_path / "nope.jpg"), None)
    assert isinstance(missing, str) and missing.startswith("(no such file")
    command = screen.event("/status", None)
    assert isinstance(command, Event) and command.text == "status"


def test_the_terminal_triages_like_the_bot_onset_at_60_does_not_hide_the_cancer_question(
    dialogs, registry, tmp_path: Path
):
    interview = registry.current
    answers = dict(load_answers(HEALTHY, interview), age=64, onset_age=60, cancer=True)
    lines = ["1", "2"] + typed_answers(interview, answers, upto="cancer") + ["/quit"]
    out = io.StringIO()
    state = run_console(dialogs, io.StringIO("\n".join(lines) + "\n"), out, language="en")
    assert state is not None
    saved = typed(state)
    assert saved.step == "referred" and saved.referral is not None
    assert saved.referral.urgency == "urgent"
    assert "Have you ever been diagnosed with cancer?" in out.getvalue()
    assert "within the next 24 hours" in out.getvalue()
