"""The rendered test photos (tests/data/renders; origin and licence in tests/data/README.md).

Each render comes with its ground truth in truth.json: the movement, the view, the camera,
the body's exact angles and 2D joints, and the capture step it stands in for, if any.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
RENDERS = DATA / "renders"


@functools.cache
def truth() -> dict[str, dict]:
    """file name (e.g. "forward_bend_deep.jpg") -> its ground truth."""
    return json.loads((RENDERS / "truth.json").read_text())


def for_step(step: str) -> str:
    """The render that stands in for a capture step (truth.json's ``step``)."""
    names = [name for name, t in truth().items() if t["step"] == step]
    assert len(names) == 1, (step, names)
    return names[0]
