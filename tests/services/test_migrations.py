"""Migrations that change data, run on a database holding rows from before them (SQLite: a
downgrade here would change the schema other PostgreSQL tests share)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.db import Database, alembic_config
from bot.models import Evidence, IdentityMode
from bot.runtime import Runtime
from bot.services import evidence, tips
from bot.services.tips import Draft
from tests.services.test_tips import _commune, _person


async def _downgrade(db: Database, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection, db.schema), revision)

    async with db.writer.begin() as connection:
        await connection.run_sync(run)


async def test_0007_forgets_who_uploaded_a_file_given_to_a_tip(rt: Runtime, db: Database) -> None:
    reporter = await _person(rt, "r")
    commune_id = await _commune(rt, await _person(rt, "o"))
    async with rt.transaction() as session:
        given, drafted = [await evidence.store(
            session, rt, owner_ref=reporter.user_ref, kind="document", mime_type="text/plain",
            file_name=None, data=b"bang chung") for _ in range(2)]
        draft = Draft("drugs", "Có người bán ma túy ở đầu hẻm.", "Hôm qua",
                      IdentityMode.ANONYMOUS, incident_area_id=commune_id,
                      evidence_ids=[given.id])
        await tips.submit(session, rt, draft, reporter, reporter.user_ref)
    async with rt.transaction() as session:  # as files given to a tip were kept before 0007
        await session.execute(update(Evidence).values(owner_ref=reporter.user_ref))
    await _downgrade(db, "0006")
    await db.migrate()
    async with rt.db.reading() as session:
        owners = dict((await session.execute(select(Evidence.id, Evidence.owner_ref))).all())
    assert owners == {given.id: "", drafted.id: reporter.user_ref}  # a draft stays its sender's
