"""The models and the migrations describe the same schema (what `alembic check` asks): a model
changed without its migration, or a migration that misses a column, an index or a constraint,
fails here on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, MetaData, String
from sqlalchemy.engine import Connection

from bot.db import Database
from bot.models import Base


async def _differences(db: Database, metadata: MetaData) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: not (
                kind == "table" and name == "alembic_version")})
        return list(compare_metadata(context, metadata))

    async with db.writer.connect() as connection:
        if db.schema:
            await connection.exec_driver_sql(f'SET search_path TO "{db.schema}"')
        return await connection.run_sync(compare)


@pytest.mark.pg
async def test_the_migrated_database_is_what_the_models_say(db: Database) -> None:
    assert await _differences(db, Base.metadata) == []


async def test_a_model_ahead_of_its_migrations_is_found(db: Database) -> None:
    ahead = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(ahead)
    ahead.tables["campaign_choices"].append_column(Column("note", String(40)))
    found = await _differences(db, ahead)
    assert [(kind, column.name) for kind, _schema, _table, column in found] == [
        ("add_column", "note")]
