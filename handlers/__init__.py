"""Channel-agnostic conversations, one module per feature. `build_registry` wires them all
(the scheduler's due jobs are listed in `scheduler.jobs`)."""

from __future__ import annotations

from bot.flows import Registry
from handlers import (
    acknowledgements,
    campaigns,
    coverage,
    coverage_activities,
    groups,
    households,
    leader_broadcasts,
    police,
    privacy,
    report,
    start,
    status,
)


def build_registry() -> Registry:
    registry = Registry()
    start.register(registry)
    report.register(registry)
    status.register(registry)
    police.register(registry)
    groups.register(registry)
    campaigns.register(registry)
    acknowledgements.register(registry)
    leader_broadcasts.register(registry)
    coverage.register(registry)
    households.register(registry)
    coverage_activities.register(registry)
    privacy.register(registry)
    return registry
