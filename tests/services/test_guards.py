"""Expiring counters: `take` counts only while its window has room and no lock-out holds,
in one statement; `give_back` undoes a take; `count` measures without refusing."""

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


LOCKING = guards.Window(limit=3, span=timedelta(hours=1), lockout=timedelta(minutes=30))


async def test_the_take_that_fills_a_locking_window_locks_it_out(
        rt: Runtime, clock: FakeClock) -> None:
    async def take() -> bool:
        async with rt.transaction() as session:
            return await guards.take(session, "k", LOCKING, clock.now())

    assert [await take() for _ in range(3)] == [True, True, True]
    filled = clock.now()
    counter = await _counter(rt, "k")
    assert counter.locked_until == filled + timedelta(minutes=30)
    assert counter.expires_at >= counter.locked_until
    clock.advance(timedelta(minutes=29))
    assert await take() is False  # locked: refused, nothing counted
    assert (await _counter(rt, "k")).count == 3
    clock.advance(timedelta(minutes=1))  # the lock-out is over: a new window
    assert await take() is True
    counter = await _counter(rt, "k")
    assert (counter.count, counter.window_start, counter.locked_until) == (1, clock.now(), None)
    # a window that ends without filling starts again, lock-free
    assert await take() is True
    clock.advance(timedelta(hours=1))
    assert [await take() for _ in range(4)] == [True, True, True, False]


async def test_give_back_undoes_a_take_and_its_lock_out(rt: Runtime, clock: FakeClock) -> None:
    async with rt.transaction() as session:
        for _ in range(3):
            assert await guards.take(session, "k", LOCKING, clock.now())
        assert await guards.is_blocked(session, "k", LOCKING, clock.now())
        await guards.give_back(session, "k", LOCKING)
        assert not await guards.is_blocked(session, "k", LOCKING, clock.now())
    counter = await _counter(rt, "k")
    assert (counter.count, counter.locked_until) == (2, None)


async def test_count_measures_without_refusing(rt: Runtime, clock: FakeClock) -> None:
    async with rt.transaction() as session:
        assert [await guards.count(session, "g", HOURLY, clock.now()) for _ in range(5)] == [
            1, 2, 3, 4, 5]
        assert await guards.is_blocked(session, "g", HOURLY, clock.now())
        with pytest.raises(ValueError):
            await guards.count(session, "g", LOCKING, clock.now())
    clock.advance(timedelta(hours=1))
    async with rt.transaction() as session:
        assert await guards.count(session, "g", HOURLY, clock.now()) == 1
