"""Routine clean-up run by the scheduler's tick: forgotten conversations, the keys of handled
updates once no platform would resend them, and the record of failed messages once nothing
needs it.

A delivered message's row is deleted by the delivery worker at once, and a handled update
loses its sender and keeps only its day when it is claimed (`scheduler.inbox_processor`): for
privacy as much as for space, since a fully anonymous reporter's receipt went to their chat in
the very transaction that wrote the tip. What stays here until INBOX_KEEP_DAYS have passed: failed
rows (for `binhyen outbox status`), and the keys of handled updates. Kept for good: broadcasts
(their reports and coverage count them) and officers' cards (edited while their tip lives).
Rows waiting for their recipient to write (Zalo's window) are not touched."""

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
from bot.services import broadcast_reports, privacy


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
        await privacy.sweep(session)  # forgotten people's private chats, farewell delivered
        # a broadcast whose last rows failed without a send (chat gone) still gets its report
        for broadcast_id in (await session.scalars(
                select(Broadcast.id).where(Broadcast.reported_at.is_(None)))).all():
            await broadcast_reports.report_if_done(session, rt, broadcast_id)
