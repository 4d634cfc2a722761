"""The live interview: the last good version of interview.yaml, and the older ones still in use."""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from backcare.interview.loader import load_interview
from backcare.interview.model import Interview
from backcare.kernel.yamlfile import DataFileError, Problem

log = logging.getLogger(__name__)


class InterviewRegistry:
    """Holds the current interview and older versions by content hash.

    ``reload()`` is the admin action: a broken file is refused (its problems are
    returned) and the previous version stays live. New interviews start on
    ``current``; an interview in progress asks ``get(digest)`` for the version
    it started with. Versions live in memory only (a few tens of kB each): after
    a process restart only the file's version is known, and the dialogs move
    unfinished interviews onto it.
    """

    def __init__(self, path: str | Path, keep: int = 32):
        self.path = Path(path)
        self.keep = keep
        self._versions: OrderedDict[str, Interview] = OrderedDict()
        self._current = self._add(load_interview(self.path))  # a broken file at start-up is fatal
        self.problems: list[Problem] = []

    @property
    def current(self) -> Interview:
        return self._current

    def reload(self) -> list[Problem]:
        """Load the file again. Returns its problems (empty when it is now live)."""
        try:
            interview = load_interview(self.path)
        except DataFileError as exc:
            self.problems = exc.problems
            log.warning(
                "interview reload refused, keeping version %s:\n%s", self._current.version, exc
            )
            return list(exc.problems)
        self.problems = []
        if interview.digest != self._current.digest:
            log.info("interview version %s (%s) is live", interview.version, interview.digest)
        self._current = self._add(interview)
        return []

    def get(self, version: str | None) -> Interview | None:
        """The interview with this content hash (``Interview.digest``), if still in memory."""
        if version is None:
            return None
        interview = self._versions.get(version)
        if interview is not None:
            self._versions.move_to_end(version)
        return interview

    def versions(self) -> list[str]:
        return list(self._versions)

    def _add(self, interview: Interview) -> Interview:
        self._versions[interview.digest] = self._versions.get(interview.digest, interview)
        self._versions.move_to_end(interview.digest)
        while len(self._versions) > self.keep:
            oldest = next(iter(self._versions))
            if oldest == interview.digest:
                break
            del self._versions[oldest]
        return self._versions[interview.digest]
