"""Keeps every long-running loop of the process running, and knows whether each one is.

The pollers, the inbox processors, the delivery workers and the tick run for the life of the
process. One database error (a lock held past the busy timeout, a connection PostgreSQL
terminated) used to end such a loop for good while the process stayed up and said it was
healthy. Here a loop that raises is logged with its traceback, waits (exponential backoff with
jitter, capped) and starts again with the same objects: a lease it holds stays held (the keeper
lives outside the loop), and what it had in hand is picked up again — the inbox keeps every
update until its handling commits, the outbox every message until its send is recorded.

Each loop calls `beat` every time it comes round, idle or not. A loop that crashed and has not
come round since, or has not come round within its allowance, makes the process unhealthy:
`/healthz` answers 503 naming it. Restarts are counted per loop.

Times are the runtime clock's, so tests move a fake clock instead of waiting; a wait for a
restart also ends after the same time on the real clock. Never swallows an error silently, and
never logs more than the error (no update or message content reaches it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock

log = logging.getLogger(__name__)

FIRST_DELAY_S = 1.0
LONGEST_DELAY_S = 60.0
# A loop that ran this long since its last crash starts its backoff afresh.
CALM_AFTER = timedelta(seconds=2 * LONGEST_DELAY_S)

Beat = Callable[[], None]
Body = Callable[[Beat], Awaitable[None]]


class LoopEnded(Exception):
    """A loop returned while the process was not stopping."""


class RoundFailed(Exception):
    """A round failed and the loop has already logged why (with the tracebacks)."""


@dataclass
class Loop:
    """One supervised loop: when it last came round, whether it is down, how often it was."""

    name: str
    allowance: timedelta
    clock: Clock
    started_at: datetime = field(init=False)
    beat_at: datetime | None = None
    restarts: int = 0
    error: str | None = None  # what the last crash raised, until the loop comes round again
    restart_at: datetime | None = None
    crashed_at: datetime | None = None
    delay: float = FIRST_DELAY_S
    restarted: bool = False  # started again after a crash, and not yet round once

    def __post_init__(self) -> None:
        self.started_at = self.clock.now()

    def beat(self) -> None:
        """The loop came round: it is alive. A crash before is over once it has come round
        after starting again (its first beat is only the start)."""
        self.beat_at = self.clock.now()
        if self.restarted:
            self.restarted = False
        else:
            self.error = None

    def stale(self, now: datetime) -> bool:
        return now - (self.beat_at or self.started_at) > self.allowance

    def crashed(self, exc: BaseException) -> float:
        """Count and log a crash; returns how long to wait before starting again."""
        now = self.clock.now()
        if self.crashed_at is not None and now - self.crashed_at > CALM_AFTER:
            self.delay = FIRST_DELAY_S
        wait = self.delay * (0.5 + random.random() / 2)
        self.delay = min(self.delay * 2, LONGEST_DELAY_S)
        self.restarts += 1
        self.error = type(exc).__name__
        self.crashed_at = now
        self.restart_at = now + timedelta(seconds=wait)
        if isinstance(exc, RoundFailed):
            log.error("%s failed (%s); trying again in %.1f s", self.name, exc, wait)
        else:
            log.error("%s stopped on %s; starting it again in %.1f s", self.name,
                      self.error, wait, exc_info=exc)
        return wait

    def report(self, now: datetime) -> dict[str, Any]:
        last = self.beat_at or self.started_at
        return {"state": "crashed" if self.error else "stale" if self.stale(now) else "ok",
                "error": self.error, "restarts": self.restarts,
                "seconds_since_round": round((now - last).total_seconds(), 3),
                "allowance_seconds": self.allowance.total_seconds()}


@dataclass(frozen=True)
class Health:
    ok: bool
    crashed: list[str]
    stale: list[str]
    loops: dict[str, dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "crashed": self.crashed, "stale": self.stale, "loops": self.loops}


class Supervisor:
    """Runs loops until `stop` is set, starting each again after an error."""

    def __init__(self, clock: Clock, stop: asyncio.Event,
                 on_restart: Callable[[str], None] = lambda _name: None) -> None:
        self.clock = clock
        self.stop = stop
        self.on_restart = on_restart  # counts it (`/metrics`)
        self.loops: dict[str, Loop] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, name: str, allowance: timedelta) -> Loop:
        if name in self.loops:
            raise ValueError(f"loop {name!r} supervised twice")
        loop = self.loops[name] = Loop(name, allowance, self.clock)
        return loop

    def start(self, name: str, allowance: timedelta, body: Body) -> None:
        """Run `body(beat)` as a task, again and again until the process stops."""
        loop = self.add(name, allowance)
        self._tasks.append(asyncio.create_task(self._keep(loop, body), name=name))

    async def _keep(self, loop: Loop, body: Body) -> None:
        while not self.stop.is_set():
            loop.started_at = self.clock.now()
            loop.restarted = loop.error is not None
            try:
                await body(loop.beat)
            except Exception as exc:
                if self.stop.is_set():
                    log.warning("%s ended with %s while stopping", loop.name,
                                type(exc).__name__)
                    return
                wait = loop.crashed(exc)
            else:
                if self.stop.is_set():
                    return
                wait = loop.crashed(LoopEnded("returned"))
            self.on_restart(loop.name)
            await self._pause(loop, wait)

    async def round(self, name: str, work: Callable[[], Awaitable[Any]]) -> None:
        """One round of a loop someone else drives (APScheduler's interval job, the tick): a
        round due during the backoff after a crash is skipped."""
        loop = self.loops[name]
        if (loop.error is not None and loop.restart_at is not None
                and self.clock.now() < loop.restart_at):
            return
        try:
            await work()
        except Exception as exc:
            loop.crashed(exc)
            self.on_restart(loop.name)
            return
        loop.beat()

    async def _pause(self, loop: Loop, seconds: float) -> None:
        """Until the restart time on the runtime clock, or as long on the real one, or stop."""
        waiters = [asyncio.ensure_future(self.stop.wait()),
                   asyncio.ensure_future(self.clock.sleep(seconds))]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    @property
    def restarting(self) -> bool:
        """Some loop is down, waiting to start again."""
        return any(loop.error is not None for loop in self.loops.values())

    def health(self) -> Health:
        now = self.clock.now()
        crashed = sorted(n for n, loop in self.loops.items() if loop.error is not None)
        stale = sorted(n for n, loop in self.loops.items()
                       if loop.error is None and loop.stale(now))
        return Health(not crashed and not stale, crashed, stale,
                      {name: loop.report(now) for name, loop in sorted(self.loops.items())})

    async def close(self) -> None:
        """Cancel the loops (after `stop` is set) and wait for them to end."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
