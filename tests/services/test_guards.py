"""Expiring counters: `take` counts only while its window has room, in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.models import GuardCounter
from bot.runtime import Runtime
from bot.services import guards

pytestmark = pytest.mark.pg

HOURLY = guards.Window(limit=3, span=timedelta(hours=1))


async def _take(rt: Runtime, clock: FakeClock, key: str = "tips:abc") -> bool:
    async with rt.transaction() as session:
        return await guards.take(session, key, HOURLY, clock.now())


async def _counter(rt: Runtime, key: str = "tips:abc") -> GuardCounter:
    async with rt.db.reading() as session:
        return (await session.scalars(select(GuardCounter).where(GuardCounter.key == key))).one()


async def test_take_counts_up_to_the_limit_then_refuses_without_counting(
        rt: Runtime, clock: FakeClock) -> None:
    started = clock.now()
    assert [await _take(rt, clock) for _ in range(3)] == [True, True, True]
    clock.advance(timedelta(minutes=59))
    assert await _take(rt, clock) is False
    counter = await _counter(rt)
    assert counter.count == 3 and counter.window_start == started
    assert counter.expires_at == started + HOURLY.span
    async with rt.db.reading() as session:
        assert await guards.is_blocked(session, "tips:abc", HOURLY, clock.now())
    assert await _take(rt, clock, "tips:other") is True  # keys are counted apart


async def test_a_new_window_starts_the_count_again(rt: Runtime, clock: FakeClock) -> None:
    for _ in range(3):
        await _take(rt, clock)
    clock.advance(timedelta(hours=1))
    assert await _take(rt, clock) is True
    counter = await _counter(rt)
    assert counter.count == 1 and counter.window_start == clock.now()
    assert counter.expires_at == clock.now() + HOURLY.span
    assert [await _take(rt, clock) for _ in range(3)] == [True, True, False]


async def test_take_refuses_a_window_with_lock_out(rt: Runtime, clock: FakeClock) -> None:
    locking = guards.Window(limit=3, span=timedelta(hours=1), lockout=timedelta(hours=1))
    async with rt.transaction() as session:
        with pytest.raises(ValueError):
            await guards.take(session, "k", locking, clock.now())
