"""Reach: the anonymous fact that a household was reached on a day (`HouseholdReach`), the
report periods it makes the household reached in (`PeriodReach`), and each group's running
figures per period (`GroupTally`): all kept up to date as reach arrives, so coverage reads one
row per group instead of recounting a province's acknowledgements.

Ways in:
- an acknowledgement by a member linked to a household (`mark_linked`, from the
  acknowledgement service, in the same transaction: two statements, a third only when the
  household is reached for the first time in a period);
- a person linking to a household (`replay`): what they acknowledged before counts for the
  household, on the day they acknowledged it;
- an activity a leader logged, or edited within its week (`mark_many`, then `refresh` for the
  households an edit took away).

Every write is INSERT … ON CONFLICT DO NOTHING: a repeat, or a household reached by both
signals, is one row, and only a row written for the first time adds one to its group's tally.
Nothing here names a person, so forgetting a resident keeps these rows.

The tallies' `households` and `linked` change with the roster and the links, not with reach:
`retally` recounts them for the groups given (after an import, a link, an undo) or for every
group (the daily job, which also gives a new period its rows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Date,
    String,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db import insert_for
from bot.models import (
    Acknowledgement,
    GroupTally,
    Household,
    HouseholdReach,
    PeriodReach,
    Person,
    ReachSource,
)
from bot.runtime import Runtime
from bot.services import meta
from bot.services.coverage import periods


def local_day(settings: Settings, at: datetime) -> date:
    return at.astimezone(settings.tz).date()


async def mark_many(session: AsyncSession, settings: Settings,
                    marks: Iterable[tuple[int, int, date, ReachSource]]) -> None:
    """Store (household, its group's area, day, source) facts and the periods they fall in;
    the periods a household is reached in for the first time add one to its group's tally."""
    days: set[tuple[int, date, str]] = set()
    in_periods: set[tuple[int, str, int]] = set()
    for household_id, area_id, on, source in marks:
        days.add((household_id, on, str(source)))
        for period in periods.containing(settings, on):
            in_periods.add((household_id, period.key, area_id))
    if not days:
        return
    insert = insert_for(session)
    first_time = Counter[tuple[int, str]]()
    day_rows = [{"household_id": h, "on": on, "source": s} for h, on, s in sorted(days)]
    period_rows = [{"household_id": h, "period": p, "area_id": a}
                   for h, p, a in sorted(in_periods)]
    for chunk in _chunks(day_rows):
        await session.execute(insert(_DAYS).values(chunk).on_conflict_do_nothing())
    for chunk in _chunks(period_rows):
        # RETURNING names the rows written now: a household's first reach in a period
        new = await session.execute(insert(_PERIODS).values(chunk).on_conflict_do_nothing()
                                    .returning(_PERIODS.c.area_id, _PERIODS.c.period))
        first_time.update((area_id, key) for area_id, key in new.all())
    if first_time:
        upsert = insert(GroupTally)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=[GroupTally.area_id, GroupTally.period],
                set_={"reached": GroupTally.reached + upsert.excluded.reached}),
            [{"area_id": a, "period": p, "households": None, "linked": 0, "reached": n}
             for (a, p), n in sorted(first_time.items())])


_DAYS = HouseholdReach.__table__
_PERIODS = PeriodReach.__table__


def _chunks(rows: list[dict[str, object]], size: int = 500) -> list[list[dict[str, object]]]:
    """Multi-row VALUES in pieces the databases accept (SQLite: 32,766 parameters)."""
    return [rows[start:start + size] for start in range(0, len(rows), size)]


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
    """Rebuild the period rows of these households from their days, and recount their groups'
    reached tallies: after an activity edit took some of them away (the caller removed the
    days themselves)."""
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
    groups = select(Household.area_id).where(Household.id.in_(wanted)).distinct()
    recount = (select(func.count()).select_from(PeriodReach)
               .where(PeriodReach.area_id == GroupTally.area_id,
                      PeriodReach.period == GroupTally.period).scalar_subquery())
    await session.execute(update(GroupTally).where(GroupTally.area_id.in_(groups))
                          .values(reached=recount).execution_options(synchronize_session=False))


# ---- one acknowledgement, on the hot path -------------------------------------------------------

