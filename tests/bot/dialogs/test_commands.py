"""The command registry: every command declared once, and the help text, the unknown-command
answer and the texts all made from it."""

from __future__ import annotations

import pytest

from backcare.bot.dialogs import commands
from backcare.bot.dialogs.texts import PATH, default_texts, parse_texts, required_keys
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.yamlfile import DataFileError, load


async def test_help_lists_every_menu_command_with_its_description(chat):
    await chat.consent()
    await chat.command("help")
    for name in commands.MENU:
        assert f"/{name} {default_texts().get(f'commands.{name}', 'en')}" in chat.text


async def test_help_in_japanese_uses_the_japanese_descriptions(new_chat):
    chat = new_chat(language="ja")
    await chat.consent()
    await chat.command("help")
    assert "/progress 経過のグラフ" in chat.text and "Commands:" not in chat.text


async def test_an_unknown_command_names_every_command_a_patient_may_type(chat):
    await chat.consent()
    await chat.command("frobnicate")
    assert all(f"/{name}" in chat.text for name in commands.COMMANDS)


async def test_the_adapters_commands_never_run_in_the_dialogs(chat):
    await chat.consent()
    before = chat.state
    await chat.command("delete")  # reaching the dialogs, it is only an unknown command
    assert "I don't know that command" in chat.text and chat.state.step == before.step


def test_every_registered_command_needs_its_description_in_every_language():
    data = load(PATH)
    del data["commands"]["progress"]
    with pytest.raises(DataFileError, match=r"commands\.progress"):
        parse_texts(data, str(PATH), required_keys())
    assert {f"commands.{c}" for c in commands.COMMANDS} <= set(required_keys())
    texts = default_texts()
    assert all(
        texts.get(f"commands.{c}", lang).strip() for c in commands.COMMANDS for lang in LANGUAGES
    )


def test_the_registry_names_each_command_once_and_knows_who_runs_it():
    names = [c.name for c in commands.REGISTRY]
    assert len(names) == len(set(names))
    assert set(commands.ADAPTER_COMMANDS) == {"export", "delete"}
    assert "progress" in commands.MENU  # it once went missing from Telegram's menu
