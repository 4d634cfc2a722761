"""Progress: the data of a patient's check-ins, a chart a phone can show, a summary for a clinician.

The chart is drawn on matplotlib's Agg canvas with a Figure object (no pyplot: no
global state, safe in the bot's worker threads). Japanese labels need a CJK font;
without one the chart falls back to English labels rather than drawing empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import matplotlib
from matplotlib import dates as mdates
from matplotlib import font_manager

# The Agg canvas is used directly: no pyplot, no global backend switch, no display needed.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from backcare.content.texts import default_texts
from backcare.followup.checkin import CheckIn, CheckinError, classify, when
from backcare.followup.settings import Followup, default_followup
from backcare.kernel import languages
from backcare.kernel.catalogue import Catalogue
from backcare.kernel.languages import DEFAULT

# Fonts that cover Japanese, most common first (Linux packages, macOS, Windows).
CJK_FONTS = (
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "IPAexGothic",
    "IPAGothic",
    "TakaoGothic",
    "VL Gothic",
    "Hiragino Sans",
    "Hiragino Kaku Gothic ProN",
    "Yu Gothic",
    "Meiryo",
    "MS Gothic",
    "Droid Sans Fallback",
    "WenQuanYi Zen Hei",
)


@dataclass(frozen=True)
class ChartData:
    dates: tuple[str, ...]  # check-in dates (YYYY-MM-DD), oldest first
    pain: tuple[int, ...]  # pain 0-10 at each check-in
    adherence: tuple[float | None, ...]  # % of planned days done (None: nothing planned)
    done_days: tuple[int, ...]
    planned_days: tuple[int, ...]
    baseline: int | None  # pain when the program started
    mcid_band: tuple[float, float] | None  # pain values within the MCID of the baseline
    mcid: float | None  # the MCID (points) from the baseline
    status: tuple[str, ...]  # better | same | worse at each check-in, vs baseline

    @property
    def reference(self) -> int | None:
        """What changes are measured from: the baseline, else the first check-in."""
        return self.baseline if self.baseline is not None else (self.pain[0] if self.pain else None)


def progress_data(
    baseline_pain: int | None, checkins: Sequence[CheckIn], settings: Followup | None = None
) -> ChartData:
    """The chart's data: one point per check-in (sorted by time), the MCID band around the start."""
    settings = settings or default_followup()
    if baseline_pain is not None and (
        isinstance(baseline_pain, bool)
        or not isinstance(baseline_pain, int)
        or not 0 <= baseline_pain <= 10
    ):
        raise CheckinError("bad_baseline", f"baseline pain must be 0 to 10, got {baseline_pain!r}")
    ordered = sorted(checkins, key=lambda c: when(c.at))
    reference = (
        baseline_pain if baseline_pain is not None else (ordered[0].pain if ordered else None)
    )
    band = mcid = None
    if reference is not None:
        mcid = settings.mcid(reference)
        band = (max(0.0, reference - mcid), min(10.0, reference + mcid))
    return ChartData(
        dates=tuple(when(c.at).date().isoformat() for c in ordered),
        pain=tuple(c.pain for c in ordered),
        adherence=tuple(c.adherence for c in ordered),
        done_days=tuple(c.done_days for c in ordered),
        planned_days=tuple(c.planned_days for c in ordered),
        baseline=baseline_pain,
        mcid_band=band,
        mcid=mcid,
        status=tuple(classify(reference, c.pain, settings) for c in ordered)
        if reference is not None
        else (),
    )


