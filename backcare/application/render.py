"""Write a Report for people and machines: plain text, Markdown, HTML and JSON.

Pure functions from a Report to strings; the CLI writes them to files. Every
piece of text that may come from a user or a data file is escaped for HTML.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import html
import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from backcare.assessment.population import TEMPLATES, Population
from backcare.kernel.catalogue import Catalogue, parse_catalogue
from backcare.kernel.languages import DEFAULT, language, supported
from backcare.kernel.translations import load_translated
from backcare.kernel.units import limit, plus_minus
from backcare.kernel.vocabulary import vocabulary
from backcare.report.causes import POSSIBLE, causes_of, is_headline, patient_causes
from backcare.report.types import Report
from backcare.vision.errors import Reason

TEXTS_PATH = Path(__file__).with_name("report_texts.yaml")


@lru_cache(maxsize=1)
def texts() -> Catalogue:
    """The report's catalogue: every word the report writes, in every language."""
    required = [f"population.{k}" for k in TEMPLATES] + [f"reasons.{r.value}" for r in Reason]
    fills = {f"population.{k}": frozenset(v) for k, v in TEMPLATES.items()}
    return parse_catalogue(
        load_translated(TEXTS_PATH), str(TEXTS_PATH), required=required, fills=fills
    )


def _word(language: str, table: str, name: str) -> str:
    """A word of one of the report's tables (ratings, views, parts, scores), else the name."""
    key = f"{table}.{name}"
    return texts().get(key, _lang(language)) if texts().has(key) else name


def _lang(language: str) -> str:
    return supported(language)


def _t(language: str, key: str, **values: Any) -> str:
    return texts().get(key, _lang(language), **values)


def reason_text(reason: str, detail: str, language: str) -> str:
    key = f"reasons.{reason}"
    return texts().get(key, _lang(language), detail=detail) if texts().has(key) else reason


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
        rating_text = _word(lang, "ratings", rating)
        return _t(lang, "label", label=term.text[lang] if term else name) + rating_text
    term = vocab.facts.get(atom)
    return term.text[lang] if term else atom


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def view_text(view: str | None, language: str) -> str:
    return _word(language, "view", view) if view else ""


def _reason(p: Any, lang: str) -> str:
    detail = p.detail
    if p.reason == "cropped":  # vision names the parts cut off: say them in the language
        detail = _t(lang, "part_joiner").join(
            _word(lang, "parts", x) for x in p.detail.split(",") if x
        )
    return reason_text(p.reason or "", detail, lang)


def _observation_words(report: Report, atom: str, lang: str) -> str:
    """The patient's sentence for a photo finding (what the photo showed), else plain words."""
    name = atom.split("=", 1)[0]
    for o in report.observations:
        if o.name == name and o.atom == atom and o.explanation.get(lang):
            return o.explanation[lang]
    return atom_text(atom, lang)


def cause_lines(report: Report) -> tuple[str, list[str]]:
    """The heading and lines of the causes section a patient reads (never empty)."""
    lang = _lang(report.language)
    d = report.diagnosis
    shown = [
        c
        for c in causes_of(report)
        if c.cause in vocabulary().causes and c.cause != "refer_clinician"
    ]
    likely = [c for c in shown if is_headline(c)]
    # every cause the program works on is named, however long a shot it is
    addressed = set(report.program.causes) if report.program is not None else set()
    possible = [
        c for c in shown if c not in likely and (c.plausibility >= POSSIBLE or c.cause in addressed)
    ]
    lines: list[str] = []
    if likely:
        heading, main, extra = _t(lang, "causes_likely"), likely, possible
    elif possible:
        heading, main, extra = _t(lang, "causes_possible"), possible, []
    else:
        heading, main, extra = _t(lang, "causes_likely"), [], []
        lines.append(_t(lang, "nothing_stands_out"))
    for c in main:
        lines.append(f"• {cause_text(c.cause, lang)}")
        if c.supports:
            lines.append(
                f"   {_t(lang, 'label', label=_t(lang, 'supported_by'))}"
                + _t(lang, "list_joiner").join(atom_text(a, lang) for a in c.supports)
            )
        if c.photo_against:
            lines.append(
                f"   {_t(lang, 'label', label=_t(lang, 'not_in_photos'))}"
                + language(lang).join(_observation_words(report, a, lang) for a in c.photo_against)
            )
        if c.not_assessed:
            names = sorted({a.split("=", 1)[0] for a in c.not_assessed})
            lines.append(
                f"   {_t(lang, 'label', label=_t(lang, 'not_checked'))}"
                + _t(lang, "list_joiner").join(
                    vocabulary().observations[n].text[lang] for n in names
                )
            )
        if c.borderline:
            names = sorted({a.split("=", 1)[0] for a in c.borderline})
            lines.append(
                f"   {_t(lang, 'label', label=_t(lang, 'too_close'))}"
                + _t(lang, "list_joiner").join(
                    vocabulary().observations[n].text[lang] for n in names
                )
            )
    if extra:
        lines.append(
            f"{_t(lang, 'label', label=_t(lang, 'also_possible'))}"
            + _t(lang, "list_joiner").join(cause_text(c.cause, lang) for c in extra)
        )
    if report.referral == "unexplained" and d.unexplained:
        items = _t(lang, "list_joiner").join(atom_text(a, lang) for a in d.unexplained)
        lines.append(_t(lang, "unexplained", items=items))
    return heading, lines


