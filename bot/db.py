"""Database access: engines, the unit of work, migrations.

SQLite (the default) runs in WAL mode with `secure_delete`, on the event loop's own thread
(`bot.sqlite_inloop` says why); every write goes through one connection behind an asyncio lock,
starting with `BEGIN IMMEDIATE`, so writers never deadlock on a lock upgrade and readers keep
reading while one writes.
PostgreSQL gets an ordinary pool; a transaction-scoped advisory lock (`lock_number`) lets
several workers still handle one user's updates one at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.sqlite_inloop import WriterTurns, begin_immediate, in_loop_url, set_pragmas, writer_turns

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
SERVICE_CONNECTIONS = 8


def _sqlite_pragmas(synchronous: str, busy_timeout_ms: int) -> list[str]:
    return [
        f"PRAGMA busy_timeout={busy_timeout_ms}",
        "PRAGMA journal_mode=WAL",
        "PRAGMA secure_delete=ON",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA synchronous={synchronous}",
    ]


def _install_sqlite_hooks(engine: AsyncEngine, *, writer: bool, synchronous: str,
                          turns: WriterTurns | None = None) -> None:
    """Take transaction control from the driver so we choose the BEGIN (the SQLAlchemy recipe).
    The writer waits for the write lock in `begin_immediate`, on the loop, never inside SQLite."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # switching to WAL needs the lock once, so the writer waits for that one like a reader
        set_pragmas(dbapi_connection, _sqlite_pragmas(synchronous, SQLITE_BUSY_TIMEOUT_MS))
        if writer:
            set_pragmas(dbapi_connection, ["PRAGMA busy_timeout=0"])

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if writer:
            begin_immediate(conn, SQLITE_BUSY_TIMEOUT_MS / 1000, turns)
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """Engines and sessions for one database URL (and, on PostgreSQL, optionally one schema)."""

    def __init__(
        self, url: str, *, schema: str | None = None, sqlite_synchronous: str = "FULL",
        concurrency: int = 4,
    ) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            path = self._make_sqlite_dir(url)
            local = in_loop_url(url)
            self.writer = create_async_engine(local, pool_size=1, max_overflow=0, pool_timeout=60)
            self.reader = create_async_engine(local, pool_size=4, max_overflow=4)
            _install_sqlite_hooks(self.writer, writer=True, synchronous=sqlite_synchronous,
                                  turns=writer_turns(path))
            _install_sqlite_hooks(self.reader, writer=False, synchronous=sqlite_synchronous)
        else:
            # the app has a few hundred distinct statements; asyncpg's default cache of 100
            # per connection would keep preparing them again
            connect_args: dict[str, Any] = {"prepared_statement_cache_size": 1000}
            if schema:
                connect_args["server_settings"] = {"search_path": schema}
            # Enough pooled connections for every concurrent handler plus the poller, the sender,
            # the ticker and readers: an overflow connection is closed after use, and opening
            # one costs a PostgreSQL backend and asyncpg's type introspection (this churn was
            # a third of the tip bench's time on PostgreSQL).
            self.writer = create_async_engine(
                url, pool_size=concurrency + SERVICE_CONNECTIONS, max_overflow=10,
                connect_args=connect_args,
            )
            self.reader = self.writer
        self._writes = async_sessionmaker(self.writer, expire_on_commit=False)
        self._reads = async_sessionmaker(self.reader, expire_on_commit=False)
        self._statements = None if self.is_sqlite else async_sessionmaker(
            self.writer.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)

    @staticmethod
    def _make_sqlite_dir(url: str) -> str:
        """The database file's path ("" or ":memory:" for none), its folder made."""
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return path

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        if self._write_lock is None:
            async with self._writes() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._writes() as session, session.begin():
            yield session

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[AsyncSession]:
        """For work that is a single statement, atomic by itself (storing received updates).
        On PostgreSQL it runs without BEGIN and COMMIT, two round trips fewer; on SQLite it
        is an ordinary transaction (there the commit is the cost, and the same)."""
        if self._statements is None:
            async with self.transaction() as session:
                yield session
            return
        async with self._statements() as session:
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot; never write through it."""
        async with self._reads() as session, session.begin():
            yield session

    @staticmethod
    def lock_number(key: str) -> int:
        """The PostgreSQL advisory lock that serialises work on `key` across processes."""
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.writer.begin() as conn:
            await conn.run_sync(_upgrade_to_head, self.schema)

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def alembic_config(connection: Connection | None = None, schema: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


def _upgrade_to_head(connection: Connection, schema: str | None) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection, schema), "head")