def _register_bundled_font() -> None:
    """IPAexGothic ships inside the matplotlib-fontja wheel: Japanese charts need no system font."""
    try:
        import matplotlib_fontja
    except ImportError:
        return
    from pathlib import Path

    for path in (Path(matplotlib_fontja.__file__).parent / "fonts").glob("*.ttf"):
        font_manager.fontManager.addfont(str(path))


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font that covers Japanese, or None."""
    _register_bundled_font()
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def label_language(language: str) -> str:
    """The language the chart can be labelled in: one that needs a CJK font only when one is
    installed, else the default."""
    lang = languages.language(language)
    if lang.cjk_font and cjk_font() is None:
        return DEFAULT
    return lang.code


def chart_png(data: ChartData, language: str, texts: Catalogue | None = None) -> bytes:
    """A PNG (900 x 1200 px, large type for a phone) of pain and adherence over time."""
    texts = texts or default_texts()
    lang = label_language(language)
    family = [cjk_font(), "DejaVu Sans"] if languages.language(lang).cjk_font else ["DejaVu Sans"]
    with matplotlib.rc_context(
        {
            "font.family": family,
            "font.size": 15,
            "axes.titlesize": 19,
            "axes.labelsize": 16,
            "xtick.labelsize": 14,
            "ytick.labelsize": 14,
            "legend.fontsize": 13,
        }
    ):
        fig = Figure(figsize=(6, 8), dpi=150)
        FigureCanvasAgg(fig)
        pain_ax, adh_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        _draw(pain_ax, adh_ax, data, lang, texts)
        fig.suptitle(texts.get("progress.chart.title", lang), fontweight="bold")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw(pain_ax, adh_ax, data: ChartData, lang: str, texts: Catalogue) -> None:
    dates = [datetime.fromisoformat(d) for d in data.dates]
    pain_ax.set_ylim(-0.3, 10.3)
    pain_ax.set_yticks(range(0, 11, 2))
    pain_ax.set_ylabel(texts.get("progress.chart.pain", lang))
    pain_ax.grid(axis="y", alpha=0.3)
    if data.mcid_band is not None:
        low, high = data.mcid_band
        pain_ax.axhspan(
            low,
            high,
            color="#9e9e9e",
            alpha=0.22,
            lw=0,
            label=texts.get("progress.chart.band", lang, points=f"{data.mcid:g}"),
        )
    if data.baseline is not None:
        pain_ax.axhline(
            data.baseline,
            color="#555555",
            ls="--",
            lw=1.5,
            label=texts.get("progress.chart.baseline", lang, pain=data.baseline),
        )
    if not dates:
        pain_ax.text(
            0.5,
            0.5,
            texts.get("progress.chart.empty", lang),
            transform=pain_ax.transAxes,
            ha="center",
            va="center",
            fontsize=17,
        )
        adh_ax.set_xticks([])
    else:
        pain_ax.plot(dates, data.pain, color="#c62828", marker="o", ms=9, lw=2.5)
        for x, y in zip(dates, data.pain):
            pain_ax.annotate(
                str(y),
                (x, y),
                textcoords="offset points",
                xytext=(0, 10),
                ha="center",
                fontsize=14,
                fontweight="bold",
            )
        heights = [a if a is not None else 0.0 for a in data.adherence]
        adh_ax.bar(dates, heights, width=_bar_width(dates), color="#2e7d32", alpha=0.85)
        span = max(dates) - min(dates)
        pad = max(span * 0.08, timedelta(days=3))
        adh_ax.set_xlim(min(dates) - pad, max(dates) + pad)
        if len(dates) <= 6:  # label each check-in; past that, let matplotlib thin them out
            adh_ax.set_xticks(dates)
        else:
            adh_ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=6))
        rules = languages.language(lang)
        adh_ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: rules.short_date(mdates.num2date(x).date()))
        )
    if data.mcid_band is not None or data.baseline is not None:
        pain_ax.legend(loc="upper right", framealpha=0.9)
    adh_ax.set_ylim(0, 105)
    adh_ax.set_yticks([0, 50, 100])
    adh_ax.set_ylabel(texts.get("progress.chart.adherence", lang))
    adh_ax.grid(axis="y", alpha=0.3)


def _bar_width(dates: list[datetime]) -> float:
    """Bars about half the typical gap between check-ins (in days, matplotlib's date unit)."""
    if len(dates) < 2:
        return 3.0
    gaps = sorted((b - a).days for a, b in zip(dates, dates[1:]) if b > a) or [7]
    return max(1.0, 0.5 * gaps[len(gaps) // 2])


def summary_text(
    data: ChartData, language: str, texts: Catalogue | None = None, settings: Followup | None = None
) -> str:
    """Plain lines a patient can show a clinician: start, latest, range, adherence, the MCID used."""
    texts = texts or default_texts()
    settings = settings or default_followup()
    lang = languages.supported(language)
    lines = [texts.get("progress.summary.heading", lang)]
    lines.append(
        texts.get("progress.summary.start", lang, pain=data.baseline)
        if data.baseline is not None
        else texts.get("progress.summary.no_start", lang)
    )
    if not data.dates:
        lines.append(texts.get("progress.summary.none", lang))
        return "\n".join(lines)
    reference = data.reference
    assert reference is not None  # there are check-ins, so at least the first is a reference
    change = data.pain[-1] - reference
    lines.append(
        texts.get(
            "progress.summary.latest",
            lang,
            date=_day(data.dates[-1], lang),
            pain=data.pain[-1],
            change=f"{change:+d}",
            status=texts.get(f"progress.summary.status.{data.status[-1]}", lang),
        )
    )
    lines.append(
        texts.get(
            "progress.summary.range",
            lang,
            count=len(data.dates),
            first=_day(data.dates[0], lang),
            last=_day(data.dates[-1], lang),
            low=min(data.pain),
            high=max(data.pain),
        )
    )
    planned = sum(data.planned_days)
    if planned:
        done = sum(min(d, p) for d, p in zip(data.done_days, data.planned_days))
        lines.append(
            texts.get(
                "progress.summary.adherence",
                lang,
                percent=round(100 * done / planned),
                done=done,
                planned=planned,
            )
        )
    lines.append(
        texts.get(
            "progress.summary.mcid",
            lang,
            points=f"{settings.mcid_points:g}",
            percent=round(100 * settings.mcid_fraction),
        )
    )
    return "\n".join(lines)


def _day(iso: str, lang: str) -> str:
    """A check-in's date (YYYY-MM-DD) as the language writes it."""
    return languages.language(lang).date(date.fromisoformat(iso))
