"""The due-job list: every piece of work the scheduler's tick runs (`scheduler.tick`), by name.

A job is `run_due(rt, now)`: it finds in its own tables (`next_due` columns, deadlines) what has
come due by `now` and does it, in its own transactions; it must be safe to run again at the next
tick if it failed half-way. Jobs run in this order, each whether or not an earlier one failed.
Adding one means one line here. The bot's conversations are registered elsewhere
(`handlers.build_registry`).
"""

from __future__ import annotations

from bot.services import housekeeping, scheduled_broadcasts
from bot.services.campaigns import job as campaigns_job
from bot.services.coverage import reach
from bot.services.coverage import reminders as coverage_reminders
from bot.services.coverage import snapshots as coverage_snapshots
from bot.services.tips import jobs as tip_jobs
from scheduler.tick import DueFn

DUE_JOBS: dict[str, DueFn] = {
    "housekeeping": housekeeping.run_due,
    "scheduled_broadcasts": scheduled_broadcasts.run_due,
    "tips": tip_jobs.run_due,
    "campaigns": campaigns_job.run_due,
    "coverage_tallies": reach.run_due,
    "coverage_snapshots": coverage_snapshots.run_due,
    "coverage_reminders": coverage_reminders.run_due,
}
