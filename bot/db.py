"""Database access: engines, the unit of work, migrations.

SQLite (the default) runs in WAL mode with `secure_delete`, on the event loop's own thread
(`bot.sqlite_inloop` says why); every write goes through one connection behind an asyncio lock,
starting with `BEGIN IMMEDIATE`, so writers never deadlock on a lock upgrade and readers keep
reading while one writes.
PostgreSQL gets an ordinary pool; a transaction-scoped advisory lock (`lock_number`) lets
several workers still handle one user's updates one at a time.

Upgrades cannot race: `migrate` runs Alembic under an advisory lock on PostgreSQL (and inside
`BEGIN IMMEDIATE`, the one writer, on SQLite), so a second migration started at the same time
waits and then finds nothing to do. A process that must not migrate (`ready(migrate=False)`,
several workers on PostgreSQL) only checks the schema is the code's and refuses, in one line,
when it is not.

Errors never carry statement parameters (`hide_parameters`): a traceback in the log shows the
SQL, not the values. `unavailable(exc)` tells an error of the database itself (a lock held too
long, a lost connection), after which the work is tried again, from an error of the work.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.sqlite_inloop import WriterTurns, begin_immediate, in_loop_url, set_pragmas, writer_turns

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 15.0
SERVICE_CONNECTIONS = 8
# PostgreSQL's answers that say the server, not the statement, is in trouble: it shut the
# session down (57P01–57P03), the connection failed (08…), a lock or statement timed out,
# a deadlock or serialisation conflict (retrying is the cure), too many connections.
_PG_UNAVAILABLE = {"57P01", "57P02", "57P03", "55P03", "57014", "40001", "40P01", "53300"}
# asyncpg on a connection the server has just terminated: "cannot switch to state …"
_CLIENT_STATE_ERRORS = {"InternalClientError", "ConnectionDoesNotExistError"}


class DatabaseUnreachable(Exception):
    """The database could not be opened at start-up; the message is one line that says why."""


class SchemaNotCurrent(Exception):
    """The schema is not the one this code needs (it needs `binhyen migrate`, or it is newer
    than the code); the message is one line that says what to do."""


@dataclass(frozen=True)
class Migration:
    """What `migrate` found and left: the revisions before and after (empty: no tables)."""

    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return set(self.before) != set(self.after)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` is the database failing (locked past the busy timeout, a connection lost
    or refused), not the statement or the data: the same work may well succeed later."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, InterfaceError):
            return True
        exc = exc.orig if exc.orig is not None else exc
    if type(exc).__name__ in _CLIENT_STATE_ERRORS:
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return any(word in str(exc) for word in ("locked", "busy", "disk I/O"))
    cause = exc.__cause__ or exc
    state = getattr(cause, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if isinstance(state, str) and (state.startswith("08") or state in _PG_UNAVAILABLE):
        return True
    return isinstance(exc, OSError | TimeoutError)


def _sqlite_pragmas(synchronous: str, busy_timeout_ms: int) -> list[str]:
    return [
        f"PRAGMA busy_timeout={busy_timeout_ms}",
        "PRAGMA journal_mode=WAL",
        "PRAGMA secure_delete=ON",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA synchronous={synchronous}",
    ]


def _install_sqlite_hooks(engine: AsyncEngine, *, writer: bool, synchronous: str,
                          busy_timeout_s: float, turns: WriterTurns | None = None) -> None:
    """Take transaction control from the driver so we choose the BEGIN (the SQLAlchemy recipe).
    The writer waits for the write lock in `begin_immediate`, on the loop, never inside SQLite."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # switching to WAL needs the lock once, so the writer waits for that one like a reader
        set_pragmas(dbapi_connection, _sqlite_pragmas(synchronous, int(busy_timeout_s * 1000)))
        if writer:
            set_pragmas(dbapi_connection, ["PRAGMA busy_timeout=0"])

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if writer:
            begin_immediate(conn, busy_timeout_s, turns)
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """Engines and sessions for one database URL (and, on PostgreSQL, optionally one schema)."""

    def __init__(
        self, url: str, *, schema: str | None = None, sqlite_synchronous: str = "FULL",
        concurrency: int = 4, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            path = self._make_sqlite_dir(url)
            local = in_loop_url(url)
            self.writer = create_async_engine(local, pool_size=1, max_overflow=0, pool_timeout=60,
                                              hide_parameters=True)
            self.reader = create_async_engine(local, pool_size=4, max_overflow=4,
                                              hide_parameters=True)
            _install_sqlite_hooks(self.writer, writer=True, synchronous=sqlite_synchronous,
                                  busy_timeout_s=busy_timeout_s, turns=writer_turns(path))
            _install_sqlite_hooks(self.reader, writer=False, synchronous=sqlite_synchronous,
                                  busy_timeout_s=busy_timeout_s)
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
                connect_args=connect_args, hide_parameters=True,
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

    async def migrate(self) -> Migration:
        """Bring the schema to the newest Alembic revision (the first thing a process does with
        the database, so a database that cannot be reached is reported here, in one line).
        Two at once do not both run: the second waits for the first, then finds nothing to do
        (`lock_migrations`)."""
        conn = await self._connect(self.writer)
        try:
            async with conn.begin():
                before, after = await conn.run_sync(_upgrade_to_head, self.schema)
        finally:
            await conn.close()
        return Migration(before, after)

    async def require_current(self) -> None:
        """Refuse (`SchemaNotCurrent`) a schema that is not the code's newest revision: for a
        process that may not migrate it itself."""
        conn = await self._connect(self.reader)  # on SQLite: no write lock for a look
        try:
            current = await conn.run_sync(_current_revisions, self.schema)
        finally:
            await conn.close()
        heads = _script_heads()
        if set(current) != set(heads):
            raise SchemaNotCurrent(_behind_or_ahead(current, heads))

    async def ready(self, *, migrate: bool) -> None:
        """Start-up's look at the schema: bring it up to date, or (`migrate=False`: several
        workers, where `binhyen migrate` is its own step) only check that it is."""
        if migrate:
            await self.migrate()
        else:
            await self.require_current()

    async def serialise(self, session: AsyncSession, key: str) -> None:
        """Inside the caller's transaction, wait for any other process doing the same work
        (`key`) to commit first. On SQLite the one writer (`BEGIN IMMEDIATE`) already does."""
        if not self.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                  {"key": self.lock_number(key)})

    async def _connect(self, engine: AsyncEngine) -> AsyncConnection:
        try:
            return await engine.connect()
        except (OSError, DBAPIError) as exc:
            raise DatabaseUnreachable(self._unreachable(exc)) from None

    async def probe(self) -> None:
        """Connect once, for commands that must not migrate (a backup): a database that cannot
        be reached is the same one line as at start-up."""
        conn = await self._connect(self.writer)
        await conn.close()

    def _unreachable(self, exc: BaseException) -> str:
        url = make_url(self.url)
        where = url.render_as_string(hide_password=True)
        state = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if state == "3D000":
            reason = (f"máy chủ chưa có cơ sở dữ liệu «{url.database}» "
                      f"(tạo bằng: createdb {url.database})")
        elif state in ("28000", "28P01"):
            reason = "máy chủ không nhận tên đăng nhập hoặc mật khẩu này"
        elif isinstance(exc, DBAPIError):
            lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
            reason = lines[0] if lines else type(exc).__name__
            if reason.startswith("("):  # SQLAlchemy's "(module.Error) …" prefix
                reason = reason.split(") ", 1)[-1]
        elif isinstance(exc, socket.gaierror):
            reason = f"không tìm thấy máy chủ {url.host}"
        elif isinstance(exc, ConnectionRefusedError):
            reason = "máy chủ từ chối kết nối (sai cổng, hoặc PostgreSQL chưa chạy?)"
        elif isinstance(exc, TimeoutError):
            reason = "quá thời gian chờ máy chủ trả lời"
        elif isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        else:
            reason = str(exc) or type(exc).__name__
        return f"không mở được cơ sở dữ liệu {where} (BINHYEN_DATABASE_URL): {reason}"

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


