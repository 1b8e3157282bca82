"""A throw-away database for one benchmark run: a SQLite file in a temporary directory, or a
fresh schema in the PostgreSQL database given, dropped afterwards even when the run fails
(a half-run left a schema of thousands of rows behind, and the next run's drop met it)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.config import Settings
from bot.db import Database
from tests.pg_pass import _reachable

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scratch:
    """Where the run keeps its data: `workdir` (deleted afterwards), the database `url` and,
    on PostgreSQL, the `schema`; `settings` point the bot at them (key file in `workdir`)."""

    workdir: Path
    url: str
    schema: str | None
    settings: Settings


async def _schema(url: str, schema: str, create: bool) -> None:
    admin = Database(url)
    try:
        async with admin.writer.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if create:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def scratch_database(name: str, url: str | None) -> AsyncIterator[Scratch]:
    """`url` None: SQLite in `<tmp>/<name>.db`; else the schema `<name>_<pid>` in `url`."""
    with tempfile.TemporaryDirectory(prefix="binhyen-bench-") as tmp:
        workdir = Path(tmp)
        schema = None
        if url is None:
            url = f"sqlite+aiosqlite:///{workdir}/{name}.db"
        else:
            schema = f"{name}_{os.getpid()}"
            await _schema(url, schema, create=True)
        settings = Settings(data_dir=workdir, database_url=url, key_file=workdir / "keys",
                            _env_file=None)  # type: ignore[call-arg]
        try:
            yield Scratch(workdir, url, schema, settings)
        finally:
            if schema:
                await _schema(url, schema, create=False)


async def measure_in_child(module: str, scratch: Scratch) -> dict[str, Any]:
    """Run `python -m <module> --child <url> <schema> <key file>` and return the JSON object it
    prints last: a fresh process, so what it measures (time, peak memory) is its own and not
    the build's."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, "--child", scratch.url, scratch.schema or "",
        str(scratch.settings.key_file), cwd=REPO, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the measuring process failed ({process.returncode}):\n"
                           + err.decode()[-3000:])
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def databases(only: str | None) -> list[tuple[str, str | None]]:
    """The databases a benchmark runs on: SQLite, then PostgreSQL when it answers (its URL from
    BINHYEN_TEST_DATABASE_URL, as the tests'), or only the one `--db` names."""
    found: list[tuple[str, str | None]] = []
    if only in (None, "sqlite"):
        found.append(("sqlite", None))
    if only in (None, "postgresql"):
        url = os.environ.get("BINHYEN_TEST_DATABASE_URL",
                             "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
        problem = await _reachable(url)
        if problem is None:
            found.append(("postgresql", url))
        else:
            print(f"PostgreSQL not reachable ({problem}); SQLite only.")
    return found


def province_bench_arguments(doc: str) -> argparse.Namespace:
    """The command line of a benchmark that builds its data and measures it in a child process
    (`measure_in_child`): --quick, --db, --record, and the child's hidden --child."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, to try it")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    parser.add_argument("--record", action="store_true",
                        help="write this run's figures into bench/RESULTS.md")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.record and arguments.quick:
        parser.error("--record takes the full benchmark only (no --quick)")
    return arguments
