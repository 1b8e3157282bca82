"""Routine clean-up run by the scheduler's tick: forgotten conversations, the keys of handled
updates once no platform would resend them, and the record of sent messages once nothing needs
it.

Sent messages go for privacy as much as for space: a fully anonymous reporter's receipt went to
their chat in the very transaction that wrote the tip, so its row's time and chat would point
at them. Kept: broadcasts (their reports and coverage count them) and officers' cards (edited
for as long as their tip lives)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.flows import purge_expired
from bot.models import (
    Broadcast,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    OutboxStatus,
    TipCard,
)
from bot.runtime import Runtime
from bot.services import broadcasts


async def run_due(rt: Runtime, now: datetime) -> None:
    keep = timedelta(days=rt.settings.inbox_keep_days)
    async with rt.transaction() as session:
        await purge_expired(session, now)
        await session.execute(
            delete(InboxUpdate).where(InboxUpdate.status == InboxStatus.DONE,
                                      InboxUpdate.processed_at < now - keep)
        )
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
                OutboxMessage.broadcast_id.is_(None), OutboxMessage.created_at < now - keep,
                ~select(TipCard.id).where(TipCard.outbox_id == OutboxMessage.id).exists())
        )
        # a broadcast whose last rows failed without a send (chat gone) still gets its report
        for broadcast_id in (await session.scalars(
                select(Broadcast.id).where(Broadcast.reported_at.is_(None)))).all():
            await broadcasts.report_if_done(session, rt, broadcast_id)
