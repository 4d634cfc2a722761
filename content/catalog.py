"""The exercise catalog (``exercises.yaml``) and its video links (``videos.yaml``), validated.

Every problem is reported with the file, the line and the field, all at once
(:class:`backcare.kernel.yamlfile.DataFileError`), so an admin can fix a file in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.content.types import Dose
from backcare.content.urls import url_problem
from backcare.kernel.catalogue import need_text
from backcare.kernel.translations import load_translated
from backcare.kernel.vocabulary import Vocabulary, vocabulary
from backcare.kernel.yamlfile import Checker, DataFileError, load

EXERCISES_PATH = Path(__file__).with_name("exercises.yaml")
VIDEOS_PATH = Path(__file__).with_name("videos.yaml")

# The order a program runs in: gentle movement and control first, load later.
CATEGORIES = ("relaxation", "mobility", "control", "stretch", "strength", "activity")
# Pain bands (0-10 numeric rating scale), gentlest last.
BANDS = ("low", "moderate", "severe")
REFERRAL_CAUSE = "refer_clinician"

_EXERCISE_KEYS = {
    "category",
    "general",
    "name",
    "instructions",
    "addresses",
    "contraindications",
    "dose",
    "progression",
    "regression",
    "safety",
    "video",
    "sources",
}
_DOSE_LIMITS = {
    "sets": (1, 6),
    "reps": (1, 30),
    "hold_s": (1, 120),
    "minutes": (1, 90),
    "days_per_week": (1, 7),
}


@dataclass(frozen=True)
class Exercise:
    id: str
    category: str
    general: bool  # suits almost anyone: used to fill a short program
    name: dict[str, str]
    instructions: dict[str, str]
    causes: tuple[str, ...]  # vocabulary causes it addresses
    atoms: tuple[str, ...]  # observation atoms that make it a better fit
    facts: tuple[str, ...]  # interview facts that make it a better fit
    contraindications: frozenset[str]  # facts or atoms that rule it out
    dose: dict[str, Dose]  # pain band -> dose
    progression: dict[str, str]
    regression: dict[str, str]
    safety: dict[str, str]
    video: str
    video_url: str
    sources: tuple[str, ...]

    def contraindicated(self, present: frozenset[str] | set[str]) -> frozenset[str]:
        """The patient's facts/atoms that rule this exercise out (empty when it is safe)."""
        return self.contraindications & frozenset(present)


@dataclass(frozen=True)
class Video:
    url: str
    provider: str


@dataclass(frozen=True)
class Catalog:
    exercises: dict[str, Exercise]  # in file order
    videos: dict[str, Video]
    sources: dict[str, str]  # id -> citation

    def addressing(self, cause: str) -> list[Exercise]:
        return [e for e in self.exercises.values() if cause in e.causes]


