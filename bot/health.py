"""Saving that fails (a full disk, a read-only file system): calm, counted, retried with back-off.

A failure starts an *episode*: one ERROR line for the operator, one message per
patient ("I will pick up your answer by myself"), retries spaced exponentially up
to a cap; the first save that works ends it with one WARNING line. Nothing is
dropped meanwhile: updates stay with Telegram (not confirmed) or in the inbox, and
are handled once saving works again. Counters: :meth:`StorageHealth.counts` (in
/admin_stats) and the Prometheus metrics backcare_save_failures and
backcare_saving_failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from backcare.kernel import metrics

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0  # seconds
MAX_RETRY = 30.0


class StorageHealth:
    def __init__(
        self,
        first: float = FIRST_RETRY,
        cap: float = MAX_RETRY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first, self.cap, self.clock = first, cap, clock
        self.failing = False
        self.episodes = 0  # failure episodes since start
        self.failures = 0  # failed saves, every episode
        self.patients_told = 0
        self._since = 0.0
        self._failures_now = 0
        self._retries = 0
        self._told: set[int] = set()

    def failed(self, error: BaseException) -> None:
        """A save failed. Logged once per episode, with what to do."""
        self.failures += 1
        self._failures_now += 1
        metrics.SAVE_FAILURES.inc()
        if self.failing:
            return
        self.failing = True
        metrics.SAVING_FAILING.set(1)
        self.episodes += 1
        self._since = self.clock()
        self._failures_now, self._retries = 1, 0
        self._told.clear()
        log.error(
            "saving failed (%s): is the disk full or read-only? Updates wait (with Telegram or "
            "in the inbox) and are retried with back-off up to %.0f s; nothing is dropped. "
            "Logged once until saving works again.",
            error,
            self.cap,
        )

    def saved(self) -> None:
        """A save worked: ends an episode."""
        if not self.failing:
            return
        self.failing = False
        metrics.SAVING_FAILING.set(0)
        log.warning(
            "saving works again after %.0f s (%d failed save(s)); waiting updates are handled",
            self.clock() - self._since,
            self._failures_now,
        )

    def next_delay(self) -> float:
        """Seconds before the next retry: doubles from ``first`` up to ``cap`` in an episode."""
        delay = min(self.cap, self.first * 2**self._retries)
        self._retries = min(self._retries + 1, 32)
        return delay

    def tell(self, user_id: int) -> bool:
        """True the first time in an episode: the patient gets one message, not one per retry."""
        if user_id in self._told:
            return False
        self._told.add(user_id)
        self.patients_told += 1
        return True

    def counts(self) -> dict[str, int]:
        return {
            "save_failures": self.failures,
            "save_failure_episodes": self.episodes,
            "saving_failing_now": int(self.failing),
            "patients_told_not_saved": self.patients_told,
        }
