"""Routine clean-up run by the scheduler's tick: forgotten conversations, and the keys of
handled updates once no platform would resend them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.flows import purge_expired
from bot.models import Broadcast, InboxStatus, InboxUpdate
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
        # a broadcast whose last rows failed without a send (chat gone) still gets its report
        for broadcast_id in (await session.scalars(
                select(Broadcast.id).where(Broadcast.reported_at.is_(None)))).all():
            await broadcasts.report_if_done(session, rt, broadcast_id)
