"""Every long-running loop is supervised: a database error is logged with its traceback, the
loop starts again after a backoff and its work still gets done — nothing received is lost,
nothing sent goes twice — while `/healthz` answers 503 naming the loop that is down (crashed)
or late (stale), and 200 again once it comes round.

Errors come from the edges only: an engine event that makes a statement raise the driver's
lock error, a real lock held by another process (SQLite), connections terminated or a table
locked by another session (PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, func, select, text

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.models import InboxStatus, InboxUpdate, OutboxMessage
from bot.sandbox.server import start_sandbox
from bot.web import WebServer
from scheduler.supervisor import LONGEST_DELAY_S
from tests.harness import RESIDENT, TOKEN, Harness, start_harness

pytestmark = pytest.mark.pg
REPO = Path(__file__).resolve().parents[2]
HealthCheck = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]


class FailingStatements:
    """While armed, every statement starting with `starts` (and containing `contains`) raises
    the driver's own lock error, as a lock held past the busy timeout (SQLite) or a lock
    timeout (PostgreSQL) would. An engine event: the edge of our code, nothing of it mocked."""

    def __init__(self, db: Database, starts: str, contains: str = "") -> None:
        self.db, self.starts, self.contains = db, starts, contains
        self.armed = True
        self.hits = 0
        self.engines = {db.writer.sync_engine, db.reader.sync_engine}
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if self.armed and statement.lstrip().startswith(self.starts) \
                and self.contains in statement:
            self.hits += 1
            raise self._error()

    def _error(self) -> Exception:
        dbapi = self.db.writer.dialect.loaded_dbapi
        if self.db.is_sqlite:
            return dbapi.OperationalError("database is locked")  # type: ignore[no-any-return]
        error = dbapi.OperationalError("canceling statement due to lock timeout")
        error.sqlstate = error.pgcode = "55P03"  # lock_not_available
        return error  # type: ignore[no-any-return]

    def remove(self) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._before)


@asynccontextmanager
async def health_page(h: Harness) -> AsyncIterator[HealthCheck]:
    """The bot's real web server, serving /healthz from the running app."""
    web = WebServer(h.app.rt, health_of=h.app.health)
    port = await web.start("127.0.0.1", 0)

    async def check() -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{port}/healthz") as response:
            return response.status, dict(await response.json())

    try:
        yield check
    finally:
        await web.stop()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Wait for what the bot's own loops bring about (real time: a restart's backoff)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


def restarted(h: Harness, name: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return h.app.supervisor.loops[name].restarts >= 1
    return check


def healthy(health: HealthCheck) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await health())[0] == 200
    return check


def tracebacks(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "scheduler.supervisor"
            and name in r.getMessage() and r.exc_info is not None]


async def answers(h: Harness) -> list[str]:
    return [t for t in await h.seen(RESIDENT) if "113" in t]


# (loop, channel, statement it runs): the poller stores, the processor claims (on PostgreSQL
# inside the statement that tries the sender's lock first, so matched by what it contains), the
# worker records a message it has just delivered
INBOX_CLAIM = "UPDATE inbox SET sender_ref"
LOOPS = [
    ("poll:telegram", "telegram", "INSERT INTO inbox", ""),
    ("poll:zalo", "zalo", "INSERT INTO inbox", ""),
    ("inbox:telegram", "telegram", "", INBOX_CLAIM),
    ("inbox:zalo", "zalo", "", INBOX_CLAIM),
    ("deliver:telegram", "telegram", "DELETE FROM outbox", "RETURNING"),
]


@pytest.mark.parametrize(("loop", "channel", "starts", "contains"), LOOPS,
                         ids=[loop for loop, *_ in LOOPS])
async def test_a_loop_hit_by_a_database_error_starts_again_and_its_work_gets_done(
    settings: Settings, db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture,
    loop: str, channel: str, starts: str, contains: str,
) -> None:
    async with start_harness(settings, db, clock, channel=channel) as h, \
            health_page(h) as health:
        await h.say(RESIDENT, "/start")
        await h.seen(RESIDENT)
        assert (await health())[0] == 200
        failing = FailingStatements(db, starts, contains)
        await h.say(RESIDENT, "/hotline", settle=False)
        clock.advance(2)  # past the chat's one message a second, so the answer goes
        await until(restarted(h, loop))
        status, body = await health()
        assert status == 503 and loop in body["crashed"], body
        assert body["loops"][loop]["error"] == "OperationalError"
        failing.armed = False
        clock.advance(LONGEST_DELAY_S)  # no need to sit out the backoff
        await h.settle()
        assert len(await answers(h)) == 1  # handled, and sent, exactly once
        await until(healthy(health))
        await h.say(RESIDENT, "/hotline")  # and the loop goes on
        assert len(await answers(h)) == 1
        failing.remove()
        async with h.app.rt.db.reading() as session:  # delivered rows are deleted at once
            left = (await session.execute(select(OutboxMessage.status))).scalars().all()
        assert left == [], left
        assert [w.stats["resent"] for w in h.app.workers] == [0]
    assert failing.hits >= 1
    logged = tracebacks(caplog, loop)
    assert logged and "OperationalError" in logged[0].getMessage()


