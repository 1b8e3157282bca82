"""Channel-agnostic conversations, one module per feature. `build_registry` wires them all."""

from __future__ import annotations

from bot.flows import Registry
from bot.services import housekeeping, schedule
from handlers import start


def build_registry() -> Registry:
    registry = Registry()
    start.register(registry)
    registry.due_job("housekeeping", housekeeping.run_due)
    registry.due_job("scheduled_messages", schedule.run_due)
    return registry
