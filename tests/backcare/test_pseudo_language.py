"""A language added by catalogue entries alone speaks only its own words (issue 15).

A copy of the product gains a generated pseudo-language (tests/support/pseudo_language.py:
every catalogue's default text with its letters turned full-width, one entry in
backcare/kernel/languages.yaml, no code changed). The copy then runs the demo (report and
annotated pictures) and patients' journeys through the dialogs in that language; any run
of ASCII letters left in what they say came from the code, not from a catalogue.
Quoted as written, and so allowed: citations of the sources, links and file names, ids
of the solver, time zone identifiers, Telegram's /commands, and each language's own name
(the language menu).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backcare.assessment.thresholds import thresholds
from backcare.kernel.languages import LANGUAGES, language
from tests.support.pseudo_language import CODE, REPO, build

pytestmark = pytest.mark.slow

WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]+")
LINKS = re.compile(r"https?://\S+|\S+\.(?:jpg|png|html|json|md)\b|\d{4}-\d\d-\d\dT[\d:+]+")
SOLVERS = ("rc2", "highs")
# time zone identifiers (IANA: "Europe/London", "UTC") are shown as they are
ZONES = re.compile(r"\b[A-Z][A-Za-z_]+(?:/[A-Za-z_]+)+\b|\bUTC\b")
# Telegram's commands are ASCII names in every language ("/help")
COMMANDS = re.compile(r"(?<![\w/])/[a-z_]+\b")
CASES = (
    "normal_42_office",
    "cancer_history_alone",
    "inflammatory_young_stiff",
    "fearful_guarded_mover",
)

JOURNEY = """
import asyncio, json, sys
from pathlib import Path
import backcare
from backcare.bot.dialogs.engine import Dialogs
from backcare.interview import InterviewRegistry
from backcare.application.pipeline import Pipeline
from tests.clinical.suite import CASES, Patient, load_cases

class Reader(Patient):
    async def send(self, event):
        await super().send(event)
        self.read += [c.label for r in self.replies for c in r.choices]

async def main(ids, language):
    registry = InterviewRegistry(Path(backcare.__file__).parent / "interview.yaml")
    cases = {c.id: c for c in load_cases(CASES, registry.current)}
    out = {}
    for cid in ids:
        patient = Reader(Dialogs(Pipeline(pose=None), registry), cases[cid], language)
        await patient.play(registry.current, use_photos=False)
        out[cid] = {"read": patient.read, "package": backcare.__file__}
    print(json.dumps(out))

asyncio.run(main(sys.argv[2:], sys.argv[1]))
"""


FOLLOW_UP = """
import asyncio, json, sys
from pathlib import Path
import backcare
from backcare.bot.dialogs.engine import Dialogs, Policy
from backcare.interview import InterviewRegistry, load_answers
from backcare.application.pipeline import Pipeline
from backcare.bot.dialogs import buttons
from tests.bot.dialogs.conftest import HEALTHY_PATH, Chat, Clock

async def main(language):
    registry = InterviewRegistry(Path(backcare.__file__).parent / "interview.yaml")
    clock = Clock()
    dialogs = Dialogs(Pipeline(pose=None), registry, clock, policy=Policy(keep_photos=True))
    chat = Chat(dialogs, language)
    await chat.consent(keep_photos=True)
    await chat.answer_all(registry.current, load_answers(HEALTHY_PATH, registry.current))
    while chat.step == "photos":
        await chat.press(buttons.PHOTO_SKIP)
    steps = [chat.step]
    await chat.press(buttons.REMINDERS_SET)
    await chat.press(buttons.DAYS_DONE)
    await chat.type("7:30")
    await chat.press(next(b for b in chat.choices() if b.kind == "tz"))
    await chat.timer("reminder")
    await chat.press(buttons.EXERCISED)
    await chat.timer("checkin")
    await chat.press(buttons.pain(3))
    await chat.press(buttons.days_done(0))
    await chat.press(buttons.SIGNS_NO)
    await chat.press(buttons.PROGRESS)
    for command in ("status", "help", "stop", "language"):
        await chat.command(command)
    steps.append(chat.step)
    read = [r.text for r in chat.log if r.text] + [c.label for r in chat.log for c in r.choices]
    read += [i.caption for r in chat.log for i in r.images if i.caption]
    print(json.dumps({"read": read, "steps": steps, "package": backcare.__file__}))

