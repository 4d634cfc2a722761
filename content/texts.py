"""Patient-facing texts (``texts.yaml``): loaded, validated and filled in.

Texts are addressed by dotted keys (``program.why.atom``). The loader knows every
key the code uses and the placeholders it fills in, so a missing text, a missing
translation or a placeholder typo is an error naming the file, line and field,
not a crash in front of a patient.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.kernel.catalogue import Catalogue, Plural, check_text, is_text
from backcare.kernel.languages import LANGUAGES
from backcare.kernel.translations import load_translated
from backcare.kernel.vocabulary import RATINGS, URGENCIES, vocabulary
from backcare.kernel.yamlfile import Checker

PATH = Path(__file__).with_name("texts.yaml")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATUSES = ("better", "same", "worse")

_F = frozenset
# key -> the placeholders the code fills in.
SPEC: dict[str, frozenset[str]] = {
    "program.why.atom": _F({"cause", "observation", "rating"}),
    "program.why.fact": _F({"cause", "fact"}),
    "program.why.cause": _F({"cause"}),
    "program.why.general": _F(),
    "program.if_worse": _F(),
    "program.notes.dose": _F({"band"}),
    "program.notes.no_pain_score": _F(),
    "program.notes.eased": _F(),
    "program.notes.skipped": _F({"names"}),
    "program.dose.sets_reps": _F({"sets", "reps"}),
    "program.dose.sets": _F({"sets"}),
    "program.dose.hold": _F({"seconds"}),
    "program.dose.minutes": _F({"minutes"}),
    "program.dose.per_side": _F(),
    "program.dose.days": _F({"days"}),
    "program.dose.joiner": _F(),
    "checkin.better": _F({"before", "now"}),
    "checkin.same": _F({"before", "now"}),
    "checkin.worse": _F({"before", "now"}),
    "checkin.worse_again": _F(),
    "checkin.low_adherence": _F({"done", "planned"}),
    "checkin.reassess": _F({"weeks"}),
    "progress.chart.title": _F(),
    "progress.chart.pain": _F(),
    "progress.chart.adherence": _F(),
    "progress.chart.band": _F({"points"}),
    "progress.chart.baseline": _F({"pain"}),
    "progress.chart.empty": _F(),
    "progress.summary.heading": _F(),
    "progress.summary.start": _F({"pain"}),
    "progress.summary.no_start": _F(),
    "progress.summary.none": _F(),
    "progress.summary.latest": _F({"date", "pain", "change", "status"}),
    "progress.summary.range": _F({"count", "first", "last", "low", "high"}),
    "progress.summary.adherence": _F({"percent", "done", "planned"}),
    "progress.summary.mcid": _F({"points", "percent"}),
    "schedule.every_day": _F(),
    "schedule.day_joiner": _F(),
    "schedule.plan": _F({"days", "time", "tz"}),
}
# Groups of free-named texts without placeholders (at least one entry each).
GROUPS = (
    "program.advice.general",
    "program.advice.psychological",
    "program.advice.sitting",
    "program.advice.unexplained",
)


def _keyed() -> dict[str, tuple[str, ...]]:
    """Groups whose entries are named by the code: every name must be there."""
    return {
        "program.cause_labels": tuple(vocabulary().causes),
        "program.ratings": RATINGS,
        "program.notes.band": ("low", "moderate", "severe"),
        "checkin.referral": URGENCIES,
        "progress.summary.status": STATUSES,
        "schedule.weekdays": WEEKDAYS,
    }


def load_texts(path: str | Path | None = None) -> Catalogue:
    path = Path(path or PATH)
    return parse_texts(load_translated(path), str(path))


@lru_cache(maxsize=1)
def default_texts() -> Catalogue:
    return load_texts()


def parse_texts(data: Any, filename: str) -> Catalogue:
    check = Checker(filename)
    if not isinstance(data, dict):
        check.problem(data, None, "", "expected a mapping of sections")
        check.raise_if_any()
    leaves: dict[str, tuple[dict, str]] = {}
    nodes: dict[str, dict] = {}
    _walk(check, data, "", leaves, nodes)
    keyed = _keyed()
    entries: dict[str, dict[str, str]] = {}
    plurals: dict[str, Plural] = {}
    for key, (container, name) in leaves.items():
        parent = key.rsplit(".", 1)[0]
        if key in SPEC:
            expected = SPEC[key]
        elif parent in GROUPS or parent in keyed:
            expected = frozenset()
            if parent in keyed and name not in keyed[parent]:
                check.problem(
                    container,
                    name,
                    key,
                    f"unknown name (expected one of {', '.join(keyed[parent])})",
                )
                continue
        else:
            check.problem(container, name, key, "unknown text (not used by the code: a typo?)")
            continue
        value = container[name]
        if not isinstance(value, dict):
            check.problem(container, name, key, "expected a text in every language")
            continue
        text = check_text(check, value, key, exact=expected, plurals=plurals)
        if text is not None:
            entries[key] = text
    for key in SPEC:
        if key not in leaves:
            check.problem(data, None, key, "missing text")
    for group in GROUPS:
        if not any(k.rsplit(".", 1)[0] == group for k in leaves):
            check.problem(nodes.get(group, data), None, group, "missing texts (need at least one)")
    for group, names in keyed.items():
        for name in names:
            if f"{group}.{name}" not in leaves:
                check.problem(nodes.get(group, data), None, f"{group}.{name}", "missing text")
    check.raise_if_any()
    return Catalogue(entries, plurals)


def _walk(check: Checker, node: dict, prefix: str, leaves: dict, nodes: dict) -> None:
    for name, value in node.items():
        key = f"{prefix}{name}"
        if is_text(value):
            leaves[key] = (node, name)
        elif isinstance(value, dict):
            nodes[key] = value
            _walk(check, value, key + ".", leaves, nodes)
        else:
            check.problem(
                node, name, key, f"expected a text in every language ({', '.join(LANGUAGES)})"
            )
