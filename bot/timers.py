"""Reminders: the dialogs keep the plan in their state; we keep when it fires next.

After every turn the stored reminder follows the dialog state's plan
(``DialogState.reminder_plan()``: days, time, tz, active): a new or changed active plan gets its next due time
from ``backcare.followup.schedule.next_due``; an inactive or missing plan removes it.
PTB's JobQueue does not persist jobs, so due times live in the database and are
put back into the JobQueue at start (``restore``), with ``catch_up`` deciding
whether one missed while the bot was down still fires.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram.ext import ContextTypes, JobQueue

from backcare.bot.dialogs.state import DialogState
from backcare.bot.storage import Reminder
from backcare.followup import schedule
from backcare.kernel.logs import pseudonym

log = logging.getLogger(__name__)

JOB_PREFIX = "reminder:"


def plan_of(state: DialogState | None) -> dict | None:
    """The active reminder plan in a dialog state, as storage keeps it, or None."""
    plan = state.reminder_plan() if state is not None else None
    return plan.to_json() if plan is not None else None


def next_due(plan: dict, after: datetime) -> datetime:
    return schedule.next_due(schedule.ReminderPlan.from_dict(plan), after)


def catch_up(due: datetime, now: datetime, plan: dict) -> tuple[bool, datetime]:
    return schedule.catch_up(due, now, schedule.ReminderPlan.from_dict(plan))


def timer_kind(state: DialogState | None, due: datetime, every_days: int | None = None) -> str:
    """ "checkin" when a check-in is due (``checkin_every_days`` since the last check-in,
    or since the report when there was none yet), else "reminder"."""
    if every_days is None:
        from backcare.followup.settings import default_followup

        every_days = default_followup().checkin_every_days
    stamps: list[str | None] = []
    if state is not None:
        stamps = list(state.checkin_times()) or [state.report_created()]
    since = None
    for text in stamps:
        if text is None:
            continue  # no check-in and no report yet (or a damaged one)
        try:
            moment = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        since = moment if since is None or moment > since else since
    # half a day of slack: a check-in is due on the day, whatever the reminder's hour
    if since is not None and due - since >= timedelta(days=every_days) - timedelta(hours=12):
        return "checkin"
    return "reminder"


@dataclass(frozen=True)
class ReminderChange:
    """What a turn does to the stored reminder: put a new one, remove it, or nothing."""

    put: Reminder | None = None
    remove: bool = False

    @property
    def nothing(self) -> bool:
        return self.put is None and not self.remove


def change_for(
    user_id: int, chat_id: int, state: DialogState | None, stored: Reminder | None, now: datetime
) -> ReminderChange:
    plan = plan_of(state)
    if plan is None:
        return ReminderChange(remove=stored is not None)
    if stored is not None and stored.plan == plan and stored.chat_id == chat_id:
        return ReminderChange()
    return ReminderChange(put=Reminder(user_id, chat_id, dict(plan), next_due(plan, now)))


class Scheduler:
    """The JobQueue side: one job per user, named ``reminder:<user id>``."""

    def __init__(self, job_queue: JobQueue | None, fire: Callable[[int], Awaitable[None]]) -> None:
        self.job_queue = job_queue
        self.fire = fire

    def schedule(self, user_id: int, when: datetime) -> None:
        if self.job_queue is None:
            return
        self.unschedule(user_id)
        self.job_queue.run_once(
            self._job,
            when=when,
            name=f"{JOB_PREFIX}{user_id}",
            data=user_id,
            job_kwargs={"misfire_grace_time": None},
        )

    def unschedule(self, user_id: int) -> None:
        if self.job_queue is None:
            return
        for job in self.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{user_id}"):
            job.schedule_removal()

    def scheduled(self, user_id: int) -> datetime | None:
        if self.job_queue is None:
            return None
        jobs = self.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{user_id}")
        return jobs[0].next_t if jobs else None

    def apply(self, user_id: int, change: ReminderChange) -> None:
        if change.put is not None:
            self.schedule(user_id, change.put.next_due)
        elif change.remove:
            self.unschedule(user_id)

    def restore(self, reminders: list[Reminder], now: datetime) -> list[Reminder]:
        """Schedule every stored reminder; returns those whose new due time must be saved."""
        changed = []
        for i, reminder in enumerate(reminders):
            try:
                fire_now, upcoming = catch_up(reminder.next_due, now, reminder.plan)
            except Exception:
                log.exception("reminder of %s cannot be restored", pseudonym(reminder.user_id))
                continue
            if fire_now:
                # a missed reminder still worth sending: fire soon, spread out a little
                self.schedule(reminder.user_id, now + timedelta(seconds=1 + 0.05 * i))
            else:
                if upcoming != reminder.next_due:
                    reminder = Reminder(reminder.user_id, reminder.chat_id, reminder.plan, upcoming)
                    changed.append(reminder)
                self.schedule(reminder.user_id, upcoming)
        return changed

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        job = context.job  # set by the JobQueue for its callbacks
        assert job is not None and isinstance(job.data, int)  # schedule() gives the user id
        await self.fire(job.data)
