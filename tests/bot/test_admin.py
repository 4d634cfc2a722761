"""Admin commands: for allow-listed ids only, audited; others cannot tell them from typos."""

from __future__ import annotations

import shutil

import pytest

from backcare.interview import InterviewRegistry
from tests.support.echo_dialogs import EchoDialogs
from tests.support.harness import BotHarness

ADMIN = 4242


@pytest.fixture
def interview_file(tmp_path, repo_root):
    path = tmp_path / "interview.yaml"
    shutil.copy(repo_root / "interview.yaml", path)
    return path


@pytest.fixture
async def admin_bot(make_storage, interview_file):
    registry = InterviewRegistry(interview_file)
    async with BotHarness(
        EchoDialogs(),
        make_storage(),
        interviews=registry,
        config={"admin_ids": frozenset({ADMIN})},
    ) as bot:
        yield bot


async def test_a_non_admin_gets_the_unknown_command_answer(admin_bot):
    mallory = admin_bot.api.user(666)
    for command in ("/admin_reload", "/admin_version", "/admin_stats", "/admin_nonsense", "/foo"):
        admin_bot.api.send_text(mallory, command)
    await admin_bot.settle()
    replies = [m.plain for m in admin_bot.api.messages(mallory.id)]
    assert replies == [
        f"Unknown command /{c}. Send /help."
        for c in ("admin_reload", "admin_version", "admin_stats", "admin_nonsense", "foo")
    ]
    assert admin_bot.storage.audit_log() == []


async def test_admin_version_and_anonymous_stats(admin_bot):
    admin = admin_bot.api.user(ADMIN)
    patient = admin_bot.api.user(1001)
    admin_bot.api.send_text(patient, "/start")
    admin_bot.api.send_text(patient, "private words")
    await admin_bot.settle()
    admin_bot.api.send_text(admin, "/admin_version")
    admin_bot.api.send_text(admin, "/admin_stats")
    await admin_bot.settle()
    version, stats = [m.plain for m in admin_bot.api.messages(ADMIN)]
    assert version.startswith("backcare 0.") and "interview version" in version
    assert "Users: 1" in stats and "private words" not in stats and "1001" not in stats
    assert [e.action for e in admin_bot.storage.audit_log()] == ["admin_version", "admin_stats"]
    assert all(e.admin_id == ADMIN for e in admin_bot.storage.audit_log())


async def test_admin_reload_sends_back_the_loaders_errors(admin_bot, interview_file):
    admin = admin_bot.api.user(ADMIN)
    good = interview_file.read_text(encoding="utf-8")
    interview_file.write_text(good + "\nsections: duplicate\n", encoding="utf-8")
    admin_bot.api.send_text(admin, "/admin_reload")
    await admin_bot.settle()
    refused = admin_bot.api.messages(ADMIN)[-1].plain
    assert refused.startswith("The interview was NOT reloaded")
    assert "interview.yaml:" in refused and "duplicate key" in refused
    interview_file.write_text(good, encoding="utf-8")
    admin_bot.api.send_text(admin, "/admin_reload")
    await admin_bot.settle()
    assert admin_bot.api.messages(ADMIN)[-1].plain.startswith("Interview reloaded: version")
    actions = [(e.action, e.detail.split(":")[0]) for e in admin_bot.storage.audit_log()]
    assert actions == [
        ("admin_reload", "refused"),
        ("admin_reload", "version " + actions[1][1][8:]),
    ]
