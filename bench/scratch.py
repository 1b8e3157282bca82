"""A throw-away database for one benchmark run: a SQLite file in a temporary directory, or a
fresh schema in the PostgreSQL database given, dropped afterwards even when the run fails
(a half-run left a schema of thousands of rows behind, and the next run's drop met it)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bot.config import Settings
from bot.db import Database


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