async def test_the_tick_that_fails_is_tried_again_and_shows_on_healthz(
    settings: Settings, db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture,
) -> None:
    settings.tick_seconds = 0.05
    async with start_harness(settings, db, clock, run_scheduler=True) as h, \
            health_page(h) as health:
        old = clock.now() - timedelta(days=settings.inbox_keep_days + 1)
        async with h.app.rt.transaction() as session:  # handled long ago: housekeeping's
            session.add(InboxUpdate(channel="telegram", update_key="old:1", sender_ref="x",
                                    status=InboxStatus.DONE, received_at=old,
                                    processed_at=old))
        failing = FailingStatements(db, "DELETE FROM inbox")
        await until(restarted(h, "tick"))
        status, body = await health()
        assert status == 503 and "tick" in body["crashed"], body
        failing.armed = False
        clock.advance(LONGEST_DELAY_S)

        async def purged() -> bool:
            async with h.app.rt.db.reading() as session:
                return not await session.scalar(select(func.count()).select_from(InboxUpdate))

        await until(purged)
        await until(healthy(health))
        failing.remove()
    assert tracebacks(caplog, "due job") == []  # the job logs its own traceback:
    assert any(r.name == "scheduler.tick" and r.exc_info for r in caplog.records)
    assert any("tick failed" in r.getMessage() for r in caplog.records)


# ---- real locks held by another process ---------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


