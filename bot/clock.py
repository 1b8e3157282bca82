"""The one source of time.

Everything that reads the time takes a `Clock`, so tests move time instead of sleeping.
Times are always timezone-aware UTC; showing them in Vietnam's time is the caller's job
(`to_local`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from content.texts import TIME_ON_DAY

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    """What code needs from a clock."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to; `sleep` returns once time has been moved far enough."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._moved.set()
        self._moved = asyncio.Event()
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
        self._moved.set()
        self._moved = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        wake_at = self._now + timedelta(seconds=seconds)
        while self._now < wake_at:
            await self._moved.wait()


def utc(dt: datetime) -> datetime:
    """Return `dt` as aware UTC (SQLite gives naive datetimes back; they are UTC by convention)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def to_local(dt: datetime, tz: ZoneInfo = VIETNAM) -> datetime:
    return utc(dt).astimezone(tz)


def format_local(dt: datetime, tz: ZoneInfo = VIETNAM, *, with_time: bool = True) -> str:
    """Vietnamese display: `dd/mm/yyyy`, and `19:30 ngày dd/mm/yyyy` with the time."""
    local = to_local(dt, tz)
    day = local.strftime("%d/%m/%Y")
    return TIME_ON_DAY.format(time=local.strftime("%H:%M"), day=day) if with_time else day
