"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL in the second
pass), settings in a temporary directory, and the end-to-end harness (sandbox + real bot).

Migrations run once per session: SQLite tests copy a migrated template file; PostgreSQL tests
get their own schema, migrated once, and empty tables before each test.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.logs import REDACTOR, TEXT_FORMAT
from tests.harness import Harness, start_harness

PG_ENV = "BINHYEN_TEST_DATABASE_URL"
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
KEEP_TABLES = {"alembic_version", "area_levels"}

for _name in [n for n in os.environ if n.startswith("BINHYEN_") and n != PG_ENV]:
    del os.environ[_name]  # tests set every setting they rely on


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default="sqlite", choices=["sqlite", "postgres"],
                     help="database for this run (postgres: the pg-marked tests only)")


def _channel(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("channel") if callspec is not None else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL only the `pg`-marked tests run, and of a test that runs on several
    messengers only its Telegram run: the pass is about the database, whose statements are
    the same whichever messenger carried the update (each messenger's conversation is covered
    on SQLite). A test written for one messenger only (Zalo's window) still runs.

    Tests that start processes (`slow`: half a minute each) go first, so the workers share
    them out at the start instead of one worker running the last of them alone at the end."""
    items.sort(key=lambda item: "slow" not in item.keywords)  # stable: the rest keep order
    if config.getoption("--db") != "postgres":
        return
    skip = pytest.mark.skip(reason="runs on SQLite only")
    same_sql = pytest.mark.skip(reason="on PostgreSQL, its Telegram run covers the database")
    on_telegram = {item.nodeid.split("[", 1)[0] for item in items
                   if (_channel(item) or "").startswith("telegram")}
    for item in items:
        if "pg" not in item.keywords:
            item.add_marker(skip)
        elif (not (_channel(item) or "telegram").startswith("telegram")
              and item.nodeid.split("[", 1)[0] in on_telegram):
            item.add_marker(same_sql)


@pytest.fixture(scope="session")
def db_kind(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--db"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        await db.dispose()

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def pg_schema(db_kind: str) -> Iterator[tuple[str, str] | None]:
    if db_kind != "postgres":
        yield None
        return
    url = os.environ.get(PG_ENV, PG_DEFAULT)
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        admin = Database(url)
        async with admin.writer.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        db = Database(url, schema=schema)
        await db.migrate()
        await db.dispose()

    async def drop() -> None:
        admin = Database(url)
        async with admin.writer.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()

    asyncio.run(create())
    yield url, schema
    asyncio.run(drop())


@pytest.fixture
def database_url(
    tmp_path: Path, sqlite_template: Path, pg_schema: tuple[str, str] | None
) -> Iterator[str]:
    if pg_schema is None:
        target = tmp_path / "binhyen.db"
        shutil.copy(sqlite_template, target)
        yield f"sqlite+aiosqlite:///{target}"
    else:
        yield pg_schema[0]


@pytest.fixture
async def db(database_url: str, pg_schema: tuple[str, str] | None) -> AsyncIterator[Database]:
    schema = pg_schema[1] if pg_schema else None
    database = Database(database_url, schema=schema)
    if schema:
        async with database.writer.begin() as conn:
            rows = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
            )
            tables = [r[0] for r in rows if r[0] not in KEEP_TABLES]
            if tables:
                names = ", ".join(f'"{schema}"."{t}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        key_file=tmp_path / "config" / "keys",
        poll_timeout=2,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def channel() -> str:
    """The messenger the bot runs on; suites that run on every messenger override this."""
    return "telegram"


@pytest.fixture
async def harness(settings: Settings, db: Database, clock: FakeClock,
                  channel: str) -> AsyncIterator[Harness]:
    async with start_harness(settings, db, clock, channel=channel) as running:
        yield running


def every_channel(request: pytest.FixtureRequest) -> str:
    """For a suite's `channel` fixture: skip tests marked `telegram_only` on other channels.
    "zalo-window" is Zalo with its 48-hour contact window on; "plain" the text-only test
    messenger (see `tests.harness`)."""
    name = str(request.param)
    if name != "telegram" and request.node.get_closest_marker("telegram_only"):
        pytest.skip("uses what only Telegram has (groups, buttons, contact and location pins)")
    return name


# ---- no token, phone number or tip text in any log line ---------------------------------------

# What the suite's residents and officers type that must never reach a log: the sandbox bot's
# token, the phone numbers residents leave or share, the words of the tips they file.
LOG_LEAKS = ("SANDBOX-token-for-tests-only", "0912345678", "0912 345 678", "0988777666",
             "bán ma túy ở đầu hẻm", "Kho mía")
# The emulated platforms are not the bot: their own lines may echo what users typed.
NOT_THE_BOT = ("bot.sandbox", "tests.")


class LogScan(logging.Handler):
    """Every line the bot logs during a test, as production writes it (redacted the same way),
    searched for what must never be there."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(TEXT_FORMAT))
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(NOT_THE_BOT):
            return
        # redacted as the bot's handlers do, on the text (their filter rewrites the record,
        # which the other handlers of a test, caplog's, would then see changed)
        line = REDACTOR.redact(self.format(record))
        if any(leak in line for leak in LOG_LEAKS):
            self.leaks.append(line[:300])


@pytest.fixture(autouse=True)
def logs_leak_nothing() -> Iterator[None]:
    """Fails the test during which the bot logged a token, a phone number or a tip's words
    (the logs of a whole run are scanned this way, test by test)."""
    scan = LogScan()
    root = logging.getLogger()
    level = root.level
    root.addHandler(scan)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(scan)
        root.setLevel(level)
    assert not scan.leaks, "logged what must never be logged:\n" + "\n".join(scan.leaks)
