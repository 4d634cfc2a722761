"""Each dialog feature declares its steps, commands and texts in one place (the FEATURE at
the end of its module); the machine, the command registry and the catalogue's sections
are made of the features' declarations and nothing else."""

from __future__ import annotations

from collections import Counter

from backcare.bot.dialogs import commands, flow
from backcare.bot.dialogs.texts import PATH
from backcare.kernel.yamlfile import load

SECTIONS = list(load(PATH))


def test_every_section_of_the_texts_belongs_to_exactly_one_feature():
    declared = Counter(s for f in commands.FEATURES for s in f.texts)
    assert sorted(declared) == sorted(SECTIONS), "a section no feature declares, or a stray"
    assert [s for s, n in declared.items() if n > 1] == []


def test_the_machine_has_the_features_steps_and_only_those():
    names = [s.name for f in commands.FEATURES for s in f.steps]
    assert len(names) == len(set(names))
    assert [s.name for s in flow.STEPS] == names
    assert set(flow.STEP) == set(names)


def test_the_registry_is_the_features_commands():
    names = [c.name for f in commands.FEATURES for c in f.commands]
    assert list(commands.COMMANDS) == names and len(names) == len(set(names))
    owner = {c.name: f.name for f in commands.FEATURES for c in f.commands}
    assert owner["progress"] == "progress" and owner["stop"] == "reminders"
    assert set(commands.ADAPTER_COMMANDS) == {"export", "delete"}
    assert commands.MENU[:2] == ("start", "help")
