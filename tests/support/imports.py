"""The product's import graph, read from the source (every import: top level, inside
functions and under TYPE_CHECKING alike, since each is an arrow a reader must follow)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# the design's top-level folders, installed as backcare.<name> (backcare/ links to them)
LINKED = ("vision", "assessment", "reasoning", "content", "bot")
# sub-packages that are layers of their own, not rooms of their parent
OWN_LAYER = ("backcare.bot.dialogs", "backcare.bot.storage")


@dataclass(frozen=True)
class Graph:
    files: Mapping[str, Path]  # module -> source file
    arrows: Mapping[str, frozenset[str]]  # module -> product modules it imports
    external: Mapping[str, frozenset[str]]  # module -> top-level names of other libraries


def module_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    roots = [(REPO / "backcare", "backcare")] + [(REPO / n, f"backcare.{n}") for n in LINKED]
    for folder, prefix in roots:
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder)
            if folder.name == "backcare" and (rel.parts[0] in LINKED or rel.parts[0] == "samples"):
                continue  # the links themselves: read from the real folder
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


def _owner(name: str, modules: Iterable[str]) -> str | None:
    known = set(modules)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imported_names(path: Path, module: str) -> Iterable[str]:
    """Every dotted name ``path`` imports (``from a import b`` gives ``a.b``, which is module
    ``a.b`` when there is one, else the name ``b`` of module ``a``)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            # "pkg.name": the submodule when name is one, else pkg itself (resolved by _owner)
            yield from (f"{base}.{a.name}" for a in node.names)


def bound_names(path: Path) -> set[str]:
    """The names a package's __init__ binds itself (``from .derive import derive`` binds
    ``derive``: importing it from the package gets the function, not the submodule)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def graph() -> Graph:
    files = module_files()
    bound = {m: bound_names(p) for m, p in files.items() if p.name == "__init__.py"}

    def owner(name: str) -> str | None:
        package, _, last = name.rpartition(".")
        if last in bound.get(package, ()):
            return package
        return _owner(name, files)

    arrows: dict[str, frozenset[str]] = {}
    external: dict[str, frozenset[str]] = {}
    for module, path in files.items():
        names = list(imported_names(path, module))
        inside = {owner(n) for n in names if n.startswith("backcare")}
        arrows[module] = frozenset(m for m in inside if m and m != module)
        external[module] = frozenset(
            n.split(".")[0] for n in names if n and n.split(".")[0] != "backcare"
        )
    return Graph(files, arrows, external)


def package_of(module: str) -> str:
    """The layer a module belongs to: backcare.<package>, or one of OWN_LAYER."""
    for own in OWN_LAYER:
        if module == own or module.startswith(own + "."):
            return own
    parts = module.split(".")
    return ".".join(parts[:2])


def cycles(arrows: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in arrows.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(arrows):
        if v not in index:
            visit(v)
    return found
