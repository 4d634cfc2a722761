"""Loading and validating the knowledge base (``knowledge_base.yaml``).

Every problem is collected (the admin sees them all at once) and raised as
``DataFileError`` naming the file, the line and the entry: unknown names (checked
against the shared vocabulary), malformed weights, uncited rules, causes nothing
can support, conflicting rules and constraints, and cycles in the causal chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backcare.kernel.vocabulary import Vocabulary, vocabulary
from backcare.kernel.yamlfile import Checker, YDict, line_of, load
from backcare.reasoning.model import (
    ABNORMAL,
    NOT,
    RATINGS,
    REFER,
    Cause,
    KnowledgeBase,
    Settings,
    Weighted,
    is_atom,
    split_atom,
)

PATH = Path(__file__).with_name("knowledge_base.yaml")
TOP_KEYS = {"version", "settings", "sources", "causes", "cannot_co_occur"}
CAUSE_KEYS = {
    "cost",
    "sources",
    "explains",
    "against",
    "more_likely_with",
    "less_likely_with",
    "contributes_to",
    "excludes",
}


def load_knowledge_base(
    path: str | Path | None = None, vocab: Vocabulary | None = None
) -> KnowledgeBase:
    """The validated knowledge base (default: the shipped file, the project vocabulary)."""
    path = Path(path) if path is not None else PATH
    return parse(load(path), str(path), vocab or vocabulary())


class _Parser:
    def __init__(self, data: Any, filename: str, vocab: Vocabulary):
        self.check = Checker(filename)
        self.data = data
        self.vocab = vocab
        self.cited: set[str] = set()
        self.sources: dict[str, str] = {}

    # -- small field readers ---------------------------------------------------
    def sources_of(self, container: Any, key: Any, field: str, value: Any) -> tuple[str, ...]:
        keys = [value] if isinstance(value, str) else value
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            self.check.problem(
                container, key, field, "cite a source: a key of `sources` or a list of keys"
            )
            return ()
        for k in keys:
            if k not in self.sources:
                self.check.problem(container, key, field, f"unknown source {k!r}")
        self.cited.update(keys)
        return tuple(keys)

    def weighted(self, container: dict, key: str, field: str) -> Weighted | None:
        entry = container[key]
        if not isinstance(entry, dict):
            self.check.problem(container, key, field, "expected {weight: ..., source: ...}")
            return None
        for extra in set(entry) - {"weight", "source"}:
            self.check.problem(entry, extra, f"{field}.{extra}", "unknown field")
        weight = self.check.need(entry, "weight", field, float)
        if "source" not in entry:
            self.check.problem(entry, None, f"{field}.source", "missing: cite a source")
            srcs: tuple[str, ...] = ()
        else:
            srcs = self.sources_of(entry, "source", f"{field}.source", entry["source"])
        if weight is None:
            return None
        if weight <= 0:
            self.check.problem(entry, "weight", f"{field}.weight", "must be greater than 0")
            return None
        return Weighted(item=key, weight=weight, sources=srcs)

    def section(self, entry: dict, key: str, field: str) -> dict:
        value = entry.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.check.problem(entry, key, f"{field}.{key}", "expected a mapping")
            return {}
        return self.named(value, f"{field}.{key}")

    def named(self, mapping: dict, field: str) -> dict:
        """``mapping`` without the keys that are not text, each reported with its line.

        YAML reads ``42:``, ``1.5:``, ``yes:`` or ``~:`` as a number, a boolean or null;
        a name compared, split or joined as text would crash the loader on them.
        """
        odd = [key for key in mapping if not isinstance(key, str)]
        for key in odd:
            self.check.problem(
                mapping,
                key,
                f"{field}.{key}",
                f"expected a name as text, got {type(key).__name__} {key!r} "
                "(YAML reads some bare words and numbers so; put it in quotes)",
            )
        if not odd:
            return mapping
        kept = YDict({k: v for k, v in mapping.items() if isinstance(k, str)})
        kept.line = line_of(mapping)
        kept.key_lines = dict(getattr(mapping, "key_lines", {}))
        return kept

    def is_abnormal_atom(self, item: str) -> bool:
        return (
            is_atom(item)
            and split_atom(item)[0] in self.vocab.observations
            and split_atom(item)[1] in ABNORMAL
        )

    def is_known_atom(self, item: str) -> bool:
        return (
            is_atom(item)
            and split_atom(item)[0] in self.vocab.observations
            and split_atom(item)[1] in RATINGS
        )

    # -- the file ----------------------------------------------------------------
    def parse(self) -> KnowledgeBase:
        check, data = self.check, self.data
        if not isinstance(data, dict):
            check.problem(
                data, None, "", "expected a mapping with version, settings, sources, causes"
            )
            check.raise_if_any()
        for extra in set(data) - TOP_KEYS:
            check.problem(data, extra, extra, "unknown section")
        if check.need(data, "version", "", int) not in (None, 1):
            check.problem(data, "version", "version", "only version 1 is understood")
        settings = self.parse_settings(data.get("settings") or {})
        raw_sources = check.need(data, "sources", "", dict) or {}
        for key, text in raw_sources.items():
            if not isinstance(text, str) or not text.strip():
                check.problem(
                    raw_sources, key, f"sources.{key}", "expected the full reference as text"
                )
            self.sources[key] = text if isinstance(text, str) else ""
        raw_causes = self.named(check.need(data, "causes", "", dict) or {}, "causes")
        causes: dict[str, Cause] = {}
        for name, entry in raw_causes.items():
            cause = self.parse_cause(raw_causes, name, entry, settings)
            if cause is not None:
                causes[name] = cause
        for name in self.vocab.causes:
            if name not in raw_causes:
                check.problem(
                    data,
                    "causes",
                    f"causes.{name}",
                    "a vocabulary cause has no entry: it could never be concluded",
                )
        self.check_relations(raw_causes, causes, settings)
        groups = self.parse_groups(data, causes)
        for fact, urgency in self.vocab.red_flags().items():
            if not any(fact in c.explains for c in causes.values()):
                check.problem(
                    raw_causes,
                    REFER if REFER in raw_causes else None,
                    f"causes.{REFER}.explains",
                    f"red-flag fact {fact!r} ({urgency}) is explained by no cause",
                )
        for key in self.sources:
            if key not in self.cited:
                check.problem(raw_sources, key, f"sources.{key}", "never cited by a rule")
        check.raise_if_any()
        return KnowledgeBase(
            observations=tuple(self.vocab.observations),
            facts=tuple(self.vocab.facts),
            red_flags=self.vocab.red_flags(),
            causes=causes,
            cannot_co_occur=groups,
            settings=settings,
            sources=dict(self.sources),
            path=check.filename,
        )

    def parse_settings(self, raw: Any) -> Settings:
        check = self.check
        if not isinstance(raw, dict):
            check.problem(self.data, "settings", "settings", "expected a mapping")
            return Settings()
        known = {"weight_scale", "min_cause_cost", "unexplained", "refer_unexplained"}
        for extra in set(raw) - known:
            check.problem(raw, extra, f"settings.{extra}", "unknown setting")
        default = Settings()
        values: dict[str, Any] = {}
        scale = check.need(raw, "weight_scale", "settings", int, required=False)
        if scale is not None:
            if scale < 1:
                check.problem(raw, "weight_scale", "settings.weight_scale", "must be at least 1")
            else:
                values["weight_scale"] = scale
        floor = check.need(raw, "min_cause_cost", "settings", float, required=False)
        if floor is not None:
            if floor <= 0:
                check.problem(
                    raw, "min_cause_cost", "settings.min_cause_cost", "must be greater than 0"
                )
            else:
                values["min_cause_cost"] = floor
        unexplained = check.need(raw, "unexplained", "settings", dict, required=False) or {}
        for extra in set(unexplained) - {"observation", "fact", "red_flag", "items"}:
            check.problem(unexplained, extra, f"settings.unexplained.{extra}", "unknown setting")
        for key in ("observation", "fact", "red_flag"):
            value = check.need(unexplained, key, "settings.unexplained", float, required=False)
            if value is not None:
                if value < 0:
                    check.problem(
                        unexplained, key, f"settings.unexplained.{key}", "must not be negative"
                    )
                else:
                    values[f"unexplained_{key}"] = value
        items = check.need(unexplained, "items", "settings.unexplained", dict, required=False) or {}
        items = self.named(items, "settings.unexplained.items")
        per_item = {}
        for item, value in items.items():
            field = f"settings.unexplained.items.{item}"
            if not (self.is_abnormal_atom(item) or item in self.vocab.facts):
                check.problem(
                    items, item, field, "not an abnormal observation atom or a vocabulary fact"
                )
            value = check.need(items, item, "settings.unexplained.items", float)
            if value is not None and value < 0:
                check.problem(items, item, field, "must not be negative")
            elif value is not None:
                per_item[item] = value
        values["unexplained_items"] = per_item
        refer = check.need(raw, "refer_unexplained", "settings", dict, required=False) or {}
        for extra in set(refer) - {"share", "min_observations", "min_confidence"}:
            check.problem(refer, extra, f"settings.refer_unexplained.{extra}", "unknown setting")
        share = check.need(refer, "share", "settings.refer_unexplained", float, required=False)
        if share is not None:
            if not 0 <= share < 1:
                check.problem(
                    refer,
                    "share",
                    "settings.refer_unexplained.share",
                    "must be from 0 up to (not) 1",
                )
            else:
                values["refer_share"] = share
        sure = check.need(
            refer, "min_confidence", "settings.refer_unexplained", float, required=False
        )
        if sure is not None:
            if not 0 <= sure <= 1:
                check.problem(
                    refer,
                    "min_confidence",
                    "settings.refer_unexplained.min_confidence",
                    "must be from 0 to 1",
                )
            else:
                values["refer_min_confidence"] = sure
        least = check.need(
            refer, "min_observations", "settings.refer_unexplained", int, required=False
        )
        if least is not None:
            if least < 1:
                check.problem(
                    refer,
                    "min_observations",
                    "settings.refer_unexplained.min_observations",
                    "must be at least 1",
                )
            else:
                values["refer_min_observations"] = least
        return Settings(**{**default.__dict__, **values})

    def parse_cause(
        self, raw_causes: dict, name: str, entry: Any, settings: Settings
    ) -> Cause | None:
        check = self.check
        field = f"causes.{name}"
        if name not in self.vocab.causes:
            check.problem(
                raw_causes, name, field, "unknown cause (not in backcare/kernel/vocabulary.yaml)"
            )
        if not isinstance(entry, dict):
            check.problem(raw_causes, name, field, "expected a mapping")
            return None
        for extra in set(entry) - CAUSE_KEYS:
            check.problem(entry, extra, f"{field}.{extra}", "unknown field")
        cost = check.need(entry, "cost", field, float)
        if cost is not None and cost < settings.min_cause_cost:
            check.problem(
                entry,
                "cost",
                f"{field}.cost",
                f"must be at least min_cause_cost ({settings.min_cause_cost})",
            )
        srcs = self.sources_of(entry, "sources", f"{field}.sources", entry.get("sources"))

        explains: dict[str, tuple[str, ...]] = {}
        raw = self.section(entry, "explains", field)
        if not raw:
            check.problem(
                entry,
                "explains" if "explains" in entry else None,
                f"{field}.explains",
                "explains nothing: no observation or fact could ever support this cause",
            )
        for item, value in raw.items():
            f = f"{field}.explains.{item}"
            if is_atom(item) and self.is_known_atom(item) and not self.is_abnormal_atom(item):
                check.problem(
                    raw, item, f, "a normal rating needs no explanation; list it under `against`"
                )
            elif not (self.is_abnormal_atom(item) or item in self.vocab.facts):
                check.problem(raw, item, f, "unknown observation atom or fact")
            explains[item] = self.sources_of(raw, item, f, value)

        lists: dict[str, list[Weighted]] = {}
        for key in ("against", "more_likely_with", "less_likely_with", "contributes_to"):
            raw = self.section(entry, key, field)
            out = lists[key] = []
            for item in raw:
                f = f"{field}.{key}.{item}"
                if key == "against":
                    ok = self.is_known_atom(item) or (
                        item.startswith(NOT) and item[len(NOT) :] in self.vocab.facts
                    )
                    what = (
                        "an observation atom or not:<fact> (a true fact that weakens a cause "
                        "goes under less_likely_with)"
                    )
                elif key == "contributes_to":
                    ok = item in self.vocab.causes and item != name
                    what = "must name another cause"
                else:
                    ok = item in self.vocab.facts
                    what = "unknown fact"
                if not ok:
                    check.problem(raw, item, f, what)
                w = self.weighted(raw, item, f)
                if w is not None and ok:
                    out.append(w)
            if key == "against":
                for item in set(raw) & set(explains):
                    check.problem(
                        raw,
                        item,
                        f"{field}.against.{item}",
                        "conflicting rules: the cause both explains it and is weakened by it",
                    )
        raw_more = self.section(entry, "more_likely_with", field)
        for fact in set(raw_more) & set(self.section(entry, "less_likely_with", field)):
            check.problem(
                raw_more,
                fact,
                f"{field}.more_likely_with.{fact}",
                "conflicting rules: also listed under less_likely_with",
            )

        excludes = []
        raw = self.section(entry, "excludes", field)
        for other, value in raw.items():
            f = f"{field}.excludes.{other}"
            if other not in self.vocab.causes or other == name:
                check.problem(raw, other, f, "must name another cause")
            else:
                excludes.append(other)
            self.sources_of(raw, other, f, value)
        if cost is None:
            return None
        return Cause(
            name=name,
            cost=cost,
            explains=explains,
            against=tuple(lists["against"]),
            more_likely_with=tuple(lists["more_likely_with"]),
            less_likely_with=tuple(lists["less_likely_with"]),
            contributes_to=tuple(lists["contributes_to"]),
            excludes=tuple(excludes),
            sources=srcs,
        )

    def check_relations(
        self, raw_causes: dict, causes: dict[str, Cause], settings: Settings
    ) -> None:
        check = self.check

        def where(name: str, key: str, item: str) -> tuple[Any, str]:
            section = raw_causes[name].get(key) if isinstance(raw_causes.get(name), dict) else None
            return (section if isinstance(section, dict) else raw_causes), item

        into: dict[str, float] = {}
        for a in causes.values():
            for w in a.contributes_to:
                into[w.item] = into.get(w.item, 0.0) + w.weight
                if w.item in causes and (w.item in a.excludes or a.name in causes[w.item].excludes):
                    container, key = where(a.name, "contributes_to", w.item)
                    check.problem(
                        container,
                        key,
                        f"causes.{a.name}.contributes_to.{w.item}",
                        "conflicting constraints: the two causes also exclude each other",
                    )
        for name, total in into.items():
            if name in causes and causes[name].cost - total < settings.min_cause_cost - 1e-9:
                check.problem(
                    raw_causes[name],
                    "cost",
                    f"causes.{name}.cost",
                    f"contributions into it ({total:g}) would push its cost below "
                    f"min_cause_cost ({settings.min_cause_cost:g})",
                )
        # A causal chain cannot loop back on itself.
        graph = {
            c.name: [w.item for w in c.contributes_to if w.item in causes] for c in causes.values()
        }
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            path.append(node)
            for nxt in graph[node]:
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        container, key = where(node, "contributes_to", nxt)
                        check.problem(
                            container,
                            key,
                            f"causes.{node}.contributes_to.{nxt}",
                            "cycle in contributes_to: " + " -> ".join(cycle + [nxt]),
                        )
                elif state.get(nxt) is None:
                    visit(nxt, path)
            path.pop()
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node, [])

    def parse_groups(self, data: dict, causes: dict[str, Cause]) -> tuple[tuple[str, ...], ...]:
        check = self.check
        raw = data.get("cannot_co_occur") or []
        if not isinstance(raw, list):
            check.problem(data, "cannot_co_occur", "cannot_co_occur", "expected a list")
            return ()
        groups: list[tuple[str, ...]] = []
        for i, entry in enumerate(raw):
            field = f"cannot_co_occur[{i}]"
            if not isinstance(entry, dict):
                check.problem(raw, i, field, "expected {atoms: [...], source: ..., why: ...}")
                continue
            for extra in set(entry) - {"atoms", "source", "why"}:
                check.problem(entry, extra, f"{field}.{extra}", "unknown field")
            atoms = check.need(entry, "atoms", field, list)
            if "source" in entry:
                self.sources_of(entry, "source", f"{field}.source", entry["source"])
            else:
                check.problem(entry, None, f"{field}.source", "missing: cite a source")
            if atoms is None:
                continue
            bad = [a for a in atoms if not isinstance(a, str) or not self.is_abnormal_atom(a)]
            if bad:
                check.problem(
                    entry, "atoms", f"{field}.atoms", f"not abnormal observation atoms: {bad}"
                )
                continue
            names = [split_atom(a)[0] for a in atoms]
            if len(atoms) < 2 or len(set(names)) != len(names):
                check.problem(
                    entry,
                    "atoms",
                    f"{field}.atoms",
                    "needs two or more atoms of different observations "
                    "(one observation has one rating anyway)",
                )
                continue
            group = tuple(sorted(atoms))
            if group in groups:
                check.problem(raw, i, field, "the same group is listed twice")
                continue
            for cause in causes.values():
                if all(a in cause.explains for a in group):
                    check.problem(
                        entry,
                        "atoms",
                        f"{field}.atoms",
                        f"conflicting constraints: cause {cause.name!r} explains all of them, "
                        "but they cannot occur together",
                    )
            groups.append(group)
        return tuple(groups)


def parse(data: Any, filename: str, vocab: Vocabulary) -> KnowledgeBase:
    """Validate loaded YAML (from ``backcare.kernel.yamlfile.load``) into a :class:`KnowledgeBase`."""
    return _Parser(data, filename, vocab).parse()
