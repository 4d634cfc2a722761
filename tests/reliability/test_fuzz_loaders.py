"""Fuzzing the data-file loaders admins feed (interview, knowledge base, catalog, thresholds).

Whatever a hand-edit, a merge gone wrong or an attacker makes of a file, a loader
either loads it or raises DataFileError whose every problem names the file. Any
other exception would reach the admin as a crash, or take the bot down at start.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import example, given

from backcare.assessment import thresholds
from backcare.content import catalog
from backcare.interview.loader import loads_interview, parse_interview
from backcare.kernel.vocabulary import vocabulary
from backcare.kernel.yamlfile import DataFileError, load, loads
from backcare.reasoning import knowledge
from tests.reliability.fuzzing import JSONISH, fuzz_settings, mutated
from tests.reliability.live import INTERVIEW

NAME = "edited.yaml"


@lru_cache(maxsize=1)
def videos() -> dict:
    return catalog.parse_videos(load(catalog.VIDEOS_PATH), "videos.yaml")


def from_text(parse_data: Callable[[Any, str], Any]) -> Callable[[str], Any]:
    return lambda text: parse_data(loads(text, NAME), NAME)


# loader name -> (the shipped file, text -> result, loaded data -> result)
LOADERS = {
    "interview": (
        INTERVIEW,
        lambda text: loads_interview(text, NAME),
        lambda data, name: parse_interview(data, name, "digest"),
    ),
    "knowledge base": (
        knowledge.PATH,
        None,
        lambda data, name: knowledge.parse(data, name, vocabulary()),
    ),
    "thresholds": (thresholds.PATH, None, lambda data, name: thresholds.parse(data, name)),
    "exercise catalog": (
        catalog.EXERCISES_PATH,
        None,
        lambda data, name: catalog.parse_catalog(data, name, videos()),
    ),
    "videos": (catalog.VIDEOS_PATH, None, lambda data, name: catalog.parse_videos(data, name)),
}


def loads_or_explains(load_text: Callable[[str], Any], text: str) -> None:
    try:
        load_text(text)
    except DataFileError as exc:
        assert exc.problems, "a refusal lists its problems"
        assert all(p.file == NAME and p.message for p in exc.problems), exc.problems


@pytest.mark.parametrize("loader", LOADERS)
def test_an_edited_file_loads_or_is_refused_with_its_problems(loader):
    path, load_text, parse_data = LOADERS[loader]
    load_text = load_text or from_text(parse_data)
    text = path.read_text(encoding="utf-8")

    @fuzz_settings(40)
    @given(mutated(text))
    @example(text)
    @example("")
    @example(text + "\nextra: &x [*x]\n")
    def check(edited: str) -> None:
        loads_or_explains(load_text, edited)

    check()


@pytest.mark.parametrize("loader", LOADERS)
def test_yaml_of_any_shape_loads_or_is_refused_with_its_problems(loader):
    _, _, parse_data = LOADERS[loader]

    @fuzz_settings(150)
    @given(JSONISH)
    @example({})
    @example([])
    @example({"version": None, "sections": {"a": [None]}, "causes": [1], "exercises": [[]]})
    def check(data: Any) -> None:
        try:
            parse_data(data, NAME)
        except DataFileError as exc:
            assert exc.problems and all(p.file == NAME for p in exc.problems)

    check()


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x9b", "\ufffe"])
def test_a_control_character_in_a_yaml_file_is_a_data_file_error(character):
    text = INTERVIEW.read_text(encoding="utf-8").replace("title:", f"title:{character}", 1)
    loads_or_explains(lambda t: loads_interview(t, NAME), text)
    with pytest.raises(DataFileError) as err:  # refused, not loaded: and the line is named
        loads_interview(text, NAME)
    line = text[: text.index(character)].count("\n") + 1
    assert [(p.line, "special characters" in p.message) for p in err.value.problems] == [
        (line, True)
    ]


def test_a_number_as_an_explains_key_is_a_data_file_error():
    text = knowledge.PATH.read_text(encoding="utf-8")
    at = text.index("    explains:\n") + len("    explains:\n")
    edited = text[:at] + "      42: [x]\n" + text[at:]
    loads_or_explains(from_text(LOADERS["knowledge base"][2]), edited)
    with pytest.raises(DataFileError) as err:
        from_text(LOADERS["knowledge base"][2])(edited)
    line = edited[:at].count("\n") + 1
    named = [p for p in err.value.problems if p.line == line and ".explains.42" in p.field]
    assert named and "text" in named[0].message, err.value.problems