@asynccontextmanager
async def sqlite_locked(path: str) -> AsyncIterator[None]:
    """Another process holds the database's write lock (`BEGIN EXCLUSIVE`) until the block
    ends."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_LOCK, path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert holder.stdout is not None and holder.stdin is not None
    assert (await holder.stdout.readline()).strip() == b"locked"
    try:
        yield
    finally:
        holder.stdin.write(b"done\n")
        await holder.stdin.drain()
        assert await asyncio.wait_for(holder.wait(), 10) == 0


def sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


@pytest.fixture
def on_sqlite(db_kind: str) -> None:
    if db_kind != "sqlite":
        pytest.skip("a lock on the SQLite file")


@pytest.fixture
def on_postgres(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("PostgreSQL's own sessions and locks")


async def test_a_sqlite_lock_held_past_the_busy_timeout_loses_nothing(
    on_sqlite: None, settings: Settings, database_url: str, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = Database(database_url, busy_timeout_s=0.3)
    async with start_harness(settings, db, clock) as h, health_page(h) as health:
        await h.say(RESIDENT, "/hotline")
        assert len(await answers(h)) == 1
        async with sqlite_locked(sqlite_path(database_url)):
            await h.say(RESIDENT, "/hotline", settle=False)  # a resident writes meanwhile
            await until(restarted(h, "poll:telegram"))
            status, body = await health()
            assert status == 503 and "poll:telegram" in body["crashed"], body
        clock.advance(LONGEST_DELAY_S)
        await h.settle()
        assert len(await answers(h)) == 1  # handled after the lock is gone, once
        await until(healthy(health))
    logged = tracebacks(caplog, "poll:telegram")
    assert logged and "database is locked" in caplog.text


async def stuck_in_store(h: Harness) -> bool:
    """The bot took the update from getUpdates and has not come back for more."""
    return "the bot is not waiting in getUpdates" in h.sandbox.sandbox._state_busy_reasons()


async def test_a_loop_stuck_on_a_sqlite_lock_shows_as_stale_until_it_comes_round(
    on_sqlite: None, settings: Settings, db: Database, database_url: str, clock: FakeClock,
) -> None:
    async with start_harness(settings, db, clock) as h, health_page(h) as health:
        await h.say(RESIDENT, "/hotline")
        await h.seen(RESIDENT)
        async with sqlite_locked(sqlite_path(database_url)):
            await h.say(RESIDENT, "/hotline", settle=False)
            await until(lambda: stuck_in_store(h))
            allowance = h.app.supervisor.loops["poll:telegram"].allowance
            clock.advance(allowance + timedelta(seconds=1))
            status, body = await health()
            assert status == 503 and "poll:telegram" in body["stale"], body
        await until(healthy(health))
        await h.settle()
        assert len(await answers(h)) == 1


async def test_postgresql_terminating_the_bots_connections_loses_nothing(
    on_postgres: None, settings: Settings, db: Database, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    backends: set[int] = set()

    def remember(dbapi_connection: Any, _record: object) -> None:
        backends.add(dbapi_connection._connection.get_server_pid())

    await db.dispose()  # every connection the bot uses from here on is remembered
    event.listen(db.writer.sync_engine, "connect", remember)
    admin = Database(db.url)
    async with start_harness(settings, db, clock) as h, health_page(h) as health:
        await h.say(RESIDENT, "/hotline")
        assert len(await answers(h)) == 1 and backends
        async with admin.transaction() as session:
            for pid in sorted(backends):
                await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await h.say(RESIDENT, "/hotline", settle=False)  # a resident writes meanwhile
        await until(lambda: _restarts(h))
        await h.settle(timeout=60)
        assert len(await answers(h)) == 1
        await until(healthy(health))
    await admin.dispose()
    assert [r for r in caplog.records if r.name == "scheduler.supervisor" and r.exc_info]


async def _restarts(h: Harness) -> bool:
    return sum(loop.restarts for loop in h.app.supervisor.loops.values()) >= 1


async def test_postgresql_a_table_locked_by_another_session_shows_as_stale(
    on_postgres: None, settings: Settings, db: Database, clock: FakeClock,
) -> None:
    admin = Database(db.url)
    async with start_harness(settings, db, clock) as h, health_page(h) as health:
        await h.say(RESIDENT, "/hotline")
        await h.seen(RESIDENT)
        async with admin.writer.connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text(f'LOCK TABLE "{db.schema}".inbox IN ACCESS EXCLUSIVE MODE'))
            await h.say(RESIDENT, "/hotline", settle=False)
            await until(lambda: stuck_in_store(h))
            allowance = h.app.supervisor.loops["poll:telegram"].allowance
            clock.advance(allowance + timedelta(seconds=1))
            status, body = await health()
            assert status == 503 and "poll:telegram" in body["stale"], body
            await transaction.rollback()
        await until(healthy(health))
        await h.settle()
        assert len(await answers(h)) == 1
    await admin.dispose()


# ---- the same, as `binhyen run` --------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
async def test_binhyen_run_serves_healthz_and_a_real_lock_shows_on_it(
    on_sqlite: None, settings: Settings,
) -> None:
    """With only a Telegram token (no public address), `run` still serves /healthz."""
    sandbox = await start_sandbox("127.0.0.1", 0, TOKEN)
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    environment.update(
        BINHYEN_TELEGRAM_TOKEN=TOKEN, BINHYEN_TELEGRAM_API_URL=sandbox.base_url,
        BINHYEN_DATABASE_URL=settings.db_url, BINHYEN_KEY_FILE=str(settings.key_file),
        BINHYEN_DATA_DIR=str(settings.data_dir), BINHYEN_POLL_TIMEOUT="1",
        BINHYEN_LEASE_TTL_SECONDS="2", BINHYEN_WEB_PORT=str(port),
        BINHYEN_SQLITE_BUSY_TIMEOUT="0.3", BINHYEN_LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=REPO, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/healthz"

    async def health() -> tuple[int, dict[str, Any]]:
        try:
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                return response.status, dict(await response.json())
        except aiohttp.ClientConnectionError:
            return 0, {}

    def answered(user: int, times: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            messages = (await sandbox.sandbox.transcript(user))["messages"]
            return len([m for m in messages if m["from"] == "bot" and "113" in m["text"]]) == times
        return check

    def down() -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            status, body = await health()
            return status == 503 and "poll:telegram" in body.get("crashed", [])
        return check

    try:
        await until(healthy(health), timeout=60)
        await sandbox.sandbox.user_message({"id": 8001, "first_name": "A"}, "/hotline")
        await until(answered(8001, 1))
        async with sqlite_locked(sqlite_path(settings.db_url)):
            await sandbox.sandbox.user_message({"id": 8002, "first_name": "B"}, "/hotline")
            await until(down())
        await until(answered(8002, 1), timeout=60)
        await until(healthy(health), timeout=60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        await sandbox.close()
    log = output.decode()
    assert process.returncode == 0, log[-3000:]
    assert "poll:telegram stopped on OperationalError" in log and "database is locked" in log
    assert "Traceback" in log and TOKEN.split(":")[1] not in log
    assert await answered(8002, 1)()  # once, not again after the restarts
