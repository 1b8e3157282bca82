"""Retention: the content of tips closed longer ago than `TIP_RETENTION_MONTHS` is deleted
(text, reporter link, event bodies, evidence); the counts stay for statistics."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Evidence, Tip, TipEvent, TipReporter, TipStatus
from bot.runtime import Runtime


async def purge_closed(session: AsyncSession, rt: Runtime, now: datetime) -> int:
    """Delete the content of tips closed longer ago than the retention period; keep counts."""
    cutoff = now - timedelta(days=30.44 * rt.settings.tip_retention_months)
    old = (await session.scalars(select(Tip).where(
        Tip.status == TipStatus.CLOSED, Tip.closed_at < cutoff,
        Tip.content_purged_at.is_(None)))).all()
    for tip in old:
        tip.content_enc = None
        tip.content_purged_at = now
        link = await session.get(TipReporter, tip.id)
        if link is not None:
            await session.delete(link)
        await session.execute(update(TipEvent).where(TipEvent.tip_id == tip.id)
                              .values(body_enc=None))
        await session.execute(update(Evidence).where(Evidence.tip_id == tip.id)
                              .values(data_enc=None, meta_enc=b""))
        await session.execute(Evidence.__table__.delete().where(Evidence.tip_id == tip.id))
    return len(old)
