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
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "binhyen"
FIRST_RETRY_S = 0.001
# Another process holds the write lock for milliseconds at a time: retrying at most every 5 ms
# costs a refused BEGIN (microseconds), where waiting up to 50 ms left the lock idle long
# after it was freed (a third of the tip bench's throughput with a separate sender process).
LONGEST_RETRY_S = 0.005


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


def begin_immediate(conn: Connection, timeout_s: float) -> None:
    """`BEGIN IMMEDIATE`, waiting for another process's write lock without blocking the loop."""
    deadline = time.monotonic() + timeout_s
    delay = FIRST_RETRY_S
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
        _pause(delay)
        delay = min(delay * 2, LONGEST_RETRY_S)


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
