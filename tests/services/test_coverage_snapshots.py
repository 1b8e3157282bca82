"""Frozen coverage: the due job freezes each commune's first half the day after it ends (once,
also when two ask at once), numbered per commune (the year, frozen later by a report, is
number 2); both stay the same after a re-import (households added, one marked as left) and
after a resident is forgotten (their acknowledgements deleted, their link cleared), while the
year computed now moves — and still counts the forgotten resident's household as reached
(the anonymous fact is kept)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind
from bot.models import (
    Acknowledgement,
    Broadcast,
    CoverageSnapshot,
    Household,
    Person,
    ReachSource,
)
from bot.runtime import Runtime
from bot.services import acknowledgements, areas, demo, people
from bot.services.coverage import compute, periods, reach, snapshots
from bot.services.coverage.figures import AreaCoverage
from tests.services.test_once import _at_once


def _node(tree: AreaCoverage, code: str) -> AreaCoverage:
    if tree.code == code:
        return tree
    return next(found for child in tree.children if (found := _node_or_none(child, code)))


def _node_or_none(tree: AreaCoverage, code: str) -> AreaCoverage | None:
    try:
        return _node(tree, code)
    except StopIteration:
        return None


@pytest.mark.pg
async def test_a_frozen_snapshot_never_changes(rt: Runtime, clock: FakeClock) -> None:
    settings = rt.settings
    clock.set(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = (await areas.by_code(session, demo.DEMO_COMMUNE)).id
        group = (await areas.by_code(session, "DEMO-TO-1")).id
        households = (await session.scalars(select(Household.id).where(
            Household.area_id == group).order_by(Household.id))).all()
        resident, chat = await people.touch(session, rt, Incoming(
            channel="telegram", update_key="r", chat_id="r", chat_type=ChatType.PRIVATE,
            user_id="r", kind=InputKind.TEXT, text="đã nhận"))
        resident.household_id = households[0]
        await reach.count_linked(session, settings, date(2026, 6, 10), [households[0]])
        message = Broadcast(label="tin", total_chats=1, created_at=clock.now())
        session.add(message)
        await session.flush()
        await acknowledgements.record(session, settings, message.id, resident, chat,
                                      clock.now())
        for household_id in households[1:30]:  # 30 of Tổ 1's 42 households reached
            await reach.mark(session, settings, await session.get(Household, household_id),
                             date(2026, 6, 1), ReachSource.ACTIVITY)
    half = periods.parse(settings, "2026H1")

    clock.set(datetime(2026, 6, 14, 16, 59, tzinfo=UTC))  # 23:59 on its last day: not yet
    await snapshots.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        assert await snapshots.load(session, settings, commune, half) is None
    clock.set(datetime(2026, 6, 15, 1, 0, tzinfo=UTC))
    await snapshots.run_due(rt, clock.now())
    await snapshots.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        frozen = await snapshots.load(session, settings, commune, half)
    assert frozen is not None and frozen.snapshot_number == 1
    assert (frozen.root.households, frozen.root.reached) == (166, 30)
    assert _node(frozen.root, "DEMO-TO-1").percent == pytest.approx(100 * 30 / 42)

    async def again(session: AsyncSession, _together: object) -> int | None:
        return (await snapshots.freeze(session, settings, commune, half,
                                       clock.now())).snapshot_number

    assert await _at_once(rt, [again, again]) == [1, 1]  # stored once, by either
    clock.set(datetime(2026, 7, 1, 2, 0, tzinfo=UTC))
    year_period = periods.parse(settings, "2026")
    async with rt.transaction() as session:  # the year, frozen now (a report): number 2
        year = await snapshots.freeze(session, settings, commune, year_period, clock.now())
        assert year.snapshot_number == 2
        assert (year.root.households, year.root.reached) == (166, 30)
        assert await session.scalar(select(func.count()).select_from(CoverageSnapshot)) == 2

    async with rt.transaction() as session:  # a re-import: 8 households added, 1 gone
        for number in range(43, 51):
            session.add(Household(area_id=group, label=f"Hộ số {number}",
                                  added_on=date(2026, 3, 1), created_at=clock.now()))
        await session.execute(update(Household).where(Household.id == households[35])
                              .values(left_on=date(2025, 12, 1)))
        await session.flush()
        await reach.retally(session, settings, date(2026, 7, 1), [group])
        # the resident forgotten at their request: what they said, and their link
        await session.execute(delete(Acknowledgement)
                              .where(Acknowledgement.person_id == resident.id))
        await session.execute(update(Person).where(Person.id == resident.id)
                              .values(household_id=None))
        await reach.count_linked(session, settings, date(2026, 7, 1), [households[0]])
    async with rt.db.reading() as session:
        now = await compute.coverage(session, settings, commune, year_period)
        # the forgotten resident's household still reached: only the anonymous fact is kept
        assert (now.root.households, now.root.reached) == (173, 30)
        assert await snapshots.load(session, settings, commune, year_period) == year
        assert await snapshots.load(session, settings, commune, half) == frozen
    clock.advance(timedelta(days=1))
    await snapshots.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        assert await snapshots.load(session, settings, commune, half) == frozen