def load_catalog(
    exercises_path: str | Path | None = None, videos_path: str | Path | None = None
) -> Catalog:
    """Load and validate the catalog. Raises DataFileError listing every problem of both files."""
    exercises_path = Path(exercises_path or EXERCISES_PATH)
    videos_path = Path(videos_path or VIDEOS_PATH)
    problems = []
    videos: dict[str, Video] = {}
    known: set[str] | None = set()
    try:
        check = Checker(str(videos_path))
        videos, known = _parse_videos(check, load(videos_path))
        problems.extend(check.problems)
    except DataFileError as exc:  # unreadable: its ids are unknown, so skip the id check
        problems.extend(exc.problems)
        known = None
    try:
        catalog = parse_catalog(
            load_translated(exercises_path),
            str(exercises_path),
            videos,
            known_videos=known,
            check_videos=known is not None,
        )
    except DataFileError as exc:
        problems.extend(exc.problems)
    if problems:
        raise DataFileError(problems)
    return catalog


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The shipped catalog, loaded once (admins' edits need a restart or an explicit reload)."""
    return load_catalog()


def parse_videos(data: Any, filename: str) -> dict[str, Video]:
    check = Checker(filename)
    videos, _ = _parse_videos(check, data)
    check.raise_if_any()
    return videos


def _parse_videos(check: Checker, data: Any) -> tuple[dict[str, Video], set[str]]:
    """(the good videos, every id named): a bad link is one problem, not one per exercise using it."""
    entries = check.need(data, "videos", "", dict) or {}
    videos: dict[str, Video] = {}
    for vid, entry in entries.items():
        field = f"videos.{vid}"
        if isinstance(entry, str):  # a bare URL is accepted too
            entry_url, provider, where, key = entry, "", entries, vid
        elif isinstance(entry, dict):
            entry_url = check.need(entry, "url", field, str)
            provider = check.need(entry, "provider", field, str, required=False) or ""
            where, key = entry, "url"
            for extra in set(entry) - {"url", "provider"}:
                check.problem(
                    entry, extra, f"{field}.{extra}", "unknown field (expected url, provider)"
                )
            if entry_url is None:
                continue
        else:
            check.problem(entries, vid, field, "expected a URL or {url, provider}")
            continue
        problem = url_problem(entry_url)
        if problem:
            check.problem(
                where, key, f"{field}.url" if key == "url" else field, f"bad video link: {problem}"
            )
            continue
        videos[str(vid)] = Video(url=entry_url, provider=provider)
    return videos, {str(v) for v in entries}


def parse_catalog(
    data: Any,
    filename: str,
    videos: dict[str, Video],
    *,
    known_videos: set[str] | None = None,
    check_videos: bool = True,
    vocab: Vocabulary | None = None,
) -> Catalog:
    """known_videos: every id videos.yaml names, good link or not (default: those in ``videos``)."""
    vocab = vocab or vocabulary()
    known_videos = set(videos) if known_videos is None else known_videos
    check = Checker(filename)
    sources = _parse_sources(check, data)
    entries = check.need(data, "exercises", "", dict) or {}
    atoms = vocab.atoms()
    red_flags = vocab.red_flags()
    exercises: dict[str, Exercise] = {}
    for ex_id, entry in entries.items():
        field = f"exercises.{ex_id}"
        if not isinstance(entry, dict):
            check.problem(entries, ex_id, field, "expected a mapping")
            continue
        before = len(check.problems)
        for extra in set(entry) - _EXERCISE_KEYS:
            check.problem(entry, extra, f"{field}.{extra}", "unknown field")
        category = check.need(entry, "category", field, str)
        if category is not None and category not in CATEGORIES:
            check.problem(
                entry, "category", f"{field}.category", f"must be one of {', '.join(CATEGORIES)}"
            )
        general = check.need(entry, "general", field, bool, required=False) or False
        texts = {
            k: need_text(check, entry, k, field)
            for k in ("name", "instructions", "progression", "regression", "safety")
        }
        causes, ex_atoms, ex_facts = _parse_addresses(check, entry, field, vocab, atoms, red_flags)
        contra = _parse_contraindications(check, entry, field, vocab, atoms)
        dose = _parse_dose(check, entry, field)
        video = check.need(entry, "video", field, str)
        if video is not None and check_videos and video not in known_videos:
            check.problem(
                entry, "video", f"{field}.video", f"missing video {video!r} in videos.yaml"
            )
        cited = check.need(entry, "sources", field, list) or []
        for i, src in enumerate(cited):
            if src not in sources:
                check.problem(cited, i, f"{field}.sources", f"unknown source {src!r}")
        if not cited and "sources" in entry:
            check.problem(entry, "sources", f"{field}.sources", "cite at least one source")
        if len(check.problems) > before:
            continue
        # need_text records a problem whenever it gives None, so every text is here.
        text = {k: v for k, v in texts.items() if v is not None}
        exercises[str(ex_id)] = Exercise(
            id=str(ex_id),
            category=category,
            general=general,
            name=text["name"],
            instructions=text["instructions"],
            causes=causes,
            atoms=ex_atoms,
            facts=ex_facts,
            contraindications=contra,
            dose=dose,
            progression=text["progression"],
            regression=text["regression"],
            safety=text["safety"],
            video=video,
            video_url=videos[video].url if video in videos else "",
            sources=tuple(cited),
        )
    if isinstance(data, dict) and "exercises" in data and not check.problems:
        # Every cause the reasoning may conclude needs something to offer the patient.
        for cause in vocab.causes:
            if cause != REFERRAL_CAUSE and not any(cause in e.causes for e in exercises.values()):
                check.problem(
                    data, "exercises", "exercises", f"no exercise addresses cause {cause!r}"
                )
    check.raise_if_any()
    return Catalog(exercises=exercises, videos=videos, sources=sources)


def _parse_sources(check: Checker, data: Any) -> dict[str, str]:
    raw = check.need(data, "sources", "", dict) or {}
    out = {}
    for key, citation in raw.items():
        if not isinstance(citation, str) or not citation.strip():
            check.problem(raw, key, f"sources.{key}", "expected the citation as text")
        else:
            out[str(key)] = citation
    return out


def _names(check: Checker, container: dict, key: str, field: str) -> list[tuple[int, str]]:
    """(index, name) for a list of names; problems for anything that is not a string."""
    items = check.need(container, key, field, list, required=False)
    if items is None:
        return []
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            out.append((i, item))
        else:
            check.problem(items, i, f"{field}.{key}", f"expected a name, got {type(item).__name__}")
    return out


def _parse_addresses(
    check: Checker,
    entry: dict,
    field: str,
    vocab: Vocabulary,
    atoms: set[str],
    red_flags: dict[str, str],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    addresses = check.need(entry, "addresses", field, dict)
    if addresses is None:
        return (), (), ()
    sub = f"{field}.addresses"
    for extra in set(addresses) - {"causes", "atoms", "facts"}:
        check.problem(
            addresses, extra, f"{sub}.{extra}", "unknown field (expected causes, atoms, facts)"
        )
    if "causes" not in addresses:
        check.problem(addresses, None, f"{sub}.causes", "missing")
    causes, ex_atoms, ex_facts = [], [], []
    for i, cause in _names(check, addresses, "causes", sub):
        if cause == REFERRAL_CAUSE:
            check.problem(
                addresses["causes"], i, f"{sub}.causes", "referral is not treated with exercise"
            )
        elif cause not in vocab.causes:
            check.problem(addresses["causes"], i, f"{sub}.causes", f"unknown cause {cause!r}")
        else:
            causes.append(cause)
    if "causes" in addresses and isinstance(addresses["causes"], list) and not addresses["causes"]:
        check.problem(addresses, "causes", f"{sub}.causes", "name at least one cause")
    for i, atom in _names(check, addresses, "atoms", sub):
        if atom not in atoms:
            check.problem(
                addresses["atoms"],
                i,
                f"{sub}.atoms",
                f"unknown atom {atom!r} (expected observation=rating)",
            )
        else:
            ex_atoms.append(atom)
    for i, fact in _names(check, addresses, "facts", sub):
        if fact not in vocab.facts:
            check.problem(addresses["facts"], i, f"{sub}.facts", f"unknown fact {fact!r}")
        elif fact in red_flags:
            check.problem(
                addresses["facts"],
                i,
                f"{sub}.facts",
                f"{fact!r} is a red flag: it refers, never treats",
            )
        else:
            ex_facts.append(fact)
    return tuple(causes), tuple(ex_atoms), tuple(ex_facts)


def _parse_contraindications(
    check: Checker, entry: dict, field: str, vocab: Vocabulary, atoms: set[str]
) -> frozenset[str]:
    out = set()
    for i, name in _names(check, entry, "contraindications", field):
        if name in vocab.facts or name in atoms:
            out.add(name)
        else:
            check.problem(
                entry["contraindications"],
                i,
                f"{field}.contraindications",
                f"unknown fact or atom {name!r}",
            )
    return frozenset(out)


def _parse_dose(check: Checker, entry: dict, field: str) -> dict[str, Dose]:
    raw = check.need(entry, "dose", field, dict)
    if raw is None:
        return {}
    out: dict[str, Dose] = {}
    for band in BANDS:
        sub = f"{field}.dose.{band}"
        spec = check.need(raw, band, f"{field}.dose", dict)
        if spec is None:
            continue
        ok = True
        for extra in set(spec) - set(_DOSE_LIMITS) - {"per_side"}:
            check.problem(spec, extra, f"{sub}.{extra}", "bad dose: unknown field")
            ok = False
        values: dict[str, int | None] = {}
        for key, (low, high) in _DOSE_LIMITS.items():
            required = key in ("sets", "days_per_week")
            value = check.need(spec, key, sub, int, required=required)
            if key in spec and value is None:
                ok = False
            elif value is not None and not low <= value <= high:
                check.problem(
                    spec, key, f"{sub}.{key}", f"bad dose: must be {low} to {high}, got {value}"
                )
                ok = False
            elif required and value is None:
                ok = False
            values[key] = value
        if values["reps"] is None and values["hold_s"] is None and values["minutes"] is None:
            check.problem(spec, None, sub, "bad dose: give reps, hold_s or minutes")
            ok = False
        per_side = check.need(spec, "per_side", sub, bool, required=False) or False
        sets, days = values["sets"], values["days_per_week"]  # required: None only if not ok
        if ok and sets is not None and days is not None:
            out[band] = Dose(
                sets=sets,
                reps=values["reps"],
                hold_s=values["hold_s"],
                days_per_week=days,
                minutes=values["minutes"],
                per_side=per_side,
            )
    for extra in set(raw) - set(BANDS):
        check.problem(
            raw,
            extra,
            f"{field}.dose.{extra}",
            f"bad dose: unknown pain band (expected {', '.join(BANDS)})",
        )
    # A gentler band must never ask for more work than a harder one.
    for harder, gentler in zip(BANDS, BANDS[1:]):
        if harder in out and gentler in out and volume(out[gentler]) > volume(out[harder]):
            check.problem(
                raw,
                gentler,
                f"{field}.dose.{gentler}",
                f"bad dose: more work than the {harder!r} band ({volume(out[gentler])} > {volume(out[harder])})",
            )
    return out


def volume(dose: Dose) -> int:
    """Work per week in arbitrary units, to compare the bands of one exercise."""
    return (
        dose.sets * (dose.reps or 1) * (dose.hold_s or 1) * (dose.minutes or 1) * dose.days_per_week
    )
