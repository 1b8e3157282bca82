"""Wake-ups between workers (`bot.wakeups`): a transaction that queued outbox rows is heard by
a listener on another connection when it commits, and never when it rolls back; another
schema's listener hears nothing; a listener whose connection is killed ends (the supervisor
starts it again) and a new one wakes everything at start."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text

from bot import wakeups
from bot.db import Database
from bot.runtime import OUTBOX_CHANNELS, Runtime

pytestmark = pytest.mark.pg


class Heard:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []
        self.everything = 0
        self.changed = asyncio.Event()

    def wake(self, kind: str, name: str) -> None:
        self.said.append((kind, name))
        self.changed.set()

    def wake_everything(self) -> None:
        self.everything += 1
        self.changed.set()

    async def until(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.said) < count:
                self.changed.clear()
                await self.changed.wait()


async def _listening(db: Database, heard: Heard, stop: asyncio.Event,
                     check_every_s: float = wakeups.CHECK_EVERY_S,
                     ) -> tuple[wakeups.Listener, asyncio.Task[None]]:
    listener = wakeups.Listener(db, heard.wake, check_every_s)
    task = asyncio.create_task(listener.run(stop, lambda: None, heard.wake_everything))
    async with asyncio.timeout(10):
        while not heard.everything:
            heard.changed.clear()
            await heard.changed.wait()
    return listener, task


async def _queue(rt: Runtime, channel: str, *, fail: bool = False) -> None:
    """A transaction that (as `outbox.enqueue` does) noted rows for `channel`."""
    with contextlib.suppress(RuntimeError):
        async with rt.transaction() as session:
            session.info[OUTBOX_CHANNELS].add(channel)
            if fail:
                raise RuntimeError("rolled back")


async def test_a_commit_is_heard_a_rollback_is_not(rt: Runtime, db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("one process on SQLite: nothing to wake")
    heard, stop = Heard(), asyncio.Event()
    _, task = await _listening(db, heard, stop)
    try:
        await _queue(rt, "zalo", fail=True)
        await _queue(rt, "telegram")
        await wakeups.notify(db, wakeups.INBOX, "zalo")
        await heard.until(2)
        await asyncio.sleep(0.2)  # room for anything that should not have come
        assert heard.said == [("outbox", "telegram"), ("inbox", "zalo")]
    finally:
        stop.set()
        await task


async def test_another_schema_hears_nothing(rt: Runtime, db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("one process on SQLite: nothing to wake")
    other = Database(db.url, schema=f"{db.schema}_other")
    heard, stop = Heard(), asyncio.Event()
    _, task = await _listening(other, heard, stop)
    try:
        await _queue(rt, "telegram")
        await asyncio.sleep(0.3)
        assert heard.said == []
    finally:
        stop.set()
        await task
        await other.dispose()


async def test_a_lost_connection_ends_the_listener(rt: Runtime, db: Database) -> None:
    """The loop raises (so the supervisor restarts it, and the restart wakes everything)
    instead of listening on a dead connection for ever."""
    if db.is_sqlite:
        pytest.skip("one process on SQLite: nothing to wake")
    heard, stop = Heard(), asyncio.Event()
    listener, task = await _listening(db, heard, stop, check_every_s=0.2)
    async with db.writer.connect() as admin:
        await admin.execute(text("SELECT pg_terminate_backend(:pid)"),
                            {"pid": listener.server_pid})
    try:
        with pytest.raises(Exception):  # noqa: B017 - asyncpg's own connection errors
            async with asyncio.timeout(10):
                await task
    finally:
        stop.set()
