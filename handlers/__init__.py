"""Channel-agnostic conversations, one module per feature. `build_registry` wires them all."""

from __future__ import annotations

from bot.flows import Registry
from bot.services import housekeeping, schedule, tip_jobs
from bot.services.campaigns import job as campaigns_job
from handlers import campaigns, groups, police, report, start, status


def build_registry() -> Registry:
    registry = Registry()
    start.register(registry)
    report.register(registry)
    status.register(registry)
    police.register(registry)
    groups.register(registry)
    campaigns.register(registry)
    registry.due_job("housekeeping", housekeeping.run_due)
    registry.due_job("scheduled_messages", schedule.run_due)
    registry.due_job("tips", tip_jobs.run_due)
    registry.due_job("campaigns", campaigns_job.run_due)
    return registry
