"""Wake-ups between workers (`bot.wakeups`): a transaction that queued outbox rows is heard by
a listener on another connection when it commits, and never when it rolls back, whether the
wake-up rode on the outbox INSERT or was said before the commit; a poller's store is heard for
new updates only; a worker does not hear itself; another schema's listener hears nothing; a
listener whose connection is killed ends (the supervisor starts it again) and a new one wakes
everything at start."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest
from sqlalchemy import text

from bot import wakeups
from bot.db import Database
from bot.messages import PlatformRequest
from bot.models import ChatKind
from bot.runtime import OUTBOX_CHANNELS, Runtime
from bot.services import inbox_store, outbox, people
from tests.services.conftest import TEXT_CHANNEL

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
                     check_every_s: float = wakeups.CHECK_EVERY_S, origin: str = "listener",
                     ) -> tuple[wakeups.Listener, asyncio.Task[None]]:
    listener = wakeups.Listener(db, heard.wake, origin, check_every_s)
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


async def _enqueue(rt: Runtime, external_id: str, *, fail: bool = False) -> None:
    """Queue a real outbox row (its wake-up rides on the INSERT) in a chat of `TEXT_CHANNEL`."""
    with contextlib.suppress(RuntimeError):
        async with rt.transaction() as session:
            chat = await people.ensure_chat(session, rt, TEXT_CHANNEL, external_id,
                                            ChatKind.PRIVATE, None)
            await outbox.enqueue_request(session, rt, chat, PlatformRequest(
                "sendMessage", {"text": "Chào bà con"}))
            if fail:
                raise RuntimeError("rolled back")


async def _store(rt: Runtime, key: str) -> int:
    """A poller's store of one update (shared with the other workers)."""
    async with rt.db.statement() as session:
        return await inbox_store.store(session, rt, "zalo", [inbox_store.Received(
            key, "sender", {"event_name": "user_send_text"})], shared=True)


async def test_a_commit_is_heard_a_rollback_is_not(rt: Runtime, db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("one process on SQLite: nothing to wake")
    heard, stop = Heard(), asyncio.Event()
    _, task = await _listening(db, heard, stop)
    try:
        await _queue(rt, "zalo", fail=True)
        await _enqueue(rt, "41", fail=True)
        await _queue(rt, "telegram")
        await _enqueue(rt, "42")
        assert await _store(rt, "update-1") == 1
        assert await _store(rt, "update-1") == 0  # a repeat: stored once, said once
        await heard.until(3)
        await asyncio.sleep(0.2)  # room for anything that should not have come
        assert heard.said == [("outbox", "telegram"), ("outbox", TEXT_CHANNEL),
                              ("inbox", "zalo")]
    finally:
        stop.set()
        await task


async def test_a_worker_does_not_hear_itself(rt: Runtime, db: Database) -> None:
    """What a worker (or its sender process, which takes its origin) said, it already acted
    on; hearing it again cost a second look at the inbox and the outbox per update."""
    if db.is_sqlite:
        pytest.skip("one process on SQLite: nothing to wake")
    heard, stop = Heard(), asyncio.Event()
    _, task = await _listening(db, heard, stop, origin=rt.origin)
    try:
        await _queue(rt, "telegram")
        await _enqueue(rt, "43")
        await _store(rt, "update-2")
        other = replace(rt, origin="another-worker")
        await _enqueue(other, "44")
        await heard.until(1)
        await asyncio.sleep(0.2)
        assert heard.said == [("outbox", TEXT_CHANNEL)]
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