def finding_groups(report: Report, steps: set[str] | None = None) -> list[tuple[str, list[str]]]:
    """The photo findings as (group heading, sentences): unusual, borderline, usual, and
    what a photo cannot measure finely enough for its range (named, not rated).
    ``steps``: only the observations measured on these capture steps' movements."""
    lang = _lang(report.language)
    groups: dict[str, list[str]] = {"unusual": [], "borderline": [], "usual": [], "imprecise": []}
    for o in report.observations:
        if steps is not None and _group_of(o.name) not in {_step_group(s) for s in steps}:
            continue
        if o.rating == "not_assessed":
            if o.reason == "imprecise":
                name = vocabulary().observations[o.name].text
                words = name.get(lang) or name.get(DEFAULT, o.name)
                groups["imprecise"].append(language(lang).sentence_case(words))
            continue
        text = o.explanation.get(lang) or o.explanation.get(DEFAULT, "")
        if not text:
            continue
        kind = "usual" if o.rating == "normal" else o.rating
        groups[
            "borderline" if kind == "borderline" else "usual" if kind == "usual" else "unusual"
        ].append(text)
    return [(_t(lang, f"findings_{k}"), v) for k, v in groups.items() if v]


def _step_group(step: str) -> str:
    """Capture steps whose findings belong together: the standing views apart, each side of
    a two-sided movement together."""
    term = vocabulary().movements.get(step)
    if term is None:
        return step
    return step if term.expects == "standing" else str(term.expects)


def _group_of(observation: str) -> str:
    term = vocabulary().observations.get(observation)
    return _step_group(term.movement) if term and term.movement else observation


def population_text(population: str, language: str) -> str:
    """The reference group (stored in its canonical form) in the report's language."""
    parsed = Population.parse(population)
    if parsed is None:
        return population
    lang = _lang(language)
    return parsed.words({k: texts().template(f"population.{k}", lang) for k in TEMPLATES})


def _value(o: Any, lang: str) -> str:
    return plus_minus(o.value, o.uncertainty, o.unit, lang)


def _range(o: Any, lang: str) -> str:
    if not o.normal_range:
        return "-"
    return f"{limit(o.normal_range[0], o.unit, lang)} – {limit(o.normal_range[1], o.unit, lang)}"


def _dose(language: str, item: Any) -> str:
    """The dose in words: content writes it (reps, holds, minutes, per side); a fallback otherwise."""
    if item.dose_text.get(language):
        return item.dose_text[language]
    dose = item.dose
    if dose.reps:
        return _t(language, "dose_reps", sets=dose.sets, reps=dose.reps, days=dose.days_per_week)
    return _t(language, "dose_hold", sets=dose.sets, hold=dose.hold_s, days=dose.days_per_week)


def clinician_rows(report: Report) -> list[list[str]]:
    """One row per rated observation: measure, value ± u, usual range, group, rating, confidence, source."""
    lang = _lang(report.language)
    vocab = vocabulary()
    rows = []
    for o in report.observations:
        if o.rating == "not_assessed":
            continue
        term = vocab.observations.get(o.name)
        rating = _word(lang, "ratings", o.rating)
        if o.rating == "borderline" and o.leaning:
            rating = _t(lang, "leaning", rating=rating, leaning=_word(lang, "ratings", o.leaning))
        rows.append(
            [
                term.text[lang] if term else o.name,
                _value(o, lang),
                _range(o, lang),
                population_text(o.population, lang),
                rating,
                language(lang).decimal(round(o.confidence, 2), 2),
                o.source,
            ]
        )
    return rows


def _facts_text(report: Report) -> str:
    lang = _lang(report.language)
    return _t(lang, "list_joiner").join(atom_text(f, lang) for f in report.facts) or "-"


