"""Channel-agnostic conversations, one module per feature. `build_registry` wires them all."""

from __future__ import annotations

from bot.flows import Registry
from handlers import start


def build_registry() -> Registry:
    registry = Registry()
    start.register(registry)
    return registry
