"""The progress chart attached to /export, drawn from the check-ins the dialogs recorded."""

from __future__ import annotations

import logging

from backcare.bot.dialogs.state import DialogState
from backcare.followup.checkin import CheckIn, CheckinError
from backcare.followup.progress import chart_png, progress_data
from backcare.kernel.languages import DEFAULT

log = logging.getLogger(__name__)

DONE_SHARE = {"all": 1.0, "some": 0.5, "none": 0.0}  # the dialogs' answer -> share of planned days


def planned_days(state: DialogState | None) -> int:
    """Exercise days per week: the reminder plan's days, else the program's dose, else 5."""
    if state is not None and state.reminders is not None and state.reminders.days:
        return len(state.reminders.days)
    for exercise in state.exercises() if state is not None else []:
        per_week = (exercise.get("dose") or {}).get("days_per_week")
        if isinstance(per_week, int) and per_week > 0:
            return per_week
    return 5


def checkins_of(entries: list, planned: int) -> list[CheckIn]:
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("pain") is None:
            continue
        done = entry.get("done")
        share = DONE_SHARE.get(done, 0.0) if isinstance(done, str) else 0.0
        try:
            out.append(
                CheckIn(
                    at=entry["at"],
                    pain=int(entry["pain"]),
                    done_days=round(share * planned),
                    planned_days=planned,
                )
            )
        except (CheckinError, KeyError, TypeError, ValueError):
            log.info("a check-in without a usable date or pain left out of the chart")
    return out


def chart_for_export(export: dict) -> bytes | None:
    """A PNG of pain and adherence over the check-ins, or None when there are none."""
    state = DialogState.from_json(export.get("dialog_state"))
    kept = [r.to_json() for r in state.checkins] if state is not None else []
    entries = export.get("checkins") or kept
    planned = planned_days(state)
    checkins = checkins_of(entries, planned)
    if not checkins:
        return None
    report = (state.report if state is not None else None) or {}
    pain = (report.get("scores") or {}).get("pain")
    baseline = int(round(pain)) if isinstance(pain, (int, float)) and 0 <= pain <= 10 else None
    language = state.language if state is not None else DEFAULT
    return chart_png(progress_data(baseline, checkins), language)
