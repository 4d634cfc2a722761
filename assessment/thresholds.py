"""The reference ranges (``thresholds.yaml``): how each observation's value is
computed from vision's measurements, its published range by age and sex, the
camera method's error, and the citation.

Loaded strictly with :mod:`backcare.kernel.yamlfile`; every problem names the file,
the line and the field, and all of them are reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.assessment.population import Population
from backcare.assessment.types import SEXES, Profile
from backcare.kernel.vocabulary import RATINGS, Vocabulary, vocabulary
from backcare.kernel.yamlfile import Checker, load

PATH = Path(__file__).with_name("thresholds.yaml")

# The measurement names vision documents in vision.types.Measurement.
MEASUREMENTS = (
    "trunk_inclination",
    "trunk_thigh_angle",
    "hip_flexion",
    "lumbar_flexion",
    "hip_extension",
    "knee_flexion",
    "reach",
    "lumbar_lordosis",
    "thoracic_kyphosis",
    "pelvic_tilt",
    "head_forward",
    "sway",
    "shoulder_level",
    "pelvis_level",
    "spine_deviation",
    "lateral_bend",
    "trunk_rotation",
    "pelvic_rotation",
)
UNITS = ("deg", "%", "ratio")
OPERATIONS = ("measure", "share", "mean", "difference")
VALUE_OPTIONS = ("abs", "min_total", "min_count", "sides")
SIDES = ("left", "right")


@dataclass(frozen=True)
class Term:
    """One measurement of one capture step, e.g. ``-backward_bend.lumbar_flexion``."""

    step: str
    name: str
    sign: float = 1.0

    def __str__(self) -> str:
        return f"{'-' if self.sign < 0 else ''}{self.step}.{self.name}"


@dataclass(frozen=True)
class ValueSpec:
    """How an observation's value comes from measurements (see thresholds.yaml).

    terms: measure -> (t,); mean -> (t1, t2, ...); difference -> (first, second);
           share -> (part1, rest1, part2, rest2, ...) in pairs
    """

    op: str
    terms: tuple[Term, ...]
    abs: bool = False
    min_total: float = 0.0
    min_count: int = 0  # mean: terms needed (0 = all)
    sides: tuple[str, str] | None = None

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.step for t in self.terms))

    @property
    def pairs(self) -> tuple[tuple[Term, Term], ...]:
        return tuple(zip(self.terms[0::2], self.terms[1::2]))


@dataclass(frozen=True)
class Band:
    """A reference range and the group it holds for (age [from, to), sex)."""

    low: float
    high: float
    age: tuple[int | None, int | None] | None = None
    sex: str | None = None
    source: str | None = None

    def matches(self, profile: Profile) -> bool:
        if self.sex is not None and profile.sex != self.sex:
            return False
        if self.age is not None:
            if profile.age is None:
                return False
            start, end = self.age
            if start is not None and profile.age < start:
                return False
            if end is not None and profile.age >= end:
                return False
        return True

    @property
    def population(self) -> Population:
        return Population(sex=self.sex, age=self.age)


@dataclass(frozen=True)
class Rule:
    """Everything needed to rate one observation."""

    name: str
    value: ValueSpec
    unit: str
    errors: dict[str, float]  # Measurement.method -> error; "default" always present
    below: str
    above: str
    source: str
    note: str
    bands: tuple[Band, ...]

    def band_for(self, profile: Profile) -> Band:
        """The first band matching the profile (the last band matches everyone)."""
        for band in self.bands:
            if band.matches(profile):
                return band
        return self.bands[-1]

    def population(self, band: Band, profile: Profile | None = None) -> Population:
        """Who the band's range holds for, e.g. "age 50-69"; for the catch-all band
        after specific ones, the group it is left with (and what the profile lacked)."""
        if band is not self.bands[-1] or len(self.bands) == 1:
            return band.population
        if profile is not None:
            unknown = [
                what
                for what, missing, used in (
                    ("age", profile.age is None, any(b.age for b in self.bands)),
                    ("sex", profile.sex is None, any(b.sex for b in self.bands)),
                )
                if missing and used
            ]
            if unknown:
                return Population(unknown=tuple(unknown))
        before = self.bands[:-1]
        # Only age bands with a start (and no sex) leave a catch-all that reads "under N".
        starts = [(b.age[0], b.age[1]) for b in before if b.sex is None and b.age is not None]
        bounded = [(start, end) for start, end in starts if start is not None]
        if len(bounded) == len(before):
            start = min(s for s, _ in bounded)
            covered = sorted(bounded, key=lambda r: r[0])
            contiguous = all(covered[i][1] == covered[i + 1][0] for i in range(len(covered) - 1))
            if contiguous and covered[-1][1] is None:
                return Population(age=(None, start))
        return Population(other=True)

    def error_for(self, method: str) -> float:
        return self.errors.get(method, self.errors["default"])

    def ratings(self) -> tuple[str, ...]:
        """The ratings this rule can give, in RATINGS order."""
        return tuple(r for r in RATINGS if r in (self.below, "normal", self.above))


@dataclass(frozen=True)
class Settings:
    min_confidence: float
    partial_confidence: float


@dataclass(frozen=True)
class Thresholds:
    settings: Settings
    rules: dict[str, Rule]


def _term(
    text: Any, vocab: Vocabulary, check: Checker, container: Any, key: Any, field: str
) -> Term | None:
    if not isinstance(text, str):
        check.problem(
            container, key, field, f"expected a term like 'forward_bend.hip_flexion', got {text!r}"
        )
        return None
    sign = -1.0 if text.startswith("-") else 1.0
    step, _, name = text.lstrip("-").partition(".")
    ok = True
    if step not in vocab.movements:
        check.problem(
            container, key, field, f"unknown capture step {step!r} (vocabulary movements)"
        )
        ok = False
    if name not in MEASUREMENTS:
        check.problem(
            container, key, field, f"unknown measurement {name!r} (see vision.types.Measurement)"
        )
        ok = False
    return Term(step, name, sign) if ok else None


def _value(entry: Any, vocab: Vocabulary, check: Checker, field: str) -> ValueSpec | None:
    if not isinstance(entry, dict):
        check.problem(entry, None, field, "expected a mapping")
        return None
    ops = [k for k in entry if k in OPERATIONS]
    for key in entry:
        if key not in OPERATIONS and key not in VALUE_OPTIONS:
            check.problem(
                entry,
                key,
                f"{field}.{key}",
                f"unknown key; use one of {', '.join(OPERATIONS + VALUE_OPTIONS)}",
            )
    if len(ops) != 1:
        check.problem(entry, None, field, f"needs exactly one of {', '.join(OPERATIONS)}")
        return None
    op = ops[0]
    raw = entry[op]
    terms: list[Term | None] = []
    if op == "measure":
        terms = [_term(raw, vocab, check, entry, op, f"{field}.{op}")]
    elif op == "share":
        if not isinstance(raw, list) or not raw:
            check.problem(entry, op, f"{field}.share", "expected a list of [part, rest] pairs")
            return None
        for i, pair in enumerate(raw):
            if not isinstance(pair, list) or len(pair) != 2:
                check.problem(raw, i, f"{field}.share[{i}]", "expected a [part, rest] pair")
                return None
            terms += [_term(t, vocab, check, raw, i, f"{field}.share[{i}]") for t in pair]
    else:
        want = 2 if op == "difference" else None
        if not isinstance(raw, list) or not raw or (want and len(raw) != want):
            check.problem(
                entry,
                op,
                f"{field}.{op}",
                "expected a list of two terms" if want else "expected a list of terms",
            )
            return None
        terms = [_term(t, vocab, check, raw, i, f"{field}.{op}[{i}]") for i, t in enumerate(raw)]
    parts = tuple(t for t in terms if t is not None)
    if len(parts) < len(terms):
        return None
    use_abs = check.need(entry, "abs", field, bool, required=False) or False
    min_total = check.need(entry, "min_total", field, float, required=False) or 0.0
    min_count = check.need(entry, "min_count", field, int, required=False) or 0
    if min_count < 0 or min_count > len(terms) or (min_count and op != "mean"):
        check.problem(
            entry, "min_count", f"{field}.min_count", f"must be 1..{len(terms)} and only with mean"
        )
    if min_total < 0 or (min_total and op != "share"):
        check.problem(entry, "min_total", f"{field}.min_total", "must be >= 0 and only with share")
    raw_sides = check.need(entry, "sides", field, list, required=False)
    sides: tuple[str, str] | None = None
    if raw_sides is not None:
        if sorted(raw_sides) != sorted(SIDES) or op not in ("measure", "difference"):
            check.problem(
                entry,
                "sides",
                f"{field}.sides",
                "must be [left, right] or [right, left], with measure or difference",
            )
        else:
            sides = (raw_sides[0], raw_sides[1])
    return ValueSpec(op, parts, bool(use_abs), float(min_total), int(min_count), sides)


def _errors(entry: Any, check: Checker, field: str) -> dict[str, float] | None:
    raw = check.need(entry, "error", field, (int, float, dict))
    if raw is None:
        return None
    scalar = not isinstance(raw, dict)
    raw = {"default": raw} if scalar else raw
    out: dict[str, float] = {}
    for method, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            where, key = (entry, "error") if scalar else (raw, method)
            check.problem(where, key, f"{field}.error.{method}", "must be a number > 0")
        else:
            out[str(method)] = float(value)
    if "default" not in out:
        check.problem(entry, "error", f"{field}.error", "needs a default")
        return None
    return out


def _band(entry: Any, check: Checker, field: str) -> Band | None:
    if not isinstance(entry, dict):
        check.problem(entry, None, field, "expected a mapping")
        return None
    for key in entry:
        if key not in ("when", "low", "high", "source"):
            check.problem(entry, key, f"{field}.{key}", "unknown key; use when, low, high, source")
    low = check.need(entry, "low", field, float)
    high = check.need(entry, "high", field, float)
    source = check.need(entry, "source", field, str, required=False)
    if low is not None and high is not None and not low < high:
        check.problem(entry, "high", f"{field}.high", f"must be above low ({low})")
    when = check.need(entry, "when", field, dict, required=False) or {}
    age = sex = None
    for key in when:
        if key not in ("age", "sex"):
            check.problem(when, key, f"{field}.when.{key}", "unknown condition; use age or sex")
    if "sex" in when:
        sex = when["sex"]
        if sex not in SEXES:
            check.problem(when, "sex", f"{field}.when.sex", f"must be one of {', '.join(SEXES)}")
    if "age" in when:
        raw = when["age"]
        if (
            not isinstance(raw, list)
            or len(raw) != 2
            or any(v is not None and (isinstance(v, bool) or not isinstance(v, int)) for v in raw)
            or raw == [None, None]
            or (None not in raw and not raw[0] < raw[1])
        ):
            check.problem(
                when,
                "age",
                f"{field}.when.age",
                "must be [from, to) in whole years, null for open, from < to",
            )
        else:
            age = (raw[0], raw[1])
    if low is None or high is None:
        return None
    return Band(low, high, age, sex, source)


def parse(data: Any, filename: str, vocab: Vocabulary | None = None) -> Thresholds:
    vocab = vocab or vocabulary()
    check = Checker(filename)
    settings_raw = check.need(data, "settings", "", dict) or {}
    min_conf = check.need(settings_raw, "min_confidence", "settings", float)
    partial = check.need(settings_raw, "partial_confidence", "settings", float)
    for key, value in (("min_confidence", min_conf), ("partial_confidence", partial)):
        if value is not None and not 0 <= value <= 1:
            check.problem(settings_raw, key, f"settings.{key}", "must be between 0 and 1")
    entries = check.need(data, "observations", "", dict) or {}
    rules: dict[str, Rule] = {}
    for name, entry in entries.items():
        field = f"observations.{name}"
        if name not in vocab.observations:
            check.problem(
                entries, name, field, "not an observation of backcare/kernel/vocabulary.yaml"
            )
            continue
        if not isinstance(entry, dict):
            check.problem(entries, name, field, "expected a mapping")
            continue
        for key in entry:
            if key not in ("value", "unit", "error", "below", "above", "source", "note", "bands"):
                check.problem(entry, key, f"{field}.{key}", "unknown key")
        spec = (
            _value(entry.get("value"), vocab, check, f"{field}.value") if "value" in entry else None
        )
        if "value" not in entry:
            check.problem(entry, None, f"{field}.value", "missing")
        movement = vocab.observations[name].movement
        if spec is not None and movement not in spec.steps:
            check.problem(
                entry,
                "value",
                f"{field}.value",
                f"the vocabulary measures this on {movement!r}, but the value does not use that step",
            )
        unit = check.need(entry, "unit", field, str)
        if unit is not None and unit not in UNITS:
            check.problem(entry, "unit", f"{field}.unit", f"must be one of {', '.join(UNITS)}")
        errors = _errors(entry, check, field)
        sides: dict[str, str | None] = {}
        for side in ("below", "above"):
            sides[side] = check.need(entry, side, field, str)
            if sides[side] is not None and sides[side] not in RATINGS:
                check.problem(
                    entry, side, f"{field}.{side}", f"must be one of {', '.join(RATINGS)}"
                )
        if sides["below"] == sides["above"] and sides["below"] is not None:
            check.problem(entry, "above", f"{field}.above", "below and above must rate differently")
        source = check.need(entry, "source", field, str)
        note = check.need(entry, "note", field, str, required=False) or ""
        raw_bands = check.need(entry, "bands", field, list)
        bands: list[Band] = []
        if raw_bands is not None:
            if not raw_bands:
                check.problem(entry, "bands", f"{field}.bands", "needs at least one band")
            for i, raw in enumerate(raw_bands):
                band = _band(raw, check, f"{field}.bands[{i}]")
                if band is not None:
                    bands.append(band)
            if bands and (bands[-1].age is not None or bands[-1].sex is not None):
                check.problem(
                    raw_bands,
                    len(raw_bands) - 1,
                    f"{field}.bands[{len(raw_bands) - 1}]",
                    "the last band must have no condition (it holds for all adults)",
                )
        below, above = sides["below"], sides["above"]
        if spec is None or errors is None or unit is None or source is None or not bands:
            continue
        if below is None or above is None:
            continue
        rules[name] = Rule(name, spec, unit, errors, below, above, source, note, tuple(bands))
    for name in vocab.observations:
        if name not in entries:
            check.problem(
                entries,
                None,
                f"observations.{name}",
                "missing: every vocabulary observation needs a rule",
            )
    check.raise_if_any()
    return Thresholds(Settings(min_conf, partial), rules)


def load_thresholds(path: str | Path = PATH, vocab: Vocabulary | None = None) -> Thresholds:
    """Read and validate a thresholds file. Raises DataFileError naming file, line, field."""
    return parse(load(path), str(path), vocab)


@lru_cache(maxsize=1)
def thresholds() -> Thresholds:
    """The project's thresholds, loaded once."""
    return load_thresholds()
