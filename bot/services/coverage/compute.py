"""Coverage of any area for any period, counted in SQL and rolled up the area tree.

Per group (a leaf of the tree: the area households belong to), for a standard period, one row
of `GroupTally` kept up to date by `coverage.reach` gives
- households: the roster's households present in the period (added on or before its last
  day, not left before its first) — recounted when the roster changes and daily;
- reached: households reached in the period by either signal, counted once (it grows as
  reach arrives: no acknowledgement is recounted);
- linked: households with a member linked (the connectivity figure).
A custom period (or a new one before its first recount) counts households and reach days in
SQL instead (GROUP BY over the subtree). Beside those: what the leader entered (no roster:
`/sohodan 48`; households in the chat), and for a group without a roster the largest count
a leader logged for an activity in the period (counts cannot be merged, so the largest stands).

Python then only adds those per-group figures up the tree (a province: ~25,000 groups), and
judges the target per village: an area above villages says how many of its villages met it.
Nothing here loads a household, an acknowledgement or a person.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import Activity, Area, GroupFigures, GroupTally, Household, HouseholdReach
from bot.services.coverage import reach
from bot.services.coverage.figures import AreaCoverage, Coverage
from bot.services.coverage.periods import Period

VILLAGE = "village"
LISTED_AREAS = 2000  # up to this many areas, the queries name them instead of recursing again


@dataclass
class _Group:
    """What the queries found for one area with households (or a leader's figure)."""

    roster: int = 0
    linked: int = 0
    reached: int = 0
    entered_households: int | None = None
    entered_connected: int | None = None
    counted: int | None = None


_AreaRow = tuple[int, int | None, str, str, str]  # id, parent, code, name, level


def _subtree(root_id: int) -> Select[tuple[int]]:
    tree = select(Area.id).where(Area.id == root_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Area.id).where(Area.parent_id == tree.c.id))
    return select(tree.c.id)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a province's ~26,000 rows become tuples
    and figures: they make no cycles, yet their allocations would start full collections that
    cost a third of the time. Collection is only put off (for well under a second), never lost:
    other tasks running meanwhile lose nothing."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


