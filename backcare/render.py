"""Write a Report for people and machines: plain text, Markdown, HTML and JSON.

Pure functions from a Report to strings; the CLI writes them to files. Every
piece of text that may come from a user or a data file is escaped for HTML.
"""

from __future__ import annotations

import dataclasses
import enum
import html
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from backcare.report import Report
from backcare.vocabulary import LANGUAGES, vocabulary
from backcare.yamlfile import Checker, load

TEXTS_PATH = Path(__file__).with_name("report_texts.yaml")


@lru_cache(maxsize=1)
def texts() -> dict[str, dict]:
    data = load(TEXTS_PATH)
    check = Checker(str(TEXTS_PATH))
    english = check.need(data, "en", "", dict) or {}
    for lang in LANGUAGES:
        table = check.need(data, lang, "", dict) or {}
        for key in english:
            if key not in table:
                check.problem(table, None, f"{lang}.{key}", "missing translation")
    check.raise_if_any()
    return data


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "en"


def _t(language: str, key: str, **values: Any) -> str:
    return str(texts()[_lang(language)][key]).format(**values)


def reason_text(reason: str, detail: str, language: str) -> str:
    table = texts()[_lang(language)]["reasons"]
    return str(table.get(reason, reason)).format(detail=detail)


def step_name(step: str, language: str) -> str:
    term = vocabulary().movements.get(step)
    return term.text[_lang(language)] if term else step


def cause_text(cause: str, language: str) -> str:
    term = vocabulary().causes.get(cause)
    return term.text[_lang(language)] if term else cause


def atom_text(atom: str, language: str) -> str:
    """Plain words for an observation atom or an interview fact."""
    vocab = vocabulary()
    lang = _lang(language)
    if atom.startswith("not:"):  # an interview fact the patient denied
        return _t(lang, "denied", text=atom_text(atom[4:], lang))
    if "=" in atom:
        name, rating = atom.split("=", 1)
        term = vocab.observations.get(name)
        rating_text = texts()[lang]["ratings"].get(rating, rating)
        return f"{term.text[lang] if term else name}: {rating_text}"
    term = vocab.facts.get(atom)
    return term.text[lang] if term else atom


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _dose(language: str, item: Any) -> str:
    """The dose in words: content writes it (reps, holds, minutes, per side); a fallback otherwise."""
    if item.dose_text.get(language):
        return item.dose_text[language]
    dose = item.dose
    if dose.reps:
        return _t(language, "dose_reps", sets=dose.sets, reps=dose.reps, days=dose.days_per_week)
    return _t(language, "dose_hold", sets=dose.sets, hold=dose.hold_s, days=dose.days_per_week)