def _scores_text(report: Report) -> str:
    lang = _lang(report.language)
    return _t(lang, "list_joiner").join(
        f"{_word(lang, 'scores', k)}: {_fmt(v)}" for k, v in sorted(report.scores.items())
    )


def sections(report: Report) -> list[tuple[str, list[str]]]:
    """The report as (heading, lines) pairs, shared by the text formats."""
    lang = _lang(report.language)
    out: list[tuple[str, list[str]]] = []
    if report.referral and report.referral != "unexplained":
        out.append(("", [_t(lang, f"referral_{report.referral}")]))
    if patient_causes(report):
        out.append(cause_lines(report))

    findings: list[str] = []
    for heading, items in finding_groups(report):
        findings.append(_t(lang, "label", label=heading).rstrip())
        findings += [f"   {t}" for t in items]
    out.append((_t(lang, "findings"), findings or [_t(lang, "no_findings")]))

    if report.program is not None:
        lines = []
        for i, item in enumerate(report.program.exercises, start=1):
            lines.append(f"{i}. {item.name[lang]} - {_dose(lang, item)}")
            lines.append(f"   {item.why[lang]}")
            lines.append(f"   {_t(lang, 'label', label=_t(lang, 'video'))}{item.video_url}")
        out.append((_t(lang, "program"), lines))
        out.append((_t(lang, "advice"), list(report.program.advice.get(lang, ()))))
        out.append((_t(lang, "if_worse"), [report.program.if_worse.get(lang, "")]))

    out.append((_t(lang, "photos"), _photo_lines(report)))

    clinician = [" | ".join(row) for row in clinician_rows(report)]
    d = report.diagnosis
    if causes_of(report):
        clinician.append(_t(lang, "clinician_plausibility"))
    for c in causes_of(report):
        clinician.append(
            _t(lang, "label", label=cause_text(c.cause, lang))
            + f"{round(100 * c.plausibility)}%"
            + (
                _t(lang, "list_joiner")
                + _t(lang, "label", label=_t(lang, "col_against"))
                + _t(lang, "list_joiner").join(
                    atom_text(a, lang) for a in c.photo_against + c.against
                )
                if c.photo_against or c.against
                else ""
            )
        )
    clinician.append(f"{_t(lang, 'label', label=_t(lang, 'clinician_facts'))}{_facts_text(report)}")
    if report.scores:
        clinician.append(
            f"{_t(lang, 'label', label=_t(lang, 'clinician_scores'))}{_scores_text(report)}"
        )
    clinician.append(_t(lang, "clinician_solver", solver=d.solver, ms=f"{d.solve_ms:.1f}"))
    out.append((_t(lang, "clinician"), clinician))
    out.append(("", [_t(lang, "disclaimer")]))
    return out


def _photo_lines(report: Report) -> list[str]:
    lang = _lang(report.language)
    photo_lines = []
    seen = {p.step for p in report.photos}
    for p in report.photos:
        if p.accepted:
            photo_lines.append(
                _t(lang, "photo_ok", step=step_name(p.step, lang), view=view_text(p.view, lang))
            )
        else:
            photo_lines.append(
                _t(
                    lang,
                    "photo_refused",
                    step=f"{step_name(p.step, lang)} ({p.source})",
                    reason=_reason(p, lang),
                )
            )
    for step in vocabulary().movements:
        if step not in seen:
            photo_lines.append(_t(lang, "photo_missing", step=step_name(step, lang)))
    return photo_lines


def _width(text: str) -> int:
    """Columns a terminal gives the text (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_text(report: Report) -> str:
    title = _t(report.language, "title")
    lines = [title, "=" * _width(title)]
    for heading, body in sections(report):
        lines.append("")
        if heading:
            lines += [heading, "-" * _width(heading)]
        lines += body
    return "\n".join(lines) + "\n"


CLINICIAN_COLUMNS = (
    "col_measure",
    "col_value",
    "col_range",
    "col_group",
    "col_rating",
    "col_confidence",
    "col_source",
)


def to_markdown(report: Report, images: dict[str, str] | None = None) -> str:
    lang = _lang(report.language)
    lines = [f"# {_t(report.language, 'title')}", f"_{report.created}_"]
    for heading, body in sections(report):
        lines.append("")
        if heading:
            lines.append(f"## {heading}")
        if heading == _t(lang, "clinician"):  # the measurements as a table
            rows = clinician_rows(report)
            head = [_t(lang, k) for k in CLINICIAN_COLUMNS]
            lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
            lines.append("")
            body = body[len(rows) :]
        for line in body:  # details of an item as a nested list, each on its own line
            if line.startswith("   "):
                lines.append(f"    - {line.strip()}")
            else:
                lines.append(f"- {line.removeprefix('• ')}")
    for step, path in (images or {}).items():
        lines += ["", f"![{step_name(step, report.language)}]({path})"]
    return "\n".join(lines) + "\n"


CSS = """
:root{--ink:#1d2530;--muted:#5a6573;--line:#d8dde3;--accent:#0b6bcb;--warn:#9a5b00}
body{font-family:system-ui,"Noto Sans CJK JP","Noto Sans JP",sans-serif;color:var(--ink);
 max-width:60rem;margin:auto;padding:1rem 1.25rem;line-height:1.5}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;
 border-bottom:2px solid var(--line);padding-bottom:.2rem}h3{font-size:1.05rem;margin:.6rem 0 .3rem}
