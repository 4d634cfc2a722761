"""What the pipeline hands back: per-photo results and the report.

These are plain data; rendering (text, Markdown, HTML, JSON) is in
``backcare/application/render.py``. ``to_dict``/``from_dict`` give a JSON-safe form for
storage (annotated pictures are never part of it: they are photos of a body).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from backcare.assessment.types import Observation
from backcare.content.types import Program
from backcare.interview import Triage
from backcare.reasoning.types import Diagnosis
from backcare.vision.types import Measurement


@dataclass(frozen=True)
class PhotoResult:
    """One capture step's photo, accepted with its measurements or refused with the reason.

    step:        a vocabulary movement (capture step), e.g. "forward_bend"
    source:      a label for the photo (file name), never a path to a kept copy
    reason:      a vision.errors.Reason value when refused
    detail:      e.g. the body part cut off, or the movement seen instead
    view:        "side" | "front" | "back" | "oblique" when accepted
    movement_seen: the movement class vision saw
    suggested_step: when refused as "wrong_movement": the capture step the photo looks
                 like (the patient may still use it for ``step``; measurements are kept)
    unusable:    readings outside the physiological envelope (name -> why), not measured
    annotated_jpeg: the annotated picture (memory only: not in to_dict)
    """

    step: str
    source: str
    accepted: bool
    reason: str | None = None
    detail: str = ""
    measurements: dict[str, Measurement] = field(default_factory=dict)
    view: str | None = None
    movement_seen: str | None = None
    confidence: float = 0.0
    annotated_jpeg: bytes | None = field(default=None, repr=False, compare=False)
    suggested_step: str | None = None
    unusable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("annotated_jpeg")
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PhotoResult:
        data = dict(data)
        data["measurements"] = {
            k: Measurement(**m) for k, m in data.get("measurements", {}).items()
        }
        return cls(**data)


@dataclass(frozen=True)
class Report:
    """The result of one assessment: what was seen, what it likely means, what to do."""

    created: str  # ISO 8601 UTC
    language: str
    facts: tuple[str, ...]  # interview facts that hold
    scores: dict[str, float]  # e.g. {"startback_total": 5, "startback_psych": 2, "pain": 6}
    photos: tuple[PhotoResult, ...]
    observations: tuple[Observation, ...]
    diagnosis: Diagnosis
    program: Program | None  # None when referred
    referral: str | None  # None | "emergency" | "urgent" | "soon" | "routine" | "unexplained"
    # the red-flag triage (backcare/interview/triage.py): level, rules, advice (rheumatology,
    # caution) that goes with the program
    triage: Triage | None = None
