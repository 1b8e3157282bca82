"""Channel-agnostic conversations, one module per feature. `build_registry` wires them all."""

from __future__ import annotations

from bot.flows import Registry
from bot.services import housekeeping, schedule
from bot.services.tips import jobs as tip_jobs
from handlers import groups, police, report, start, status


def build_registry() -> Registry:
    registry = Registry()
    start.register(registry)
    report.register(registry)
    status.register(registry)
    police.register(registry)
    groups.register(registry)
    registry.due_job("housekeeping", housekeeping.run_due)
    registry.due_job("scheduled_messages", schedule.run_due)
    registry.due_job("tips", tip_jobs.run_due)
    return registry
