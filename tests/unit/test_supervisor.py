"""The supervisor on its own, on a fake clock: a crashing loop is started again after a backoff
that doubles with jitter up to a cap and starts afresh once the loop has run calmly; a loop
counts as back only once it came round after starting again; one that does not come round in
time is stale; a round of a driven loop (the tick) is skipped while it backs off."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from scheduler.supervisor import (
    CALM_AFTER,
    FIRST_DELAY_S,
    LONGEST_DELAY_S,
    Beat,
    RoundFailed,
    Supervisor,
)

MINUTE = timedelta(minutes=1)


async def turn() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_crashing_loop_backs_off_doubling_with_jitter_up_to_the_cap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, stop = FakeClock(), asyncio.Event()
    supervisor = Supervisor(clock, stop)
    starts = 0

    async def body(_beat: Beat) -> None:
        nonlocal starts
        starts += 1
        raise RuntimeError("database is locked")

    supervisor.start("poll:x", MINUTE, body)
    waits = []
    for _ in range(9):
        await turn()
        loop = supervisor.loops["poll:x"]
        assert loop.restart_at is not None
        waits.append((loop.restart_at - clock.now()).total_seconds())
        clock.set(loop.restart_at)
    await turn()
    expected = [min(FIRST_DELAY_S * 2 ** n, LONGEST_DELAY_S) for n in range(9)]
    assert all(top / 2 <= wait <= top for wait, top in zip(waits, expected, strict=True)), waits
    assert starts == 10 and supervisor.loops["poll:x"].restarts == 10
    assert supervisor.health().crashed == ["poll:x"] and not supervisor.health().ok
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == 10 and all(r.exc_info for r in logged)
    assert "poll:x stopped on RuntimeError" in logged[0].getMessage()
    stop.set()
    await supervisor.close()


async def test_a_loop_is_back_once_it_came_round_after_starting_again() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    supervisor = Supervisor(clock, stop)
    crashes = 1
    went_on = asyncio.Event()

    async def body(beat: Beat) -> None:
        nonlocal crashes
        beat()  # the start
        if crashes:
            crashes -= 1
            raise RuntimeError("connection lost")
        await went_on.wait()
        beat()  # came round: a full round since the restart
        await stop.wait()

    supervisor.start("inbox:x", MINUTE, body)
    await turn()
    loop = supervisor.loops["inbox:x"]
    assert loop.error == "RuntimeError" and loop.restart_at is not None
    clock.set(loop.restart_at)
    await turn()
    assert loop.restarts == 1 and supervisor.health().crashed == ["inbox:x"]  # started only
    went_on.set()
    await turn()
    assert supervisor.health().ok and loop.error is None
    stop.set()
    await supervisor.close()


async def test_the_backoff_starts_afresh_after_a_calm_spell() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    supervisor = Supervisor(clock, stop)
    loop = supervisor.add("deliver:x", MINUTE)
    for _ in range(4):
        loop.crashed(RuntimeError("x"))
    assert loop.delay == FIRST_DELAY_S * 16
    clock.advance(CALM_AFTER + timedelta(seconds=1))
    wait = loop.crashed(RuntimeError("x"))
    assert FIRST_DELAY_S / 2 <= wait <= FIRST_DELAY_S and loop.restarts == 5


async def test_a_loop_that_does_not_come_round_in_time_is_stale() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    supervisor = Supervisor(clock, stop)

    async def body(beat: Beat) -> None:
        beat()
        await stop.wait()  # stuck, say on a lock

    supervisor.start("poll:x", MINUTE, body)
    await turn()
    clock.advance(MINUTE)
    assert supervisor.health().ok  # exactly its allowance: still in time
    clock.advance(timedelta(seconds=1))
    health = supervisor.health()
    assert health.stale == ["poll:x"] and not health.ok
    assert health.as_json()["loops"]["poll:x"]["state"] == "stale"
    stop.set()
    await supervisor.close()


async def test_a_loop_that_returns_while_the_process_runs_is_started_again() -> None:
    clock, stop = FakeClock(), asyncio.Event()
    supervisor = Supervisor(clock, stop)

    async def body(_beat: Beat) -> None:
        return

    supervisor.start("tick:x", MINUTE, body)
    await turn()
    assert supervisor.loops["tick:x"].error == "LoopEnded"
    stop.set()
    await supervisor.close()


async def test_a_driven_round_that_fails_is_skipped_until_its_backoff_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, stop = FakeClock(), asyncio.Event()
    supervisor = Supervisor(clock, stop)
    loop = supervisor.add("tick", MINUTE)
    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        raise RoundFailed("due job(s) housekeeping failed")

    await supervisor.round("tick", failing)
    await supervisor.round("tick", failing)  # during the backoff: not even tried
    assert calls == 1 and loop.restarts == 1 and supervisor.health().crashed == ["tick"]
    assert loop.restart_at is not None
    clock.set(loop.restart_at)

    async def working() -> None:
        nonlocal calls
        calls += 1

    await supervisor.round("tick", working)
    assert calls == 2 and supervisor.health().ok
    # the jobs logged their own tracebacks: the round's failure is one line without one
    assert [r.exc_info for r in caplog.records] == [None]
