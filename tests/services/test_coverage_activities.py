"""Activities a leader logs (`/hoatdong`), at the service level: households reached on the
activity's day and in its periods; two activities of one day sharing a household (taking it
out of one keeps the day, out of both removes it, an acknowledgement that day stays); a day
moved across the half-year rebuilds the periods; the week to change it on the fake clock, then
locked; days in the future or before the report year, counts over the leader's figure, other
groups' households and people who lead no group refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind
from bot.models import (
    ActivityHousehold,
    ActivityKind,
    GroupFigures,
    Household,
    HouseholdReach,
    PeriodReach,
    Person,
    ReachSource,
    Role,
)
from bot.runtime import Runtime
from bot.services import areas, demo, people
from bot.services.coverage import activities, reach
from bot.services.coverage.activities import Draft, Locked
from bot.services.errors import InvalidInput, NotAllowed

# 05/08/2026, 09:00 in Vietnam: report year 2026 (15/12/2025–14/12/2026), its second half
NOW = datetime(2026, 8, 5, 2, 0, tzinfo=UTC)


async def _person(rt: Runtime, user: str, role: Role | None = None,
                  group: str = "DEMO-TO-1") -> Person:
    async with rt.transaction() as session:
        person, _ = await people.touch(session, rt, Incoming(
            channel="telegram", update_key=user, chat_id=user, chat_type=ChatType.PRIVATE,
            user_id=user, kind=InputKind.TEXT, user_name=user))
        if role is not None:
            await people.grant_role(session, person, role, await areas.by_code(session, group),
                                    now=rt.clock.now(), granted_by="test")
        return person


async def _group(rt: Runtime, code: str) -> tuple[int, list[int]]:
    async with rt.db.reading() as session:
        group = await areas.by_code(session, code)
        return group.id, [h for h, _ in await activities.roster(session, group.id)]


async def _reach(rt: Runtime, households: list[int]
                 ) -> tuple[set[tuple[int, date, str]], set[tuple[int, str]]]:
    async with rt.db.reading() as session:
        days = {(r.household_id, r.on, r.source) for r in (await session.scalars(
            select(HouseholdReach).where(HouseholdReach.household_id.in_(households)))).all()}
        in_periods = {(r.household_id, r.period) for r in (await session.scalars(
            select(PeriodReach).where(PeriodReach.household_id.in_(households)))).all()}
        return days, in_periods


@pytest.mark.pg
async def test_activities_reach_households_until_changed(rt: Runtime, clock: FakeClock) -> None:
    clock.set(NOW)
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
    leader = await _person(rt, "leader", Role.GROUP_LEADER)
    group, roster = await _group(rt, "DEMO-TO-1")
    h1, h2, h3 = roster[:3]
    settings = rt.settings

    async def log(on: date, households: list[int]) -> int:
        async with rt.transaction() as session:
            activity = await activities.log(session, settings, leader, Draft(
                group, ActivityKind.MEETING, on, "Phòng chống ma túy", tuple(households)),
                clock.now())
            return activity.id

    async def change(activity_id: int, on: date, households: list[int]) -> None:
        async with rt.transaction() as session:
            await activities.change(session, settings, leader, activity_id, Draft(
                group, ActivityKind.MEETING, on, "Phòng chống ma túy", tuple(households)),
                clock.now())

    june, july = date(2026, 6, 10), date(2026, 7, 20)  # the first half, then the second
    meeting = await log(june, [h1, h2])
    leaflets = await log(june, [h2, h3])
    async with rt.transaction() as session:  # h3 also acknowledged a message that day
        await reach.mark(session, settings, await session.get(Household, h3), june,
                         ReachSource.ACK)
    days, in_periods = await _reach(rt, [h1, h2, h3])
    assert days == {(h1, june, "activity"), (h2, june, "activity"), (h3, june, "activity"),
                    (h3, june, "ack")}
    assert in_periods == {(h, p) for h in (h1, h2, h3) for p in ("2026", "2026H1")}

    await change(leaflets, june, [h1])  # h2 still at the meeting that day; h3 acknowledged
    days, in_periods = await _reach(rt, [h1, h2, h3])
    assert days == {(h1, june, "activity"), (h2, june, "activity"), (h3, june, "ack")}
    assert in_periods == {(h, p) for h in (h1, h2, h3) for p in ("2026", "2026H1")}

    await change(meeting, july, [h2])  # moved into the second half; h1 still at the leaflets
    days, in_periods = await _reach(rt, [h1, h2, h3])
    assert days == {(h1, june, "activity"), (h2, july, "activity"), (h3, june, "ack")}
    assert in_periods == {(h1, "2026"), (h1, "2026H1"), (h2, "2026"), (h2, "2026H2"),
                          (h3, "2026"), (h3, "2026H1")}

    clock.set(NOW + timedelta(days=6, hours=23))  # still within its week
    async with rt.transaction() as session:
        await activities.remove(session, settings, leader, leaflets, clock.now())
    days, in_periods = await _reach(rt, [h1, h2, h3])
    assert days == {(h2, july, "activity"), (h3, june, "ack")}
    assert in_periods == {(h2, "2026"), (h2, "2026H2"), (h3, "2026"), (h3, "2026H1")}
    async with rt.db.reading() as session:
        assert (await session.scalars(select(ActivityHousehold.household_id))).all() == [h2]
        listed = await activities.recent(session, leader, clock.now())
    assert [(item.activity_id, item.households, item.locked) for item in listed] == [
        (meeting, 1, False)]

    clock.set(NOW + timedelta(days=7))  # its week is over: locked
    for attempt in (lambda s: activities.change(s, settings, leader, meeting, Draft(
                        group, ActivityKind.MEETING, july, "x", (h1,)), clock.now()),
                    lambda s: activities.remove(s, settings, leader, meeting, clock.now())):
        with pytest.raises(Locked, match="đã quá 7 ngày"):
            async with rt.transaction() as session:
                await attempt(session)
    async with rt.db.reading() as session:
        assert [item.locked for item in await activities.recent(session, leader,
                                                                  clock.now())] == [True]
    assert (await _reach(rt, [h2]))[0] == {(h2, july, "activity")}


async def test_what_an_activity_may_not_be(rt: Runtime, clock: FakeClock) -> None:
    clock.set(NOW)
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
    leader = await _person(rt, "leader", Role.GROUP_LEADER)
    resident = await _person(rt, "resident", Role.RESIDENT)
    group, roster = await _group(rt, "DEMO-TO-1")
    other_group, other_roster = await _group(rt, "DEMO-TO-2")
    settings, today = rt.settings, date(2026, 8, 5)

    with pytest.raises(InvalidInput, match="chưa tới"):
        activities.check_day(settings, today + timedelta(days=1), today)
    with pytest.raises(InvalidInput, match="kỳ báo cáo trước"):
        activities.check_day(settings, date(2025, 12, 14), today)
    assert activities.check_day(settings, date(2025, 12, 15), today) == date(2025, 12, 15)
    assert activities.choose("1 3 5-7", 10) == [1, 3, 5, 6, 7]
    assert activities.choose("Tất cả", 3) == [1, 2, 3]
    for typed, problem in (("0 2", "không có số 0"), ("4-12", "không có số 11, 12"),
                           ("hộ 3", "chưa đọc được")):
        with pytest.raises(InvalidInput, match=problem):
            activities.choose(typed, 10)
    with pytest.raises(InvalidInput, match="quá 120 ký tự"):
        activities.check_topic("a" * 121)
    assert activities.check_topic("  Họp   tổ  ") == "Họp tổ"

    async with rt.transaction() as session:
        with pytest.raises(NotAllowed):  # a resident leads no group
            await activities.log(session, settings, resident, Draft(
                group, ActivityKind.OTHER, today, "Họp", tuple(roster[:1])), clock.now())
        with pytest.raises(NotAllowed):  # nor does this leader lead Tổ 2
            await activities.log(session, settings, leader, Draft(
                other_group, ActivityKind.OTHER, today, "Họp", tuple(other_roster[:1])),
                clock.now())
        # another group's household in the list is dropped, never reached
        activity = await activities.log(session, settings, leader, Draft(
            group, ActivityKind.OTHER, today, "Họp", (roster[0], other_roster[0])), clock.now())
        assert await activities.households_of(session, activity.id) == [roster[0]]

        # a group with no list: a count, at most the leader's figure, reaching no household
        for household in (await session.scalars(
                select(Household).where(Household.area_id == other_group))).all():
            household.left_on = date(2026, 1, 1)
        session.add(GroupFigures(area_id=other_group, households=30))
        await session.flush()
        assert await activities.roster(session, other_group) == []
    second = await _person(rt, "leader-2", Role.GROUP_LEADER, "DEMO-TO-2")
    async with rt.transaction() as session:
        with pytest.raises(InvalidInput, match="Tổ có 30 hộ"):
            await activities.log(session, settings, second, Draft(
                other_group, ActivityKind.LOUDSPEAKER, today, "Loa", None, 31), clock.now())
        counted = await activities.log(session, settings, second, Draft(
            other_group, ActivityKind.LOUDSPEAKER, today, "Loa", None, 30), clock.now())
        assert counted.counted == 30
    assert await _reach(rt, other_roster) == (set(), set())