asyncio.run(main(sys.argv[1]))
"""


def _cited() -> list[str]:
    """Citations, quoted in their own language wherever a report shows them."""
    out = set()
    for rule in thresholds().rules.values():
        out.add(rule.source)
        out.update(b.source for b in rule.bands if b.source)
    return sorted(out, key=len, reverse=True)


def _run(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run Python in the copy; its standard output (a failure shows the end of its errors)."""
    run = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def english_left(text: str) -> list[str]:
    for quoted in _cited():
        text = text.replace(quoted, " ")
    text = COMMANDS.sub(" ", ZONES.sub(" ", LINKS.sub(" ", text)))
    # each language's own name is written in that language (the language menu)
    names = {language(code).name for code in LANGUAGES}
    return [w for w in WORDS.findall(text) if w not in SOLVERS and w not in names]


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = build(tmp_path_factory.mktemp("pseudo"))
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{REPO}", "PYTHONDONTWRITEBYTECODE": "1"}
    return root, env


def test_adding_the_language_took_one_file_of_texts_and_its_entry_in_the_table(copy):
    root, _ = copy
    copied = root / "backcare"
    changed = sorted(
        path.relative_to(copied).as_posix()
        for path in copied.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and (
            not (REPO / "backcare" / path.relative_to(copied)).is_file()
            or (REPO / "backcare" / path.relative_to(copied)).read_bytes() != path.read_bytes()
        )
    )
    assert changed == ["kernel/languages.yaml", f"kernel/locale/{CODE}.yaml"]


def test_the_report_and_its_pictures_speak_only_the_added_language(copy):
    root, env = copy
    out = root / "demo"
    _run(env, root, "-m", "backcare", "demo", "--lang", CODE, "--out", str(out))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["language"] == CODE
    for name in ("report.md", "report.html"):
        text = (out / name).read_text(encoding="utf-8")
        if name.endswith(".html"):
            text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)  # the page's CSS
            text = html.unescape(re.sub(r"<[^>]*>", " ", text))
        assert english_left(text) == [], name
    assert len(list(out.glob("*.annotated.jpg"))) == 8


def test_patients_journeys_speak_only_the_added_language(copy):
    root, env = copy
    stdout = _run(env, root, "-c", JOURNEY, CODE, *CASES)
    journeys = json.loads(stdout)
    for cid, journey in journeys.items():
        assert journey["package"].startswith(str(root)), "the copy ran, not the repository"
        assert len(journey["read"]) > 20, cid
        left = {line: english_left(line) for line in journey["read"] if english_left(line)}
        assert left == {}, cid


def test_reminders_check_ins_and_progress_speak_only_the_added_language(copy):
    root, env = copy
    stdout = _run(env, root, "-c", FOLLOW_UP, CODE)
    journey = json.loads(stdout)
    assert journey["package"].startswith(str(root))
    assert journey["steps"][0] == "results" and len(journey["read"]) > 40
    left = {line: english_left(line) for line in journey["read"] if english_left(line)}
    assert left == {}


def test_the_check_finds_english_where_it_is_left():
    assert english_left("Ｈｉｐ +65° in the usual range") == ["in", "the", "usual", "range"]
    assert english_left("ｓｅｅ https://example.org/x.html, forward_bend.annotated.jpg") == []
    assert english_left("/help （Europe/London， UTC）") == []
    assert english_left("ｐａｉｎ and/or ｓｔｉｆｆｎｅｓｓ") == ["and", "or"]
