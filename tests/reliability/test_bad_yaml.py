"""A broken or hostile interview.yaml reloaded by an admin (/admin_reload) through the bot.

The admin gets the loader's problems with file and line; the version in use stays
live for every patient; nothing in the file is executed; the problems come back
as plain text even when the file holds Telegram markup.
"""

from __future__ import annotations

import shutil

import pytest

from backcare.interview import InterviewRegistry
from tests.reliability.live import INTERVIEW, live_bot, place, refused, state_at
from tests.support.patients import Patient

ADMIN = 4242
NOT_RELOADED = "The interview was NOT reloaded; version"


def laughs(levels: int, width: int) -> str:
    """ "Billion laughs": each level lists the one before ``width`` times (width**levels leaves)."""
    lines = [f"lol0: &lol0 [{', '.join(['lol'] * width)}]"]
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def append(text: str):
    return lambda good: good + text


def replace(text: str):
    return lambda good: text


CASES = {
    "an alias bomb": (append("\n" + laughs(10, 12)), "YAML aliases: refused"),
    "an alias bomb under the alias limit": (append("\n" + laughs(9, 9)), "lol8: unknown field"),
    "a duplicate key": (append("\nversion: '9'\n"), "duplicate key"),
    "a tag that runs a command": (
        append('\nrce: !!python/object/apply:os.system ["touch {marker}"]\n'),
        "is not allowed",
    ),
    "a custom tag": (append("\nmine: !secret value\n"), "is not allowed"),
    "binary data": (append("\nblob: !!binary aGVsbG8=\n"), "is not allowed"),
    "a set": (append("\nset: !!set {a, b}\n"), "is not allowed"),
    "a file over 2 MB": (append("\n# " + "x" * 2_100_000 + "\n"), "larger than"),
    "an empty file": (replace(""), "interview.yaml"),
    "not YAML at all": (replace("{[}: ::\n\t- ]"), "YAML syntax"),
    "Telegram markup in a key": (
        append("\n<b>bold</b> & <script>x</script>: 1\n"),
        "<b>bold</b> &",
    ),
    "a control character": (append("\nnote: 'bell \x07'\n"), "special characters"),
}


@pytest.fixture
def interview_file(tmp_path):
    path = tmp_path / "interview.yaml"
    shutil.copy(INTERVIEW, path)
    return path


@pytest.mark.parametrize("damage, says", CASES.values(), ids=list(CASES))
async def test_a_bad_interview_file_is_refused_with_its_problems_and_the_old_one_stays(
    interview_file, data_file, answers, tmp_path, damage, says
):
    registry = InterviewRegistry(interview_file)
    live_version = registry.current.digest
    marker = tmp_path / "pwned"
    async with live_bot(data_file, registry, admins=frozenset({ADMIN})) as bot:
        patient = Patient(bot, 90001)
        place(bot.storage, patient.id, await state_at(registry, answers, question="sex"))
        good = interview_file.read_text(encoding="utf-8")
        interview_file.write_text(damage(good).replace("{marker}", str(marker)), encoding="utf-8")

        admin = Patient(bot, ADMIN)
        await admin.say("/admin_reload")
        reply = admin.messages[-1]
        assert reply.plain.startswith(NOT_RELOADED), reply.plain
        assert says in reply.plain
        assert refused(bot.api) == [], "the problems were escaped for Telegram"
        assert not marker.exists(), "nothing in the file ran"
        assert registry.current.digest == live_version
        assert bot.storage.audit_log()[-1].detail.startswith("refused")

        # patients carry on with the version in use
        await patient.say("/start")
        await patient.answer(registry.current, answers["sex"])
        assert patient.dialog.asked() == "height"
        newcomer = Patient(bot, 90002)
        await newcomer.start()
        await newcomer.consent()
        assert newcomer.dialog.interview.digest == live_version


async def test_a_missing_or_unreadable_file_is_refused_the_same_way(interview_file, data_file):
    registry = InterviewRegistry(interview_file)
    async with live_bot(data_file, registry, admins=frozenset({ADMIN})) as bot:
        admin = Patient(bot, ADMIN)
        interview_file.write_bytes("question: caf\xe9\n".encode("latin-1"))
        await admin.say("/admin_reload")
        assert admin.messages[-1].plain.startswith(NOT_RELOADED)
        assert "not UTF-8" in admin.messages[-1].plain
        interview_file.unlink()
        await admin.say("/admin_reload")
        assert admin.messages[-1].plain.startswith(NOT_RELOADED)
        assert "file not found" in admin.messages[-1].plain
        shutil.copy(INTERVIEW, interview_file)
        await admin.say("/admin_reload")
        assert admin.messages[-1].plain.startswith("Interview reloaded")
