"""Statistics for /thongke: counts by status and category, overdue, forwarded in time,
median times to accept and to forward. Counts only, never content."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Tip, TipStatus
from bot.runtime import Runtime
from bot.services import areas
from bot.services.tips import lifecycle
from bot.services.tips.access import MailboxScope


@dataclass
class Stats:
    communes: list[str] = field(default_factory=list)  # whose tips; none: the whole system
    total: int = 0
    unrouted: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    forwarded: int = 0
    forwarded_in_time: int = 0
    closed: int = 0
    median_accept_h: float | None = None
    median_forward_h: float | None = None

    @property
    def resolution_rate(self) -> float | None:
        return self.closed / self.total if self.total else None


async def of_scope(session: AsyncSession, rt: Runtime, scope: MailboxScope, start: datetime,
                   end: datetime) -> Stats:
    """The tips created in [start, end) of the communes in `scope`; of the whole system for a
    dispatcher who polices no commune."""
    query = select(Tip).where(Tip.created_at >= start, Tip.created_at < end)
    if scope.communes or not scope.dispatcher:
        query = query.where(Tip.commune_id.in_(scope.communes))
    result = Stats(communes=[info.name for commune_id in scope.communes
                             if (info := await areas.info(session, commune_id)) is not None])
    accept_hours: list[float] = []
    forward_hours: list[float] = []
    for tip in (await session.scalars(query)).all():
        result.total += 1
        result.unrouted += int(tip.routed_to_fallback)
        result.by_status[tip.status] = result.by_status.get(tip.status, 0) + 1
        result.by_category[tip.category] = result.by_category.get(tip.category, 0) + 1
        result.overdue += int(tip.overdue and tip.status != TipStatus.CLOSED)
        result.closed += int(tip.status == TipStatus.CLOSED)
        if tip.accepted_at:
            accept_hours.append((tip.accepted_at - tip.created_at).total_seconds() / 3600)
        if tip.forwarded_at:
            result.forwarded += 1
            hours = (tip.forwarded_at - tip.created_at).total_seconds() / 3600
            forward_hours.append(hours)
            limit = (rt.settings.tip_forward_remote_hours if await lifecycle.is_remote(session, tip)
                     else rt.settings.tip_forward_hours)
            result.forwarded_in_time += int(hours <= limit)
    result.median_accept_h = statistics.median(accept_hours) if accept_hours else None
    result.median_forward_h = statistics.median(forward_hours) if forward_hours else None
    return result
