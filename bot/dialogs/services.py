"""What the dialogs need from the rest of the system (backcare.application.pipeline.Pipeline provides it)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from backcare.interview import InterviewResult
from backcare.report.types import PhotoResult, Report


@runtime_checkable
class Services(Protocol):
    async def analyse_photo(
        self, data: bytes, step: str, filename: str | None = None
    ) -> PhotoResult:
        """One capture step's photo: accepted with measurements and an annotated picture, or refused
        with a vision.errors.Reason value. May raise; the dialogs then treat it as refused.
        A service may also take ``language=<code>`` (keyword): the dialogs then pass the
        patient's language for the picture's labels (bot/dialogs/capture.py)."""
        ...

    async def build_report(
        self, result: InterviewResult, photos: list[PhotoResult], language: str
    ) -> Report:
        """Ratings, probable causes and the program for one patient."""
        ...
