"""One scheduler for the whole deployment: APScheduler runs a single interval job, `tick`, which
runs every due job (`scheduler.jobs.DUE_JOBS`) — but only in the process holding the `tick`
lease.

Everything that comes due (deadline reminders, scheduled broadcasts, housekeeping) lives in our
own tables as `next_due` columns; nothing is pickled into a job store. Tests call `tick()`
directly with a fake clock.

The App runs each tick as a round of the supervised loop "tick" (`scheduler.supervisor`): a job
that fails is logged with its traceback and the others still run, and the tick then reports the
failure, so the loop shows as down on `/healthz` until a tick goes through.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime import Runtime
from scheduler.lease import LeaseKeeper, new_holder_id
from scheduler.supervisor import RoundFailed

log = logging.getLogger(__name__)

DueFn = Callable[[Runtime, datetime], Awaitable[None]]


class Ticker:
    def __init__(self, rt: Runtime, jobs: dict[str, DueFn], holder: str | None = None) -> None:
        self.rt = rt
        self.jobs = jobs
        self.lease = LeaseKeeper(rt, "tick", timedelta(seconds=rt.settings.lease_ttl_seconds),
                                 holder or new_holder_id())
        self._scheduler: AsyncIOScheduler | None = None
        self.ticks = 0

    async def tick(self) -> bool:
        """Run everything due now, if this process holds the lease; True when it did. Raises
        `RoundFailed` after the other jobs ran if any failed (each was logged)."""
        if await self.lease.acquire() is None:
            return False
        now = self.rt.clock.now()
        failed = []
        for name, job in self.jobs.items():
            try:
                await job(self.rt, now)
            except Exception:
                log.exception("due job %s failed", name)
                failed.append(name)
        self.ticks += 1
        if failed:
            raise RoundFailed(f"due job(s) {', '.join(failed)} failed")
        return True

    def start(self, run: Callable[[], Awaitable[Any]] | None = None) -> None:
        """Call `run` (by default `tick`) every `BINHYEN_TICK_SECONDS`."""
        self._scheduler = AsyncIOScheduler(timezone=self.rt.settings.tz)
        self._scheduler.add_job(
            run or self.tick, "interval", seconds=self.rt.settings.tick_seconds,
            id="tick", max_instances=1, coalesce=True,
            next_run_time=datetime.now(self.rt.settings.tz),
        )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await self.lease.release()
