"""Frozen coverage: at each report cut-off (the day after a standard period's last day, local
time) every commune's coverage for that period is computed once and kept as a numbered
snapshot (1, 2, … per area), so a report already sent never changes — not after a roster is
re-imported (households added or marked as left), nor after a resident is forgotten.

`freeze` is insert-or-ignore on (area, period): whoever comes first (the due job, or a report
produced after the cut-off) stores it, and everyone gets that one back. The figures are the
computed tree as JSON with the target it was judged against (`{"target": 75, "root": …}`, as
`views` reads it; a bare root is read too): a later change of the target setting does not
change a report sent. The tree holds counts only, no household and no person. `run_due` is the scheduler's job; it freezes at most `BATCH` communes a tick and
notes the day once every commune is done, so a quiet day costs it one read.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, String, Text, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db import insert_for
from bot.models import Area, CoverageSnapshot, UTCDateTime
from bot.runtime import Runtime
from bot.services import meta
from bot.services.coverage import compute, periods
from bot.services.coverage.figures import AreaCoverage, Coverage
from bot.services.coverage.periods import Period

COMMUNE = "commune"
BATCH = 100  # communes frozen a tick (~50 ms each): the other due jobs are not held up
FROZEN_ON = "coverage.snapshots_done_on"  # meta: the local day every commune was frozen
WITHIN = timedelta(days=62)  # a period that ended longer ago than this is not frozen late

_TABLE = CoverageSnapshot.__table__
_NEXT = (select(func.coalesce(func.max(_TABLE.c.number), 0) + 1,
                bindparam("area", type_=Integer()), bindparam("period", type_=String()),
                bindparam("taken", type_=UTCDateTime()), bindparam("figures", type_=Text()))
         .where(_TABLE.c.area_id == bindparam("area", type_=Integer())))


async def load(session: AsyncSession, settings: Settings, area_id: int, period: Period
               ) -> Coverage | None:
    """The frozen coverage of `area_id` for `period`, if it was frozen."""
    row = await session.scalar(select(CoverageSnapshot).where(
        CoverageSnapshot.area_id == area_id, CoverageSnapshot.period == period.key))
    if row is None:
        return None
    data = json.loads(row.figures)
    target = settings.coverage_target
    if "root" in data:  # stored with the target it was judged against (a bare root: today's)
        target, data = float(data.get("target", target)), data["root"]
    return Coverage(period=period.key, first=period.first.isoformat(),
                    last=period.last.isoformat(), target=target,
                    root=AreaCoverage.from_dict(data), snapshot_number=row.number)


async def freeze(session: AsyncSession, settings: Settings, area_id: int, period: Period,
                 now: datetime) -> Coverage:
    """Freeze coverage of `area_id` for `period` unless it is frozen already; either way, the
    frozen one. Concurrent callers store it once (the unique (area, period) key decides)."""
    found = await load(session, settings, area_id, period)
    if found is not None:
        return found
    computed = await compute.coverage(session, settings, area_id, period)
    figures = json.dumps({"target": computed.target, "root": asdict(computed.root)},
                         ensure_ascii=False, sort_keys=True)
    insert = insert_for(session)
    await session.execute(
        insert(_TABLE).from_select(["number", "area_id", "period", "taken_at", "figures"], _NEXT)
        .on_conflict_do_nothing(index_elements=["area_id", "period"]),
        {"area": area_id, "period": period.key, "taken": now, "figures": figures})
    frozen = await load(session, settings, area_id, period)
    assert frozen is not None
    return frozen


def ended(settings: Settings, today: date) -> list[Period]:
    """The standard periods that ended before `today`, within `WITHIN`: what is due to be
    frozen (a commune set up later is not given snapshots of periods it never lived)."""
    year = periods.report_year(settings, today)
    found = []
    for each in (year - 1, year):
        for period in (periods.year_period(settings, each), *periods.half_periods(settings, each)):
            if today - WITHIN <= period.last < today:
                found.append(period)
    return found


async def _unfrozen(session: AsyncSession, period: Period, most: int) -> list[int]:
    frozen = select(CoverageSnapshot.id).where(CoverageSnapshot.area_id == Area.id,
                                               CoverageSnapshot.period == period.key)
    return list((await session.scalars(
        select(Area.id).where(Area.level == COMMUNE, ~frozen.exists())
        .order_by(Area.id).limit(most))).all())


async def run_due(rt: Runtime, now: datetime) -> None:
    """After a period's last day, freeze every commune's coverage for it (each commune in its
    own transaction, at most `BATCH` a tick)."""
    today = now.astimezone(rt.settings.tz).date()
    async with rt.db.reading() as session:
        if await meta.get(session, FROZEN_ON) == today.isoformat():
            return
    budget = BATCH
    for period in ended(rt.settings, today):
        async with rt.db.reading() as session:
            communes = await _unfrozen(session, period, budget)
        for commune_id in communes:
            async with rt.transaction() as session:
                await freeze(session, rt.settings, commune_id, period, now)
        budget -= len(communes)
        if budget == 0:  # maybe more: the next tick goes on
            return
    async with rt.transaction() as session:
        await meta.put(session, FROZEN_ON, today.isoformat())
