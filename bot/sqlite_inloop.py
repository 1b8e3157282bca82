"""SQLite for SQLAlchemy's asyncio API, run on the event loop's own thread.

Why not aiosqlite: it hands every cursor call (cursor, execute, fetch, close) to a worker
thread and back, about seven hops per statement, each a queue put, a thread wake-up, a
self-pipe write and a turn of the event loop. Measured on the tip bench this was most of the
bot's CPU, while the SQLite work itself (a few tens of microseconds a statement, on a local file)
is cheaper than one hop. So this dialect is plain `sqlite3` that declares itself async: the
sync ORM code that SQLAlchemy runs in a greenlet never has to switch out.

The one thing that could stall the loop is waiting for another process's write lock. The writer
connection therefore waits nowhere inside SQLite (`busy_timeout=0`): `begin_immediate` retries a
refused `BEGIN IMMEDIATE` with asyncio sleeps instead. Once it holds the lock, nothing in the
transaction can be refused (WAL readers never block a writer). Readers keep a busy timeout; in
WAL mode they only wait while a crashed writer's log is being recovered.

SQLite keeps no queue for its write lock, so processes take turns through `WriterTurns`: a
process that was refused says it is waiting, and one about to begin lets a waiter go first.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not on POSIX: processes simply compete for the lock
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "binhyen"
FIRST_RETRY_S = 0.001
# Another process holds the write lock for milliseconds at a time: retrying at most every 2 ms
# costs a refused BEGIN (microseconds), where waiting up to 50 ms left the lock idle long
# after it was freed (a third of the tip bench's throughput with a separate sender process).
LONGEST_RETRY_S = 0.002
TURN_POLL_S = 0.0005
# Letting a waiter go first is bounded: a waiter that does not come (it found other work, or
# another process holds the lock) costs at most this much.
LONGEST_TURN_WAIT_S = 0.02


class WriterTurns:
    """Turn-taking for SQLite's write lock between the processes of one database.

    SQLite refuses `BEGIN IMMEDIATE` while another connection writes, and whoever asks right
    after the lock is freed gets it. A process with a queue of transactions (the receiver,
    with sixteen handlers) asks again microseconds after each commit, long before a refused
    process retries, so on the tip bench the sender process spent three quarters of its time
    waiting for the lock and messages piled up for hundreds of milliseconds.

    So a refused process holds a shared POSIX record lock on one byte of `<database>-turns`
    while it waits, and a process about to begin first checks that byte with a non-blocking
    exclusive lock: refused means someone else waits, so it waits (at most
    LONGEST_TURN_WAIT_S) until they got in. The kernel drops a dead process's record locks,
    so a crashed waiter is never waited for. Record locks belong to the process, so the
    writers within one process (one connection behind an asyncio lock) never see themselves.
    """

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.waiting = False

    def announce(self) -> None:
        """We were refused the write lock and will retry: others should let us in."""
        if self.waiting:
            return
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 0)
            self.waiting = True
        except OSError:  # another process is checking the byte this instant; next retry
            pass

    def withdraw(self) -> None:
        if self.waiting:
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, 0)
            self.waiting = False

    def others_waiting(self) -> bool:
        """Whether another process waits for the write lock. Only asked while we do not."""
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        except OSError:
            return True
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, 0)
        return False

    def let_waiters_go_first(self) -> None:
        deadline = time.monotonic() + LONGEST_TURN_WAIT_S
        while self.others_waiting() and time.monotonic() < deadline:
            _pause(TURN_POLL_S)


_TURNS: dict[str, WriterTurns] = {}


def writer_turns(database_path: str) -> WriterTurns | None:
    """This process's turn-taking for a database file (one per file: closing any descriptor
    of a file drops the process's record locks on it); None where there are no record locks."""
    if fcntl is None or not database_path or database_path == ":memory:":
        return None
    key = str(Path(database_path).resolve())
    if key not in _TURNS:
        _TURNS[key] = WriterTurns(Path(key + "-turns"))
    return _TURNS[key]


class InLoopCursor(sqlite3.Cursor):
    """A plain cursor that also answers the one coroutine SQLAlchemy's asyncio layer calls."""

    async def _async_soft_close(self) -> None:
        """Results are fully fetched by the time the asyncio layer asks; nothing to do."""


class InLoopConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InLoopCursor) -> InLoopCursor:  # type: ignore[override]
        return super().cursor(factory)  # type: ignore[no-any-return]


class InLoopSQLiteDialect(SQLiteDialect_pysqlite):
    """The pysqlite dialect, allowed under `create_async_engine`, with an asyncio-aware pool."""

    driver = DRIVER
    is_async = True
    has_terminate = False
    supports_statement_cache = True

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        kwargs["factory"] = InLoopConnection
        return args, kwargs

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool


registry.register(f"sqlite.{DRIVER}", __name__, "InLoopSQLiteDialect")


def in_loop_url(url: str) -> str:
    """`sqlite[+anything]:///path` → the same database through this dialect."""
    return make_url(url).set(drivername=f"sqlite+{DRIVER}").render_as_string(hide_password=False)


def _locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def begin_immediate(conn: Connection, timeout_s: float, turns: WriterTurns | None = None
                    ) -> None:
    """`BEGIN IMMEDIATE`, waiting for another process's write lock without blocking the loop,
    taking turns with the other processes when `turns` is given."""
    deadline = time.monotonic() + timeout_s
    delay = FIRST_RETRY_S
    if turns is not None:
        turns.let_waiters_go_first()
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except Exception as exc:  # SQLAlchemy wraps it; the sqlite3 error is on `.orig`
                orig = getattr(exc, "orig", exc)
                if not (isinstance(orig, sqlite3.OperationalError) and _locked(orig)):
                    raise
                if time.monotonic() + delay > deadline:
                    raise
            if turns is not None:
                turns.announce()
            _pause(delay)
            delay = min(delay * 2, LONGEST_RETRY_S)
    finally:
        if turns is not None:
            turns.withdraw()


def _pause(seconds: float) -> None:
    """Sleep on the event loop when called from SQLAlchemy's greenlet, else (plain sync use)
    block this thread."""
    if in_greenlet():
        await_(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


def set_pragmas(dbapi_connection: Any, pragmas: list[str]) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(pragma)
    cursor.close()