async def _areas(session: AsyncSession, root_id: int) -> list[_AreaRow]:
    """The root and every area under it, in the order views list them (by name)."""
    columns = (Area.id, Area.parent_id, Area.code, Area.name, Area.level)
    tree = select(*columns).where(Area.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(select(*columns).where(Area.parent_id == tree.c.id))
    rows = await session.execute(select(tree).order_by(tree.c.name, tree.c.id))
    return [(a, p, c, n, lv) for a, p, c, n, lv in rows.all()]


async def coverage(session: AsyncSession, settings: Settings, area_id: int,
                   period: Period) -> Coverage:
    """Coverage of `area_id` and everything under it for `period`."""
    with _collector_paused():
        return await _coverage(session, settings, area_id, period)


async def _coverage(session: AsyncSession, settings: Settings, area_id: int,
                    period: Period) -> Coverage:
    areas = await _areas(session, area_id)
    # a commune's few hundred areas go as a list; a province's are found again by the CTE
    subtree: Select[tuple[int]] | list[int] = (
        [area[0] for area in areas] if len(areas) <= LISTED_AREAS else _subtree(area_id))
    groups: dict[int, _Group] = defaultdict(_Group)

    tallied = period.standard and await reach.tallied(session, period.key)
    if period.standard:
        for group_id, households, linked, reached in (await session.execute(
                select(GroupTally.area_id, GroupTally.households, GroupTally.linked,
                       GroupTally.reached)
                .where(GroupTally.period == period.key, GroupTally.area_id.in_(subtree)))).all():
            found = groups[group_id]
            found.reached = reached
            if tallied and households is not None:
                found.roster, found.linked = households, linked
    else:
        for group_id, count in (await session.execute(
                select(Household.area_id,
                       func.count(func.distinct(HouseholdReach.household_id)))
                .join(Household, Household.id == HouseholdReach.household_id)
                .where(HouseholdReach.on.between(period.first, period.last),
                       Household.area_id.in_(subtree))
                .group_by(Household.area_id))).all():
            groups[group_id].reached = count
    if not tallied:
        # a custom period, or a new one the daily recount has not reached yet
        for group_id, roster, linked in (await session.execute(
                select(Household.area_id, func.count(),
                       func.count().filter(Household.linked > 0))
                .where(Household.area_id.in_(subtree), reach.present_in(period))
                .group_by(Household.area_id))).all():
            groups[group_id].roster, groups[group_id].linked = roster, linked

    for group_id, households, connected in (await session.execute(
            select(GroupFigures.area_id, GroupFigures.households, GroupFigures.connected)
            .where(GroupFigures.area_id.in_(subtree)))).all():
        groups[group_id].entered_households = households
        groups[group_id].entered_connected = connected

    for group_id, counted in (await session.execute(
            select(Activity.area_id, func.max(Activity.counted))
            .where(Activity.area_id.in_(subtree), Activity.counted.is_not(None),
                   Activity.on.between(period.first, period.last))
            .group_by(Activity.area_id))).all():
        groups[group_id].counted = counted

    root = _roll_up(area_id, areas, groups, settings.coverage_target)
    return Coverage(period=period.key, first=period.first.isoformat(),
                    last=period.last.isoformat(), target=settings.coverage_target, root=root)


def _leaf(area: _AreaRow, found: _Group | None) -> AreaCoverage:
    """A group's own figures: the roster when it has one, else what its leader entered."""
    area_id, _parent, code, name, level = area
    found = found or _Group()
    households: int | None = found.roster
    households_entered = False
    reached, reached_entered = found.reached, False
    if not found.roster:
        households = found.entered_households  # None when the leader gave no figure either
        households_entered = households is not None
    if found.counted is not None and found.counted > reached:
        reached, reached_entered = found.counted, True
    if households is not None:
        reached = min(reached, households)
    return AreaCoverage(
        area_id=area_id, code=code, name=name, level=level, households=households,
        reached=reached, households_entered=households_entered,
        reached_entered=reached_entered, connected=found.linked,
        connected_by_leader=found.entered_connected, groups=1,
        groups_without_count=int(households is None))


def _roll_up(root_id: int, areas: list[_AreaRow], groups: dict[int, _Group],
             target: float) -> AreaCoverage:
    by_id = {area[0]: area for area in areas}
    children: dict[int, list[int]] = defaultdict(list)
    for area_id, parent_id, *_ in areas:  # already in name order
        if area_id != root_id and parent_id in by_id:
            children[parent_id].append(area_id)

    def build(area_id: int) -> AreaCoverage:
        below = [build(child) for child in children.get(area_id, ())]
        if not below:
            return _leaf(by_id[area_id], groups.get(area_id))
        return _sum(by_id[area_id], below, target)

    return build(root_id)


def _sum(area: _AreaRow, below: list[AreaCoverage],
         target: float) -> AreaCoverage:
    """An area above groups: the sums of what is below it. Groups with no household count add
    neither households nor reached (their share is unknown, not zero)."""
    area_id, _parent, code, name, level = area
    counted = [child for child in below if child.households is not None]
    summed = AreaCoverage(
        area_id=area_id, code=code, name=name, level=level,
        households=sum(child.households or 0 for child in counted) if counted else None,
        reached=sum(child.reached for child in counted),
        households_entered=any(child.households_entered for child in below),
        reached_entered=any(child.reached_entered for child in below),
        connected=sum(child.connected for child in below),
        connected_by_leader=_sum_entered([child.connected_by_leader for child in below]),
        groups=sum(child.groups for child in below),
        groups_without_count=sum(child.groups_without_count for child in below),
        children=tuple(below),
        villages_judged=sum(child.villages_judged for child in below),
        villages_met=sum(child.villages_met for child in below))
    if level != VILLAGE:
        return summed
    share = summed.percent
    return replace(summed, villages_judged=int(share is not None),
                   villages_met=int(share is not None and share >= target))


def _sum_entered(values: list[int | None]) -> int | None:
    given = [value for value in values if value is not None]
    return sum(given) if given else None