def sections(report: Report) -> list[tuple[str, list[str]]]:
    """The report as (heading, lines) pairs, shared by every text format."""
    lang = _lang(report.language)
    out: list[tuple[str, list[str]]] = []
    if report.referral:
        out.append(("", [_t(lang, f"referral_{report.referral}")]))

    causes: list[str] = []
    for rank, expl in enumerate(report.diagnosis.explanations, start=1):
        text = " + ".join(cause_text(c, lang) for c in expl.causes) or "-"
        causes.append(
            _t(lang, "cause_line", rank=rank, text=text, pct=round(100 * expl.plausibility))
        )
        support = sorted({a for atoms in expl.evidence.values() for a in atoms})
        if support:
            causes.append(
                f"   {_t(lang, 'evidence')}: " + "; ".join(atom_text(a, lang) for a in support)
            )
        if expl.against:
            causes.append(
                f"   {_t(lang, 'against')}: " + "; ".join(atom_text(a, lang) for a in expl.against)
            )
    if causes:
        out.append((_t(lang, "causes"), causes))

    findings = [
        o.explanation.get(lang) or o.explanation.get("en", "")
        for o in report.observations
        if o.rating != "not_assessed"
    ]
    out.append((_t(lang, "findings"), [f for f in findings if f] or [_t(lang, "no_findings")]))

    if report.program is not None:
        lines = []
        for i, item in enumerate(report.program.exercises, start=1):
            lines.append(f"{i}. {item.name[lang]} - {_dose(lang, item)}")
            lines.append(f"   {item.why[lang]}")
            lines.append(f"   {_t(lang, 'video')}: {item.video_url}")
        out.append((_t(lang, "program"), lines))
        out.append((_t(lang, "advice"), list(report.program.advice.get(lang, ()))))
        out.append((_t(lang, "if_worse"), [report.program.if_worse.get(lang, "")]))

    photo_lines = []
    seen = {p.step for p in report.photos}
    for p in report.photos:
        if p.accepted:
            photo_lines.append(_t(lang, "photo_ok", step=step_name(p.step, lang), view=p.view))
        else:
            photo_lines.append(
                _t(
                    lang,
                    "photo_refused",
                    step=f"{step_name(p.step, lang)} ({p.source})",
                    reason=reason_text(p.reason or "", p.detail, lang),
                )
            )
    for step in vocabulary().movements:
        if step not in seen:
            photo_lines.append(_t(lang, "photo_missing", step=step_name(step, lang)))
    out.append((_t(lang, "photos"), photo_lines))

    clinician = []
    for o in report.observations:
        if o.rating == "not_assessed":
            continue
        low, high = o.normal_range if o.normal_range else (None, None)
        clinician.append(
            _t(
                lang,
                "value_line",
                name=o.name,
                value=_fmt(o.value),
                unit=o.unit,
                low=_fmt(low),
                high=_fmt(high),
                source=o.source,
                rating=o.rating,
                conf=f"{o.confidence:.2f}",
            )
        )
    d = report.diagnosis
    clinician.append(
        f"solver: {d.solver}, {d.solve_ms:.1f} ms; facts: {', '.join(report.facts) or '-'}"
    )
    if report.scores:
        clinician.append(
            "scores: " + ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(report.scores.items()))
        )
    out.append((_t(lang, "clinician"), clinician))
    out.append(("", [_t(lang, "disclaimer")]))
    return out


def to_text(report: Report) -> str:
    lines = [_t(report.language, "title"), "=" * len(_t(report.language, "title"))]
    for heading, body in sections(report):
        lines.append("")
        if heading:
            lines += [heading, "-" * len(heading)]
        lines += body
    return "\n".join(lines) + "\n"


def to_markdown(report: Report, images: dict[str, str] | None = None) -> str:
    lines = [f"# {_t(report.language, 'title')}", f"_{report.created}_"]
    for heading, body in sections(report):
        lines.append("")
        if heading:
            lines.append(f"## {heading}")
        lines += [line if line.startswith("   ") else f"- {line}" for line in body]
    for step, path in (images or {}).items():
        lines += ["", f"![{step_name(step, report.language)}]({path})"]
    return "\n".join(lines) + "\n"


def to_html(report: Report, images: dict[str, str] | None = None) -> str:
    esc = html.escape
    parts = [
        "<!doctype html>",
        f'<html lang="{esc(_lang(report.language))}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(_t(report.language, 'title'))}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:auto;padding:1rem;line-height:1.45}"
        "img{max-width:100%;height:auto;border-radius:6px}figure{margin:1rem 0}</style></head><body>",
        f"<h1>{esc(_t(report.language, 'title'))}</h1><p><small>{esc(report.created)}</small></p>",
    ]
    for heading, body in sections(report):
        if heading:
            parts.append(f"<h2>{esc(heading)}</h2>")
        parts.append("<ul>" + "".join(f"<li>{esc(line.strip())}</li>" for line in body) + "</ul>")
    for step, path in (images or {}).items():
        parts.append(
            f'<figure><img src="{esc(path)}" alt="{esc(step)}">'
            f"<figcaption>{esc(step_name(step, report.language))}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "annotated_jpeg"
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return None
    return value


def to_json(report: Report) -> str:
    """Machine-readable report (no pictures: those are written as separate files)."""
    return json.dumps(_plain(report), ensure_ascii=False, indent=2, allow_nan=False, default=str)
