"""Reach: the anonymous fact that a household was reached on a day (`HouseholdReach`), and the
report periods it makes the household reached in (`PeriodReach`), kept up to date as it
arrives so coverage counts rows instead of recounting acknowledgements.

Ways in:
- an acknowledgement by a member linked to a household (`mark`, from the acknowledgement
  service, in the same transaction);
- a person linking to a household (`replay`): what they acknowledged before counts for the
  household, on the day they acknowledged it;
- an activity a leader logged, or edited within its week (`mark`, then `refresh` for the
  households an edit took away).

Every write is INSERT … ON CONFLICT DO NOTHING: a repeat, or a household reached by both
signals, is one row. Nothing here names a person, so forgetting a resident keeps these rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db import insert_for
from bot.models import (
    Acknowledgement,
    Household,
    HouseholdReach,
    PeriodReach,
    Person,
    ReachSource,
)
from bot.services.coverage import periods


def local_day(settings: Settings, at: datetime) -> date:
    return at.astimezone(settings.tz).date()


async def mark_many(session: AsyncSession, settings: Settings,
                    marks: Iterable[tuple[int, int, date, ReachSource]]) -> None:
    """Store (household, its group's area, day, source) facts and the periods they fall in."""
    days: set[tuple[int, date, str]] = set()
    in_periods: set[tuple[int, str, int]] = set()
    for household_id, area_id, on, source in marks:
        days.add((household_id, on, str(source)))
        for period in periods.containing(settings, on):
            in_periods.add((household_id, period.key, area_id))
    if not days:
        return
    insert = insert_for(session)
    await session.execute(
        insert(HouseholdReach).on_conflict_do_nothing(),
        [{"household_id": h, "on": on, "source": s} for h, on, s in sorted(days)])
    await session.execute(
        insert(PeriodReach).on_conflict_do_nothing(),
        [{"household_id": h, "period": p, "area_id": a} for h, p, a in sorted(in_periods)])


async def mark(session: AsyncSession, settings: Settings, household: Household, on: date,
               source: ReachSource) -> None:
    await mark_many(session, settings, [(household.id, household.area_id, on, source)])


async def replay(session: AsyncSession, settings: Settings, person_id: int,
                 household: Household) -> int:
    """Count what `person_id` acknowledged before linking for `household`, each on the day it
    was said (so in the period it was made). Returns how many acknowledgements counted."""
    said = (await session.scalars(
        select(Acknowledgement.at).where(Acknowledgement.person_id == person_id))).all()
    await mark_many(session, settings, [(household.id, household.area_id,
                                         local_day(settings, at), ReachSource.ACK)
                                        for at in said])
    return len(said)


async def refresh(session: AsyncSession, settings: Settings, household_ids: Iterable[int]) -> None:
    """Rebuild the period rows of these households from their days: after an activity edit took
    some of them away (the days themselves are removed by the caller)."""
    wanted = sorted(set(household_ids))
    if not wanted:
        return
    await session.execute(delete(PeriodReach).where(PeriodReach.household_id.in_(wanted)))
    rows = (await session.execute(
        select(HouseholdReach.household_id, Household.area_id, HouseholdReach.on,
               HouseholdReach.source)
        .join(Household, Household.id == HouseholdReach.household_id)
        .where(HouseholdReach.household_id.in_(wanted)))).all()
    await mark_many(session, settings, [(h, a, on, ReachSource(s)) for h, a, on, s in rows])


async def count_linked(session: AsyncSession, household_ids: Iterable[int]) -> None:
    """Recount `Household.linked` (members linked to it) after people linked or unlinked: the
    connectivity figure reads that column instead of joining every person."""
    wanted = sorted({h for h in household_ids if h is not None})
    if not wanted:
        return
    members = (select(func.count()).select_from(Person)
               .where(Person.household_id == Household.id).scalar_subquery())
    await session.execute(update(Household).where(Household.id.in_(wanted))
                          .values(linked=members).execution_options(synchronize_session=False))
