"""Follow-up settings (``settings.yaml``): MCID for pain, check-in rhythm, re-assessment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from backcare.kernel.yamlfile import Checker, load

PATH = Path(__file__).with_name("settings.yaml")


@dataclass(frozen=True)
class Followup:
    mcid_points: float = 2.0  # Ostelo 2008
    mcid_fraction: float = 0.30
    mcid_source: str = ""
    checkin_every_days: int = 7
    reassess_after_days: int = 28
    low_adherence_percent: float = 50.0

    def mcid(self, baseline: float | None) -> float:
        """The smallest change in pain (0-10) that matters from ``baseline``.

        2 points or 30% of the baseline, whichever is smaller, but at least 1 point
        (the scale has whole points only). Without a baseline: the points.
        """
        if baseline is None:
            return self.mcid_points
        return max(1.0, min(self.mcid_points, self.mcid_fraction * baseline))


def load_followup(path: str | Path | None = None) -> Followup:
    path = Path(path or PATH)
    return parse_followup(load(path), str(path))


@lru_cache(maxsize=1)
def default_followup() -> Followup:
    return load_followup()


def parse_followup(data: Any, filename: str) -> Followup:
    check = Checker(filename)
    mcid = check.need(data, "mcid", "", dict) or {}
    checkin = check.need(data, "checkin", "", dict) or {}
    values: dict[str, Any] = {}
    for container, key, field, kind, low, high, target in (
        (mcid, "points", "mcid", float, 0.5, 5.0, "mcid_points"),
        (mcid, "fraction", "mcid", float, 0.05, 0.9, "mcid_fraction"),
        (checkin, "every_days", "checkin", int, 1, 60, "checkin_every_days"),
        (checkin, "reassess_after_days", "checkin", int, 7, 365, "reassess_after_days"),
        (checkin, "low_adherence_percent", "checkin", float, 0.0, 100.0, "low_adherence_percent"),
    ):
        value = check.need(container, key, field, kind)
        if value is not None and not low <= value <= high:
            check.problem(container, key, f"{field}.{key}", f"must be {low} to {high}, got {value}")
        elif value is not None:
            values[target] = value
    source = check.need(mcid, "source", "mcid", str)
    check.raise_if_any()
    return Followup(mcid_source=source or "", **values)
