"""Upgrades that cannot race (real `binhyen` processes): two migrations started at once run
once — one migrates, the other waits for it and finds nothing to do; a worker that may not
migrate (several workers: `binhyen migrate` is its own step) refuses a database that needs it
in one line, and one that may migrates it."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.app import App
from bot.config import Settings
from bot.db import Database, alembic_config
from tests.conftest import PG_DEFAULT, PG_ENV

REPO = Path(__file__).resolve().parents[2]
[HEAD] = ScriptDirectory.from_config(alembic_config()).get_heads()  # the newest migration


def _env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    env.update(BINHYEN_DATABASE_URL=url, BINHYEN_KEY_FILE=str(tmp_path / "keys"),
               BINHYEN_DATA_DIR=str(tmp_path / "data"), BINHYEN_WEB_PORT="0",
               BINHYEN_SANDBOX_PORT="0", BINHYEN_LOG_LEVEL="WARNING", **extra)
    return env


async def _binhyen(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _finish(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def fresh(tmp_path: Path, db_kind: str) -> AsyncIterator[tuple[Database, dict[str, str]]]:
    """An empty database — a SQLite file, or a new PostgreSQL schema — and the environment of a
    `binhyen` process that uses it."""
    if db_kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'binhyen.db'}"
        db = Database(url)
        yield db, _env(tmp_path, url)
        await db.dispose()
        return
    url = os.environ.get(PG_ENV, PG_DEFAULT)
    schema = f"mig_{uuid.uuid4().hex[:10]}"
    db = Database(url, schema=schema)
    async with db.writer.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield db, _env(tmp_path, url, BINHYEN_DATABASE_SCHEMA=schema)
    finally:
        async with db.writer.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await db.dispose()


async def _versions(db: Database) -> list[str]:
    async with db.reading() as session:
        return list((await session.scalars(text("SELECT version_num FROM alembic_version"))).all())


async def _waiting_for(db: Database, key: int) -> int:
    """How many sessions wait for the advisory lock `key` (PostgreSQL splits its 64 bits)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    async with db.reading() as session:
        return int(await session.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = :high AND objid = :low"),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}) or 0)


@pytest.mark.pg
@pytest.mark.slow
async def test_two_migrations_started_at_once_run_once(
    fresh: tuple[Database, dict[str, str]],
) -> None:
    """On PostgreSQL the test holds the migration lock until both processes wait for it, so they
    truly start together; on SQLite they race as they come (the writer's lock serialises)."""
    db, env = fresh
    held = None
    if not db.is_sqlite:
        key = Database.lock_number(f"binhyen:migrate:{db.schema}")
        held = await db.writer.connect()
        await held.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        await held.commit()
    try:
        both = [await _binhyen(env, "migrate") for _ in range(2)]
        if held is not None:
            for _ in range(600):
                if await _waiting_for(db, key) == 2:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the two migrations never waited for the lock")
            await held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await held.commit()
        results = [await _finish(process) for process in both]
    finally:
        if held is not None:
            await held.close()
    assert [code for code, _, _ in results] == [0, 0], results
    assert all("Traceback" not in err and "rror" not in err for _, _, err in results), results
    said = sorted(out.strip() for _, out, _ in results)
    assert said == [f"Cơ sở dữ liệu đã ở phiên bản mới nhất ({HEAD}), không có gì phải làm.",
                    f"Đã tạo cơ sở dữ liệu ở phiên bản {HEAD}."], said
    assert await _versions(db) == [HEAD]


@pytest.mark.slow
async def test_a_worker_that_may_not_migrate_refuses_an_old_database_one_that_may_migrates(
    tmp_path: Path, settings: Settings, db: Database,
) -> None:
    def one_back(connection: Connection) -> None:
        command.downgrade(alembic_config(connection, db.schema), "-1")

    async with db.writer.begin() as connection:
        await connection.run_sync(one_back)
    [old] = await _versions(db)
    refused = await _finish(await _binhyen(
        _env(tmp_path, settings.db_url, BINHYEN_AUTO_MIGRATE="false"), "run"))
    code, _, err = refused
    assert code == 2 and len(err.strip().splitlines()) == 1, refused
    assert err.startswith(f"Không khởi động: cơ sở dữ liệu đang ở phiên bản {old}, bản này "
                          f"cần {HEAD}: hãy chạy `binhyen migrate` một lần"), err
    assert await _versions(db) == [old]  # untouched

    assert settings.migrates_itself  # SQLite: one process, `make run` migrates by itself
    on_postgresql = Settings(database_url="postgresql+asyncpg://x@h/db",
                             _env_file=None)  # type: ignore[call-arg]
    assert not on_postgresql.migrates_itself  # several workers: `binhyen migrate` first
    app = App(settings)
    await app.prepare(db)
    assert await _versions(db) == [HEAD]
