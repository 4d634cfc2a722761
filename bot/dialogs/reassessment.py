"""Re-assessment: new photos after some weeks of the program, then before and after in plain words.

``data.reassessment`` (bot.dialogs.state.Reassessment) is invited once a check-in has
offered it (backcare.followup.checkin decides when) and gains started while the photos are
retaken; the capture and the analysis are the first assessment's own steps. When the new
report arrives, the one before it moves to ``data.previous_report`` with its observations, so the comparison can be shown again
after a restart (/progress), and the new program replaces the old one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields

from backcare.assessment.compare import compare
from backcare.assessment.types import Change, Observation
from backcare.bot.dialogs.conversation import Conversation
from backcare.bot.dialogs.feature import Feature
from backcare.bot.dialogs.state import DialogState, Reassessment

ORDER = ("better", "worse", "same", "new", "lost")  # what changed first, then what did not
FIELDS = {f.name for f in fields(Observation)}


LEFT_OUT = (
    "explanation",
    "source",
)  # sentences and citations: the data files hold them, the state need not


def observation_dicts(observations: Iterable[Observation]) -> list[dict]:
    """JSON-safe observations for the state: what compare() needs, about 150 bytes each."""
    out = []
    for o in observations:
        d = asdict(o)
        for key in LEFT_OUT:
            d.pop(key, None)
        out.append(d)
    return out


def observations_of(summary: dict | None) -> list[Observation] | None:
    """The observations of a report summary, rebuilt; None when it has none (an older summary)."""
    stored = (summary or {}).get("observations")
    if not isinstance(stored, list):
        return None
    out = []
    for d in stored:
        if not isinstance(d, dict):
            continue
        values = {k: v for k, v in d.items() if k in FIELDS}
        if "tolerance" in d and "uncertainty" not in d:  # saved before ratings used value ± u
            values["uncertainty"] = d["tolerance"]
        rng = values.get("normal_range")
        values["normal_range"] = tuple(rng) if rng is not None else None
        values.setdefault("explanation", {})
        values.setdefault("source", "")
        try:
            out.append(Observation(**values))
        except TypeError:
            continue
    return out


def changes(data: DialogState) -> list[Change] | None:
    """How each body part moved between the previous report and this one; None without a previous one."""
    before = observations_of(data.previous_report)
    after = observations_of(data.report)
    if before is None or after is None:
        return None
    found = compare(before, after)
    return sorted(
        found, key=lambda c: ORDER.index(c.direction) if c.direction in ORDER else len(ORDER)
    )


def render_changes(conv: Conversation) -> bool:
    """Before and after, one plain sentence per body part; False when there is nothing to compare."""
    found = changes(conv.data)
    if found is None:
        return False
    before = conv.day((conv.data.previous_report or {}).get("created", ""))
    after = conv.day((conv.data.report or {}).get("created", ""))
    lines = [conv.t("reassess.heading", before=before, after=after)]
    if found:
        lines += [f"• {conv.text_of(c.explanation)}" for c in found]
    else:
        lines.append(conv.t("reassess.no_changes"))
    conv.say("\n".join(lines), changes={c.name: c.direction for c in found})
    return True


# -- offer, accept, cancel -------------------------------------------------------------------
def invited(data: DialogState) -> bool:
    return data.reassessment is not None and bool(data.reassessment.invited)


def running(data: DialogState) -> bool:
    return data.reassessment is not None and bool(data.reassessment.started)


def accept(conv: Conversation) -> None:
    """Retake the photos: the same steps and guidance as the first time."""
    data = conv.data
    offer = data.reassessment or Reassessment()
    data.reassessment = Reassessment(
        invited=offer.invited, started=conv.now.isoformat(timespec="seconds")
    )
    data.photos = None
    conv.dialogs.pictures.drop(data.session)
    conv.go("reassess")


def decline(conv: Conversation) -> None:
    conv.data.reassessment = None
    conv.say(conv.t("reassess.later"))


def cancel(conv: Conversation) -> None:
    """Back from the first new photo: the program goes on as before."""
    conv.data.reassessment = None
    conv.data.photos = None
    conv.say(conv.t("reassess.cancelled"))
    conv.go("reassessment_cancelled")


def finish(conv: Conversation, summary: dict) -> None:
    """The new report replaces the old one, which is kept to compare with."""
    data = conv.data
    data.previous_report = data.report
    data.report = summary
    data.reassessment = None


FEATURE = Feature(
    "re-assessment",
    texts=("reassess",),
)
