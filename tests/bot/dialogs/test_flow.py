"""The machine definition is consistent: every trigger the code fires exists, every state is reachable."""

from __future__ import annotations

import re
from pathlib import Path

from backcare.bot.dialogs.flow import STEP, STEPS, TRANSITIONS, build_machine

SOURCES = sorted((Path(__file__).resolve().parents[3] / "bot" / "dialogs").glob("*.py"))


def sources_of(transition) -> list[str]:
    source = transition["source"]
    return [source] if isinstance(source, str) else list(source)


def test_every_trigger_fired_in_the_code_is_a_transition():
    fired = {
        t
        for p in SOURCES
        for t in re.findall(r'\.go\("([a-z_]+)"\)', p.read_text(encoding="utf-8"))
    }
    defined = {t["trigger"] for t in TRANSITIONS}
    assert fired and fired <= defined
    assert defined - fired == set()  # no dead transitions either


def test_transitions_name_only_known_states():
    for t in TRANSITIONS:
        assert t["dest"] in STEP and all(s in STEP for s in sources_of(t)), t


def test_every_state_is_reachable_from_the_consent():
    reached, frontier = {"consent"}, ["consent"]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in sources_of(t) and t["dest"] not in reached:
                reached.add(t["dest"])
                frontier.append(t["dest"])
    assert reached == {s.name for s in STEPS}


def test_one_machine_holds_no_user_between_events():
    machine = build_machine()
    assert machine.models == [] and set(machine.states) == set(STEP)
