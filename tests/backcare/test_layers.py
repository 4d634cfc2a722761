"""The house's floors: each package imports only the floors below it, no import goes round
in a circle, only the entry points reach the application layer, and only the Telegram
adapter speaks Telegram. docs/ARCHITECTURE.md draws the same map."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.imports import REPO, cycles, graph, imported_names, package_of

# Lowest first. A package may import its own floor's modules and any floor below;
# two packages on one floor know nothing of each other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("backcare", "backcare.kernel"),  # the root holds only the version
    ("backcare.vision",),
    ("backcare.assessment",),
    ("backcare.reasoning", "backcare.interview"),
    ("backcare.content",),
    ("backcare.followup", "backcare.report"),
    ("backcare.taskqueue", "backcare.bot.storage", "backcare.bot.dialogs"),
    ("backcare.bot",),
    ("backcare.application",),
    ("backcare.__main__",),
)
FLOOR = {package: level for level, floor in enumerate(FLOORS) for package in floor}
ENTRY_POINTS = {
    "backcare.__main__"
}  # `python -m backcare`; the `backcare` script is the CLI's main
# bench scripts that import telegram, and why
BENCH_TELEGRAM = {
    "bench/bot.py": "its baseline is PTB's own first-come-first-served AIORateLimiter",
}

GRAPH = graph()


def test_the_graph_sees_the_whole_product():
    assert len(GRAPH.files) > 150
    assert "backcare.bot.dialogs.engine" in GRAPH.files
    assert "backcare.kernel.catalogue" in GRAPH.arrows["backcare.vision.labels"]


def test_every_module_lives_on_a_declared_floor():
    homeless = sorted(m for m in GRAPH.files if package_of(m) not in FLOOR)
    assert homeless == [], "add the package to FLOORS (and to docs/ARCHITECTURE.md)"


def test_no_module_imports_another_that_imports_it_back():
    assert cycles(GRAPH.arrows) == []


def test_packages_import_only_the_floors_below():
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.arrows.items()
        for target in targets
        if package_of(target) != package_of(module)
        and FLOOR[package_of(target)] >= FLOOR[package_of(module)]
    )
    assert wrong == []


def test_only_the_entry_points_reach_the_application_layer():
    reaching = sorted(
        module
        for module, targets in GRAPH.arrows.items()
        if package_of(module) != "backcare.application"
        and any(package_of(t) == "backcare.application" for t in targets)
    )
    assert set(reaching) <= ENTRY_POINTS, reaching


def test_the_interview_is_entered_through_its_package():
    """backcare.interview lists what it offers in its __init__; the rest is its own."""
    reaching_in = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.arrows.items()
        if package_of(module) != "backcare.interview"
        for target in targets
        if target.startswith("backcare.interview.")
    )
    assert reaching_in == []


def test_only_the_telegram_adapter_imports_telegram():
    speaking = {m for m, names in GRAPH.external.items() if "telegram" in names}
    assert speaking, "the adapter itself must show up, or the scan is blind"
    outside = sorted(m for m in speaking if package_of(m) != "backcare.bot")
    assert outside == []


def test_bench_imports_telegram_only_where_it_says_why():
    found = set()
    for path in sorted((REPO / "bench").rglob("*.py")):
        names = imported_names(path, "bench." + path.stem)
        if any(n.split(".")[0] == "telegram" for n in names):
            found.add(str(path.relative_to(REPO)))
    assert found == set(BENCH_TELEGRAM)


def test_the_finder_counts_imports_inside_functions_and_type_checking(tmp_path: Path):
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from backcare.kernel import units\n"
        "def f():\n    from backcare.bot.dialogs import engine\n    return engine\n"
    )
    names = set(imported_names(source, "backcare.x"))
    assert {"backcare.kernel.units", "backcare.bot.dialogs.engine"} <= names
    ast.parse(source.read_text())


def test_cycles_are_found():
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []
