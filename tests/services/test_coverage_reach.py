"""Acknowledgements as reach, at the service level: a linked member's acknowledgement reaches
their household on its local day, in the report periods of that day (an evening in Vietnam is
the next day in UTC… or the same: both checked), once however often it is repeated and however
many members say it; someone not linked counts for nobody until they link, and then
(`reach.replay`) on the day they said it, in the period it was made, not the one they linked in.
Someone not linked is told once, in private, how to register."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind
from bot.models import Broadcast, Chat, Household, HouseholdReach, PeriodReach, Person
from bot.runtime import Runtime
from bot.services import acknowledgements, areas, demo, people
from bot.services.acknowledgements import Said
from bot.services.coverage import reach


async def _someone(rt: Runtime, user: str) -> tuple[Person, Chat]:
    async with rt.transaction() as session:
        return await people.touch(session, rt, Incoming(
            channel="telegram", update_key=user, chat_id=user, chat_type=ChatType.PRIVATE,
            user_id=user, kind=InputKind.TEXT, text="đã nhận"))


async def _broadcast(rt: Runtime) -> int:
    async with rt.transaction() as session:
        row = Broadcast(label="tin", total_chats=1, created_at=rt.clock.now())
        session.add(row)
        await session.flush()
        return row.id


async def _ack(rt: Runtime, broadcast_id: int, person: Person, chat: Chat) -> Said:
    async with rt.transaction() as session:
        person = await session.get(Person, person.id)
        said = await acknowledgements.record(session, rt.settings, broadcast_id, person, chat,
                                             rt.clock.now())
        return said


async def _reach(rt: Runtime) -> tuple[set[tuple[int, date, str]], set[tuple[int, str]]]:
    async with rt.db.reading() as session:
        days = {(r.household_id, r.on, r.source)
                for r in (await session.scalars(select(HouseholdReach))).all()}
        in_periods = {(r.household_id, r.period)
                      for r in (await session.scalars(select(PeriodReach))).all()}
        return days, in_periods


@pytest.mark.pg
async def test_acknowledgements_reach_households(rt: Runtime, clock: FakeClock) -> None:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        group = await areas.by_code(session, "DEMO-TO-1")
        first, second = (await session.scalars(
            select(Household).where(Household.area_id == group.id).order_by(Household.id)
            .limit(2))).all()
        house, other = first.id, second.id
    mother, _ = await _someone(rt, "mother")
    son, _ = await _someone(rt, "son")
    late, late_chat = await _someone(rt, "late")
    async with rt.transaction() as session:
        for person in (mother, son):
            (await session.get(Person, person.id)).household_id = house
    mother_chat = await _private_chat(rt, mother)
    son_chat = await _private_chat(rt, son)

    # 10/12/2025 20:00 in Vietnam is 13:00 UTC: report year 2025, its second half
    clock.set(datetime(2025, 12, 10, 13, 0, tzinfo=UTC))
    earlier = await _broadcast(rt)
    assert await _ack(rt, earlier, late, late_chat) is Said.NEW  # not linked: nobody reached
    assert await _reach(rt) == (set(), set())
    async with rt.transaction() as session:
        assert await acknowledgements.tell_how_to_register(session, late, late_chat)

    # 14/12/2025 23:30 in Vietnam (16:30 UTC): the last day of report year 2025
    clock.set(datetime(2025, 12, 14, 16, 30, tzinfo=UTC))
    one = await _broadcast(rt)
    assert [await _ack(rt, one, mother, mother_chat) for _ in range(2)] == [Said.NEW,
                                                                           Said.REPEAT]
    # 00:30 on 15/12/2025 in Vietnam is still the 14th in UTC: report year 2026 begins
    clock.set(datetime(2025, 12, 14, 17, 30, tzinfo=UTC))
    assert await _ack(rt, one, son, son_chat) is Said.NEW
    two = await _broadcast(rt)
    assert await _ack(rt, two, mother, mother_chat) is Said.NEW  # the same day: one row
    days, in_periods = await _reach(rt)
    assert days == {(house, date(2025, 12, 14), "ack"), (house, date(2025, 12, 15), "ack")}
    assert in_periods == {(house, "2025"), (house, "2025H2"), (house, "2026"),
                          (house, "2026H1")}
    async with rt.transaction() as session:  # linked: no hint
        assert not await acknowledgements.tell_how_to_register(
            session, await session.get(Person, mother.id), mother_chat)

    # in March 2026 the late one links to the other household: their December
    # acknowledgement counts in 2025, where it was made
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    async with rt.transaction() as session:
        person = await session.get(Person, late.id)
        person.household_id = other
        household = await session.get(Household, other)
        assert await reach.replay(session, rt.settings, late.id, household) == 1
        assert await acknowledgements.record(session, rt.settings, two, person, late_chat,
                                             clock.now()) is Said.NEW
        # their second acknowledgement in private: the hint was for the first only
        person.household_id = None
        assert not await acknowledgements.tell_how_to_register(session, person, late_chat)
        person.household_id = other
    days, in_periods = await _reach(rt)
    assert {d for d in days if d[0] == other} == {(other, date(2025, 12, 10), "ack"),
                                                  (other, date(2026, 3, 2), "ack")}
    assert {p for p in in_periods if p[0] == other} == {
        (other, "2025"), (other, "2025H2"), (other, "2026"), (other, "2026H1")}


async def _private_chat(rt: Runtime, person: Person) -> Chat:
    async with rt.db.reading() as session:
        chat = await session.get(Chat, person.private_chat_id)
        assert chat is not None
        return chat
