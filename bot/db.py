"""Database access: engines, the unit of work, migrations.

SQLite (the default) runs in WAL mode with a busy timeout and `secure_delete`; every write
goes through one connection behind an asyncio lock, starting with `BEGIN IMMEDIATE`, so
writers never deadlock on a lock upgrade and readers keep reading while one writes.
PostgreSQL gets an ordinary pool; `lock_key` then takes a transaction-scoped advisory lock so
several workers can still handle one user's updates one at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


def _sqlite_pragmas(synchronous: str) -> list[str]:
    return [
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA secure_delete=ON",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA synchronous={synchronous}",
    ]


def _install_sqlite_hooks(engine: AsyncEngine, begin: str, synchronous: str) -> None:
    """Take transaction control from the driver so we choose the BEGIN (the SQLAlchemy recipe)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _sqlite_pragmas(synchronous):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


class Database:
    """Engines and sessions for one database URL (and, on PostgreSQL, optionally one schema)."""

    def __init__(
        self, url: str, *, schema: str | None = None, sqlite_synchronous: str = "FULL"
    ) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            self._make_sqlite_dir(url)
            self.writer = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
            self.reader = create_async_engine(url, pool_size=4, max_overflow=4)
            _install_sqlite_hooks(self.writer, "BEGIN IMMEDIATE", sqlite_synchronous)
            _install_sqlite_hooks(self.reader, "BEGIN", sqlite_synchronous)
        else:
            connect_args: dict[str, Any] = {}
            if schema:
                connect_args["server_settings"] = {"search_path": schema}
            self.writer = create_async_engine(
                url, pool_size=10, max_overflow=10, connect_args=connect_args
            )
            self.reader = self.writer
        self._writes = async_sessionmaker(self.writer, expire_on_commit=False)
        self._reads = async_sessionmaker(self.reader, expire_on_commit=False)

    @staticmethod
    def _make_sqlite_dir(url: str) -> None:
        path = url.split(":///", 1)[-1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

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
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot; never write through it."""
        async with self._reads() as session, session.begin():
            yield session

    async def lock_key(self, session: AsyncSession, key: str) -> None:
        """Serialise work on `key` across processes (PostgreSQL); SQLite already has one writer."""
        if self.is_sqlite:
            return
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})

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
