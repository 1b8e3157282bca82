"""Seeded crash points for the crash-safety tests.

`BINHYEN_CRASH_AT=<point>` (test only) makes the process SIGKILL itself when it reaches that
point — the only honest way to prove nothing is lost between two steps. Unset in production.
"""

from __future__ import annotations

import os
import signal


class CrashPoints:
    def __init__(self, spec: str | None) -> None:
        self.points = {p.strip() for p in (spec or "").split(",") if p.strip()}

    def reach(self, point: str) -> None:
        if point in self.points:
            os.kill(os.getpid(), signal.SIGKILL)