def _linked_statements(dialect: str) -> tuple[Any, Any, Any]:
    """(the day's row, the periods' rows, the tally) for a household known by its id only: the
    periods' rows take the household's group from `households` inside the INSERT, so an
    acknowledgement costs no SELECT; the tally is written only for periods the household is
    reached in for the first time (the periods' INSERT returns those)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    households = Household.__table__
    day = (insert(_DAYS).values(household_id=bindparam("household"),
                                on=bindparam("on", type_=Date()), source=bindparam("source"))
           .on_conflict_do_nothing())
    rows = union_all(*(select(households.c.id, bindparam(name, type_=String()),
                              households.c.area_id)
                       .where(households.c.id == bindparam("household"))
                       for name in ("year", "half")))
    periods_of_day = (insert(_PERIODS)
                      .from_select(["household_id", "period", "area_id"], rows)
                      .on_conflict_do_nothing()
                      .returning(_PERIODS.c.area_id, _PERIODS.c.period))
    tally = insert(GroupTally.__table__)
    tally = tally.on_conflict_do_update(
        index_elements=["area_id", "period"],
        set_={"reached": GroupTally.__table__.c.reached + tally.excluded.reached})
    return day, periods_of_day, tally


_LINKED = {dialect: _linked_statements(dialect) for dialect in ("sqlite", "postgresql")}


async def mark_linked(session: AsyncSession, settings: Settings, household_id: int, on: date,
                      source: ReachSource) -> None:
    """`mark` for a household known only by its id (a person's `household_id`): what every
    acknowledgement of a linked person costs — two statements, and a third the first time the
    household is reached in a period."""
    bind = session.bind
    day, in_periods, tally = _LINKED["postgresql" if bind is not None
                                     and bind.dialect.name == "postgresql" else "sqlite"]
    year, half = periods.containing(settings, on)
    await session.execute(day, {"household": household_id, "on": on, "source": str(source)})
    first_time = (await session.execute(in_periods, {"household": household_id,
                                                     "year": year.key, "half": half.key})).all()
    if first_time:
        await session.execute(tally, [{"area_id": area_id, "period": key, "households": None,
                                       "linked": 0, "reached": 1}
                                      for area_id, key in sorted(first_time)])


async def count_linked(session: AsyncSession, settings: Settings, today: date,
                       household_ids: Iterable[int | None]) -> None:
    """Recount `Household.linked` (members linked to it) after people linked or unlinked, and
    their groups' tallies: the connectivity figure reads those instead of joining persons."""
    wanted = sorted({h for h in household_ids if h is not None})
    if not wanted:
        return
    members = (select(func.count()).select_from(Person)
               .where(Person.household_id == Household.id).scalar_subquery())
    await session.execute(update(Household).where(Household.id.in_(wanted))
                          .values(linked=members).execution_options(synchronize_session=False))
    groups = (await session.scalars(
        select(Household.area_id).where(Household.id.in_(wanted)).distinct())).all()
    await retally(session, settings, today, groups)


def present_in(period: periods.Period) -> object:
    """Households present in a period: added on or before its last day, not left before its
    first (no dates: always there)."""
    return and_(or_(Household.added_on.is_(None), Household.added_on <= period.last),
                or_(Household.left_on.is_(None), Household.left_on >= period.first))


def _complete_key(period_key: str) -> str:
    return f"coverage_tallied:{period_key}"


async def tallied(session: AsyncSession, period_key: str) -> bool:
    """Whether every group's households were recounted for this period at least once: from
    then on a group without a tally row has no roster (coverage may trust the tallies)."""
    return await meta.get(session, _complete_key(period_key)) is not None


async def retally(session: AsyncSession, settings: Settings, today: date,
                  area_ids: Iterable[int] | None = None) -> None:
    """Recount households and linked households in the tallies of the periods `today` falls in,
    for these groups (all groups when None, or when the period was never recounted whole).
    Reached is left as it is."""
    subset = None if area_ids is None else sorted(set(area_ids))
    insert = insert_for(session)
    for period in periods.containing(settings, today):
        wanted = subset if subset is None or await tallied(session, period.key) else None
        if wanted == []:
            continue
        # a group whose households all left (or that never had a roster) counts none
        emptied = (update(GroupTally).where(GroupTally.period == period.key)
                   .values(households=0, linked=0).execution_options(synchronize_session=False))
        counted = (select(Household.area_id, literal(period.key), func.count(),
                          func.count().filter(Household.linked > 0), literal(0))
                   .where(present_in(period))
                   .group_by(Household.area_id))
        if wanted is not None:
            emptied = emptied.where(GroupTally.area_id.in_(wanted))
            counted = counted.where(Household.area_id.in_(wanted))
        await session.execute(emptied)
        upsert = insert(GroupTally).from_select(
            ["area_id", "period", "households", "linked", "reached"], counted)
        await session.execute(upsert.on_conflict_do_update(
            index_elements=[GroupTally.area_id, GroupTally.period],
            set_={"households": upsert.excluded.households, "linked": upsert.excluded.linked}))
        if wanted is None:
            await meta.put(session, _complete_key(period.key), today.isoformat())


RECOUNT_FROM = time(2, 0)  # the daily recount runs at night, local time


async def run_due(rt: Runtime, now: datetime) -> None:
    """The daily recount of every group's households (local night): gives a new period its
    tallies and heals any drift. Taken once a day by its marker, like a one-time thing."""
    local = now.astimezone(rt.settings.tz)
    if local.time() < RECOUNT_FROM:
        return
    today = local.date()
    async with rt.db.reading() as session:
        done = [await meta.get(session, _complete_key(period.key))
                for period in periods.containing(rt.settings, today)]
    if all(day == today.isoformat() for day in done):
        return
    async with rt.transaction() as session:
        await retally(session, rt.settings, today)
