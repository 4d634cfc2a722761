"""The registry keeps the last good interview live and old versions for interviews in progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcare.interview import InterviewRegistry
from backcare.kernel.yamlfile import DataFileError


@pytest.fixture
def live(tmp_path: Path, interview_text) -> Path:
    path = tmp_path / "interview.yaml"
    path.write_text(interview_text, encoding="utf-8")
    return path


def test_a_good_reload_puts_the_new_version_live_and_keeps_the_old(live: Path):
    registry = InterviewRegistry(live)
    old = registry.current
    live.write_text(
        live.read_text(encoding="utf-8").replace('version: "2025.06-1"', 'version: "2025.06-2"'),
        encoding="utf-8",
    )
    assert registry.reload() == []
    assert registry.current.version == "2025.06-2"
    assert registry.get(old.digest) is old
    assert registry.get(registry.current.digest) is registry.current
    assert registry.versions() == [old.digest, registry.current.digest]


def test_a_broken_reload_keeps_the_previous_version(live: Path):
    registry = InterviewRegistry(live)
    good = registry.current
    live.write_text(
        live.read_text(encoding="utf-8").replace("type: yes_no", "type: yes_maybe", 1),
        encoding="utf-8",
    )
    problems = registry.reload()
    assert problems and "unknown question type" in problems[0].message and problems[0].line
    assert registry.current is good
    assert registry.problems == problems


def test_reloading_the_same_file_changes_nothing(live: Path):
    registry = InterviewRegistry(live)
    first = registry.current
    assert (
        registry.reload() == []
        and registry.current is first
        and registry.versions() == [first.digest]
    )


def test_an_unknown_version_is_none(live: Path):
    registry = InterviewRegistry(live)
    assert registry.get("0" * 16) is None and registry.get(None) is None


def test_a_broken_file_at_start_up_is_an_error(live: Path):
    live.write_text("version: [", encoding="utf-8")
    with pytest.raises(DataFileError):
        InterviewRegistry(live)


def test_old_versions_are_bounded_but_the_current_one_stays(live: Path):
    registry = InterviewRegistry(live, keep=2)
    text = live.read_text(encoding="utf-8")
    for n in range(4):
        live.write_text(text + f"\n# edit {n}\n", encoding="utf-8")
        registry.reload()
    assert len(registry.versions()) == 2 and registry.versions()[-1] == registry.current.digest
