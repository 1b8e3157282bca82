"""Migrations that change data, run on a database holding rows from before them (SQLite: a
downgrade here would change the schema other PostgreSQL tests share)."""

from __future__ import annotations

from datetime import time, timedelta

from alembic import command
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.db import Database, alembic_config
from bot.messages import Outgoing
from bot.models import (
    Chat,
    Evidence,
    GuardCounter,
    IdentityMode,
    InboxUpdate,
    OutboxMessage,
    OutboxStatus,
    TipCard,
)
from bot.runtime import Runtime
from bot.services import evidence, inbox_store, outbox
from bot.services.tips import intake
from bot.services.tips.sealed import Draft
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
        await intake.submit(session, rt, draft, reporter, reporter.user_ref)
    async with rt.transaction() as session:  # as files given to a tip were kept before 0007
        await session.execute(update(Evidence).values(owner_ref=reporter.user_ref))
    await _downgrade(db, "0006")
    await db.migrate()
    async with rt.db.reading() as session:
        owners = dict((await session.execute(select(Evidence.id, Evidence.owner_ref))).all())
    assert owners == {given.id: "", drafted.id: reporter.user_ref}  # a draft stays its sender's


async def test_0008_forgets_what_timed_a_reporter(rt: Runtime, db: Database) -> None:
    """Rows written before 0008 the way the code of then kept them: a delivered receipt, a
    handled update with its sender and its minute, an hourly tip counter. A card stays."""
    officer = await _person(rt, "o")
    reporter = await _person(rt, "r")
    commune_id = await _commune(rt, officer)
    async with rt.transaction() as session:
        draft = Draft("drugs", "Có người bán ma túy ở đầu hẻm.", "Hôm qua",
                      IdentityMode.ANONYMOUS, incident_area_id=commune_id)
        await intake.submit(session, rt, draft, reporter, reporter.user_ref)  # and its card
        chat = await session.get(Chat, reporter.private_chat_id)
        assert chat is not None
        [receipt] = await outbox.enqueue(session, rt, chat, Outgoing("Đã nhận tin báo."))
        await inbox_store.store(session, rt, "text",
                                [inbox_store.Received("u1", "r", {"text": "1"})])
        now = rt.clock.now()
        session.add(GuardCounter(key="tips:hourly", count=1, window_start=now,
                                 expires_at=now + timedelta(hours=1)))
    async with rt.transaction() as session:  # as the code before 0008 recorded them
        await session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT,
                                                           payload_enc=None))
        await session.execute(update(InboxUpdate).values(status="done", payload_enc=None,
                                                         processed_at=now))
    await _downgrade(db, "0007")
    await db.migrate()
    async with rt.db.reading() as session:
        left = set((await session.scalars(select(OutboxMessage.id))).all())
        kept_cards = set((await session.scalars(select(TipCard.outbox_id))).all())
        [update_row] = (await session.scalars(select(InboxUpdate))).all()
        keys = set((await session.scalars(select(GuardCounter.key))).all())
    assert receipt not in left and left == kept_cards and len(kept_cards) == 1  # the card stays
    assert update_row.sender_ref == ""
    assert update_row.received_at.time() == update_row.processed_at.time() == time(0)
    assert "tips:hourly" not in keys
