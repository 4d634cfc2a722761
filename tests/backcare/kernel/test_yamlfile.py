"""The strict YAML loader: line numbers, and refusal of what a data file must not hold."""

from __future__ import annotations

import pytest

from backcare.kernel.yamlfile import MAX_ALIASES, Checker, DataFileError, load, loads


def test_mappings_and_lists_remember_the_line_of_each_key_and_item():
    data = loads("title: x\nitems:\n  - a\n  - b\nnested:\n  deep: 1\n")
    assert data.line_of("title") == 1
    assert data.line_of("items") == 2
    assert data["items"].line_of(1) == 4
    assert data["nested"].line_of("deep") == 6


def test_a_duplicate_key_is_refused_with_both_lines():
    with pytest.raises(DataFileError) as err:
        loads("a: 1\nb: 2\na: 3\n", "f.yaml")
    problem = err.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("f.yaml", 3, "a")
    assert "first at line 1" in problem.message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !custom 1\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
    ],
)
def test_tags_are_refused(text):
    with pytest.raises(DataFileError, match="tag"):
        loads(text)


def test_an_alias_bomb_is_refused_before_it_expands():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(DataFileError, match=f"more than {MAX_ALIASES} YAML aliases"):
        loads("\n".join(lines))


def test_a_few_aliases_are_fine():
    assert loads("base: &b {x: 1}\nother: *b\n")["other"] == {"x": 1}


def test_a_syntax_error_names_the_line():
    with pytest.raises(DataFileError) as err:
        loads("a: 1\nb: [1, 2\nc: 3\n", "broken.yaml")
    assert err.value.problems[0].line in (2, 3, 4)
    assert str(err.value).startswith("broken.yaml:")


def test_dates_stay_strings():
    assert loads("when: 2024-01-01\n")["when"] == "2024-01-01"


def test_missing_file_and_non_utf8_give_clear_errors(tmp_path):
    with pytest.raises(DataFileError, match="file not found"):
        load(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("a: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataFileError, match="not UTF-8"):
        load(bad)


def test_checker_collects_every_problem_with_field_and_line():
    data = loads("name: 3\nsize: big\n", "c.yaml")
    check = Checker("c.yaml")
    assert check.need(data, "name", "", str) is None
    assert check.need(data, "size", "", float) is None
    assert check.need(data, "missing", "", str) is None
    assert check.need(data, "optional", "", str, required=False) is None
    with pytest.raises(DataFileError) as err:
        check.raise_if_any()
    found = [(p.line, p.field) for p in err.value.problems]
    assert found == [(1, "name"), (2, "size"), (1, "missing")]


def test_checker_accepts_ints_where_floats_are_asked_but_never_bools():
    data = loads("a: 3\nb: true\n")
    check = Checker("x")
    assert check.need(data, "a", "", float) == 3.0
    assert check.need(data, "b", "", int) is None
    assert len(check.problems) == 1


@pytest.mark.parametrize("character", ["\x07", "\x00", "\x1b", "\x9b", "\ufffe"])
def test_a_character_yaml_does_not_allow_is_refused_with_its_line_and_column(character):
    with pytest.raises(DataFileError) as err:
        loads(f"title: x\nnote: 'a {character}'\n", "f.yaml")
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == ("f.yaml", 2)
    assert f"U+{ord(character):04X} at column 10" in problem.message
    assert "special characters" in problem.message