class Presence:
    """Whether this process is the last one doing something several may do at once — serving a
    messenger's webhook — so that the last to stop removes the webhook and the others leave it.

    On PostgreSQL each process holds a shared advisory lock on a connection of its own from
    `enter` until it leaves; leaving, it asks for the exclusive lock, which it gets only if
    no other holds the shared one, and keeps it while it does what the last one does: a
    process starting meanwhile waits for it in `enter`, then registers afresh. A process that
    dies loses its connection and with it its lock. On SQLite one process serves: always
    the last."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        # per schema: deployments (and test runs) sharing a database in schemas of their own
        self.key = db.lock_number(f"binhyen:presence:{db.schema or ''}:{name}")
        self._conn: AsyncConnection | None = None

    async def enter(self) -> None:
        if self.db.is_sqlite or self._conn is not None:
            return
        conn = await self.db.writer.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": self.key})
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    @asynccontextmanager
    async def leaving(self) -> AsyncIterator[bool]:
        """Leave; True inside the block when no other process is left."""
        conn, self._conn = self._conn, None
        if conn is None:
            yield self.db.is_sqlite
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": self.key})
            last = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                          {"key": self.key}))
            try:
                yield last
            finally:
                if last:
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"),
                                       {"key": self.key})
        finally:
            await conn.close()


def alembic_config(connection: Connection | None = None, schema: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


def lock_migrations(connection: Connection, schema: str | None) -> None:
    """On PostgreSQL, in the migrating transaction: wait for any other migration of this
    schema to commit (an advisory lock, released at COMMIT), saying so once. SQLite needs
    nothing: the migration runs in the one writer's `BEGIN IMMEDIATE`."""
    if connection.dialect.name != "postgresql":
        return
    key = Database.lock_number(f"binhyen:migrate:{schema or ''}")
    if not connection.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({key})").scalar():
        log.warning("another process is migrating this database; waiting for it to finish")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def _upgrade_to_head(connection: Connection, schema: str | None
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from alembic import command

    lock_migrations(connection, schema)
    before = _current_revisions(connection, schema)
    unknown = set(before) - _script_revisions()
    if unknown:  # Alembic would only say it cannot find the revision
        raise SchemaNotCurrent(_behind_or_ahead(before, _script_heads()))
    command.upgrade(alembic_config(connection, schema), "head")
    return before, _current_revisions(connection, schema)


def _current_revisions(connection: Connection, schema: str | None) -> tuple[str, ...]:
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return tuple(sorted(context.get_current_heads()))


@functools.cache
def _script() -> Any:
    """The migrations this code carries (read once: they do not change while it runs)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def _script_heads() -> tuple[str, ...]:
    return tuple(sorted(_script().get_heads()))


def _script_revisions() -> set[str]:
    return {revision.revision for revision in _script().walk_revisions()}


def _behind_or_ahead(current: tuple[str, ...], heads: tuple[str, ...]) -> str:
    """The one line for a schema that is not the code's: what it is, what to do."""
    needed = ", ".join(heads)
    if set(current) - _script_revisions():
        return (f"cơ sở dữ liệu ở phiên bản {', '.join(current)}, mới hơn bản Bình Yên này "
                f"(cần {needed}): hãy cập nhật mã của tiến trình này lên cùng phiên bản với "
                "tiến trình đã nâng cấp cơ sở dữ liệu")
    where = (f"đang ở phiên bản {', '.join(current)}" if current else "chưa có bảng nào")
    return (f"cơ sở dữ liệu {where}, bản này cần {needed}: hãy chạy `binhyen migrate` một lần "
            "rồi khởi động lại (tiến trình này không tự nâng cấp: BINHYEN_AUTO_MIGRATE tắt)")


def insert_for(session: AsyncSession) -> Any:
    """The dialect's own `insert` (SQLite's or PostgreSQL's), for ON CONFLICT clauses: both
    databases speak them, SQLAlchemy's generic insert does not."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
