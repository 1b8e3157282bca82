"""Alembic environment. `binhyen migrate` passes its own connection in `config.attributes`
(under the migration lock, `bot.db.lock_migrations`); run by hand (`alembic -c alembic.ini
...`) it connects with BINHYEN_DATABASE_URL and takes the same lock."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        version_table_schema=config.attributes.get("schema"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    from bot.config import load_settings
    from bot.db import Database, lock_migrations

    database = Database(load_settings().db_url)

    def locked(connection: Connection) -> None:
        lock_migrations(connection, None)
        _configure(connection)

    async with database.writer.begin() as conn:
        await conn.run_sync(locked)
    await database.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run_standalone())