a{color:var(--accent)}.muted{color:var(--muted)}.referral{background:#fff3e0;border-left:4px solid
 var(--warn);padding:.6rem .9rem}.cause{margin:.4rem 0 .8rem}.cause .name{font-weight:600}
.cause .detail{margin:.1rem 0 .1rem 1.2rem;color:var(--muted)}
.finding{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.2fr);gap:1.2rem;
 align-items:start;margin:1rem 0;break-inside:avoid}
.finding img{width:100%;height:auto;border-radius:6px;display:block}
.finding figure{margin:0}.finding figcaption{font-size:.9rem;color:var(--muted)}
.finding ul{margin:.2rem 0 .6rem;padding-left:1.2rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.4rem 0 1rem}
th,td{border:1px solid var(--line);padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f2f4f7}td.num{white-space:nowrap}
ol.program li{margin:.4rem 0}
@media (max-width:640px){.finding{grid-template-columns:1fr}}
@media print{body{max-width:none;font-size:10.5pt}a{color:inherit}
 a[href^="http"]::after{content:" (" attr(href) ")";font-size:.8em;word-break:break-all}
 h2{break-after:avoid}.finding,tr{break-inside:avoid}}
"""


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _link(text: str) -> str:
    """Plain text with any http(s) address made a link (text escaped)."""
    out = []
    for i, part in enumerate(re.split(r"(https?://[^\s<>\"]+)", text)):
        out.append(
            f'<a href="{html.escape(part)}">{html.escape(part)}</a>' if i % 2 else html.escape(part)
        )
    return "".join(out)


def _table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    esc = html.escape
    return (
        f'<table class="{cls}"><thead><tr>'
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join("<tr>" + "".join(f"<td>{_link(c)}</td>" for c in row) + "</tr>" for row in rows)
        + "</tbody></table>"
    )


def to_html(report: Report, images: dict[str, str] | None = None) -> str:
    """One self-contained page: pictures embedded (data URIs) beside their findings, the
    clinician's part as tables, links clickable, print-friendly. ``images`` (step -> file
    name) is used only for a photo whose annotated picture is not in memory."""
    esc = html.escape
    lang = _lang(report.language)
    vocab = vocabulary()
    parts = [
        "<!doctype html>",
        f'<html lang="{esc(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(_t(lang, 'title'))}</title><style>{CSS}</style></head><body>",
        f'<h1>{esc(_t(lang, "title"))}</h1><p class="muted">{esc(report.created)}</p>',
    ]
    if report.referral and report.referral != "unexplained":
        parts.append(f'<p class="referral">{esc(_t(lang, f"referral_{report.referral}"))}</p>')
    if patient_causes(report):
        heading, lines = cause_lines(report)
        parts.append(f'<section id="causes"><h2>{esc(heading)}</h2>')
        open_cause = False
        for line in lines:
            if line.startswith("   ") and open_cause:  # a cause's detail
                parts.append(f'<div class="detail">{esc(line.strip())}</div>')
                continue
            if open_cause:
                parts.append("</div>")
                open_cause = False
            if line.startswith("• "):
                parts.append(f'<div class="cause"><div class="name">{esc(line[2:])}</div>')
                open_cause = True
            else:
                parts.append(f"<p>{esc(line)}</p>")
        if open_cause:
            parts.append("</div>")
        parts.append("</section>")

    # each movement's pictures beside its findings
    parts.append(f'<section id="findings"><h2>{esc(_t(lang, "findings"))}</h2>')
    accepted = [p for p in report.photos if p.accepted]
    groups: dict[str, list[Any]] = {}
    for p in accepted:
        groups.setdefault(_step_group(p.step), []).append(p)
    any_finding = False
    for key, photos in groups.items():
        figures = []
        for p in photos:
            src = _data_uri(p.annotated_jpeg) if p.annotated_jpeg else (images or {}).get(p.step)
            if src:
                figures.append(
                    f'<figure><img src="{esc(src)}" alt="{esc(step_name(p.step, lang))}">'
                    f"<figcaption>{esc(step_name(p.step, lang))} ({esc(view_text(p.view, lang))})"
                    "</figcaption></figure>"
                )
        groups_text = finding_groups(report, {p.step for p in photos})
        body = "".join(
            f"<h3>{esc(h)}</h3><ul>" + "".join(f"<li>{esc(t)}</li>" for t in items) + "</ul>"
            for h, items in groups_text
        )
        any_finding = any_finding or bool(groups_text)
        parts.append(
            f'<div class="finding" data-step="{esc(key)}"><div class="pictures">'
            + "".join(figures)
            + f'</div><div class="findings">{body}</div></div>'
        )
    if not any_finding:
        parts.append(f"<p>{esc(_t(lang, 'no_findings'))}</p>")
    parts.append("</section>")

    if report.program is not None:
        parts.append(
            f'<section id="program"><h2>{esc(_t(lang, "program"))}</h2><ol class="program">'
        )
        for item in report.program.exercises:
            parts.append(
                f"<li><strong>{esc(item.name[lang])}</strong> – {esc(_dose(lang, item))}<br>"
                f"{esc(item.why[lang])}<br>"
                f'<a href="{esc(item.video_url)}">{esc(_t(lang, "video"))}</a></li>'
            )
        parts.append("</ol>")
        parts.append(
            f"<h3>{esc(_t(lang, 'advice'))}</h3><ul>"
            + "".join(f"<li>{esc(a)}</li>" for a in report.program.advice.get(lang, ()))
            + "</ul>"
        )
        parts.append(
            f"<h3>{esc(_t(lang, 'if_worse'))}</h3><p>{esc(report.program.if_worse.get(lang, ''))}</p>"
        )
        parts.append("</section>")

    parts.append(
        f'<section id="photos"><h2>{esc(_t(lang, "photos"))}</h2><ul>'
        + "".join(f"<li>{esc(line)}</li>" for line in _photo_lines(report))
        + "</ul></section>"
    )

    d = report.diagnosis
    parts.append(f'<section id="clinician"><h2>{esc(_t(lang, "clinician"))}</h2>')
    parts.append(
        _table(
            [_t(lang, k) for k in CLINICIAN_COLUMNS],
            clinician_rows(report),
            "measurements",
        )
    )
    if causes_of(report):
        parts.append(f"<h3>{esc(_t(lang, 'clinician_causes'))}</h3>")
        parts.append(
            _table(
                [
                    _t(lang, k)
                    for k in ("col_cause", "col_plausibility", "col_supports", "col_against")
                ],
                [
                    [
                        cause_text(c.cause, lang),
                        f"{round(100 * c.plausibility)}%",
                        _t(lang, "list_joiner").join(atom_text(a, lang) for a in c.supports),
                        _t(lang, "list_joiner").join(
                            atom_text(a, lang) for a in c.photo_against + c.against
                        ),
                    ]
                    for c in causes_of(report)
                ],
                "causes",
            )
        )
        parts.append(f'<p class="muted">{esc(_t(lang, "clinician_plausibility"))}</p>')
    if d.explanations:
        parts.append(f"<h3>{esc(_t(lang, 'clinician_explanations'))}</h3>")
        parts.append(
            _table(
                [_t(lang, "col_explanation"), _t(lang, "col_plausibility")],
                [
                    [
                        " + ".join(cause_text(c, lang) for c in e.causes) or "-",
                        f"{round(100 * e.plausibility)}%",
                    ]
                    for e in d.explanations
                ],
                "explanations",
            )
        )
    parts.append(f"<p>{esc(_t(lang, 'clinician_facts'))}: {esc(_facts_text(report))}</p>")
    if report.scores:
        parts.append(f"<p>{esc(_t(lang, 'clinician_scores'))}: {esc(_scores_text(report))}</p>")
    parts.append(
        f'<p class="muted">{esc(_t(lang, "clinician_solver", solver=d.solver, ms=f"{d.solve_ms:.1f}"))}</p>'
    )
    parts.append("</section>")
    parts.append(f'<p class="muted">{esc(_t(lang, "disclaimer"))}</p>')
    parts.append("</body></html>")
    del vocab
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
