"""Joining a neighbourhood group by code, at the service layer: who may issue a code, what a
code does however it is typed, when it stops working, who is told, and the leader's roster."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.models import Area, OutboxMessage, Person, Role
from bot.runtime import Runtime
from bot.services import areas, demo, join_codes, outbox, people
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from content import groups as words
from tests.services.test_tips import _person

pytestmark = pytest.mark.pg


async def _group(rt: Runtime, leader: Person, code: str = "DEMO-TO-1") -> Area:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        group = await areas.by_code(session, code)
        await people.grant_role(session, leader, Role.GROUP_LEADER, group, now=rt.clock.now(),
                                granted_by="test")
        return group


async def _issue(rt: Runtime, leader: Person) -> join_codes.IssuedCode:
    async with rt.transaction() as session:
        return await join_codes.issue(session, rt, leader)


async def _redeem(rt: Runtime, code: str, person: Person) -> join_codes.Joined:
    async with rt.transaction() as session:
        return await join_codes.redeem(session, rt, code, person)


async def _texts_to(rt: Runtime, person: Person) -> list[str]:
    async with rt.db.reading() as session:
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == person.private_chat_id).order_by(OutboxMessage.id))).all()
        return [outbox.open_payload(rt, row).params["text"] for row in rows]


async def test_only_a_group_leader_gets_a_code(rt: Runtime) -> None:
    resident = await _person(rt, "Nguyễn Văn An")
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        await people.grant_role(session, resident, Role.POLICE_CHIEF, commune,
                                now=rt.clock.now(), granted_by="test")
    async with rt.transaction() as session:
        with pytest.raises(NotAllowed, match=words.NOT_LEADER):
            await join_codes.issue(session, rt, resident)
        with pytest.raises(NotAllowed, match=words.NOT_LEADER):
            await join_codes.roster(session, rt, resident)
        with pytest.raises(NotAllowed, match=words.NOT_LEADER):
            await join_codes.remove(session, rt, resident, 1)


async def test_a_code_makes_a_resident_once_however_typed_and_tells_the_leader(
        rt: Runtime, clock: FakeClock) -> None:
    leader, resident = await _person(rt, "Phạm Thị Dung"), await _person(rt, "Nguyễn Văn An")
    group = await _group(rt, leader)
    issued = await _issue(rt, leader)
    assert issued.group.id == group.id and len(issued.code) == join_codes.CODE_LENGTH
    assert issued.valid_until == clock.now() + timedelta(days=join_codes.CODE_DAYS)

    typed = " ".join(issued.code.lower())  # lower case, spaces between: still the code
    joined = await _redeem(rt, typed, resident)
    assert (joined.group.id, joined.newly_joined) == (group.id, True)
    again = await _redeem(rt, issued.code, resident)
    assert (again.group.id, again.newly_joined) == (group.id, False)

    async with rt.db.reading() as session:
        assert [p.id for p in await people.holders(session, {Role.RESIDENT}, group.id,
                                                    clock.now())] == [resident.id]
    assert await _texts_to(rt, leader) == [
        words.LEADER_TOLD.format(name="Nguyễn Văn An", group=group.name, count=1)]


async def test_a_code_stops_working_when_expired_or_replaced(rt: Runtime,
                                                             clock: FakeClock) -> None:
    leader = await _person(rt, "Phạm Thị Dung")
    first, second, third = [await _person(rt, name) for name in ("An", "Bình", "Cường")]
    await _group(rt, leader)
    old = await _issue(rt, leader)
    new = await _issue(rt, leader)
    with pytest.raises(NotFound, match=words.BAD_CODE):
        await _redeem(rt, old.code, first)
    with pytest.raises(NotFound, match=words.BAD_CODE):
        await _redeem(rt, "ABCDEFGH", first)
    assert (await _redeem(rt, new.code, first)).newly_joined
    clock.advance(timedelta(days=join_codes.CODE_DAYS) - timedelta(seconds=1))
    assert (await _redeem(rt, new.code, second)).newly_joined
    clock.advance(timedelta(seconds=1))
    with pytest.raises(NotFound, match=words.BAD_CODE):
        await _redeem(rt, new.code, third)


async def test_the_roster_in_join_order_and_removing_by_its_number(rt: Runtime) -> None:
    leader = await _person(rt, "Phạm Thị Dung")
    group = await _group(rt, leader)
    other_leader = await _person(rt, "Lê Văn Tám")
    await _group(rt, other_leader, "DEMO-TO-2")
    code = (await _issue(rt, leader)).code
    other_code = (await _issue(rt, other_leader)).code
    an, hoa, outsider = [await _person(rt, n) for n in ("Nguyễn Văn An", "Lý Thị Hoa", "Ngoài")]
    await _redeem(rt, code, an)
    await _redeem(rt, other_code, outsider)
    await _redeem(rt, code, hoa)

    async with rt.db.reading() as session:
        roster = await join_codes.roster(session, rt, leader)
    assert roster.group.id == group.id
    assert [m.name for m in roster.members] == ["Nguyễn Văn An", "Lý Thị Hoa"]
    assert {m.since for m in roster.members} == {rt.clock.now()}

    async with rt.transaction() as session:
        for number in (None, 0, 3):
            with pytest.raises(InvalidInput, match=words.BAD_NUMBER):
                await join_codes.remove(session, rt, leader, number)
        removed = await join_codes.remove(session, rt, leader, 2)
    assert (removed.group.id, removed.name) == (group.id, "Lý Thị Hoa")
    async with rt.db.reading() as session:
        assert [m.name for m in (await join_codes.roster(session, rt, leader)).members] \
            == ["Nguyễn Văn An"]
        assert not await people.has_role(session, hoa.id, {Role.RESIDENT}, rt.clock.now())
    assert (await _redeem(rt, code, hoa)).newly_joined  # removed by mistake: may join again


async def test_a_leader_without_a_private_chat_is_not_told(rt: Runtime) -> None:
    leader, resident = await _person(rt, "Phạm Thị Dung"), await _person(rt, "Nguyễn Văn An")
    await _group(rt, leader)
    code = (await _issue(rt, leader)).code
    async with rt.transaction() as session:
        (await session.get(Person, leader.id)).private_chat_id = None
    assert (await _redeem(rt, code, resident)).newly_joined
    async with rt.db.reading() as session:
        assert not (await session.scalars(select(OutboxMessage))).all()


async def test_the_roster_counts_members_as_the_leader_is_told(rt: Runtime,
                                                              clock: FakeClock) -> None:
    """One rule for who is a member: a resident role that lapsed is in neither the count the
    leader is told nor the roster (the roster once listed every role not revoked)."""
    leader, lapsed, newcomer = [await _person(rt, n) for n in ("Dung", "Cũ", "Mới")]
    group = await _group(rt, leader)
    async with rt.transaction() as session:
        await people.grant_role(session, lapsed, Role.RESIDENT, group, now=clock.now(),
                                granted_by="test", expires_at=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    await _redeem(rt, (await _issue(rt, leader)).code, newcomer)
    async with rt.db.reading() as session:
        roster = await join_codes.roster(session, rt, leader)
    assert [m.name for m in roster.members] == ["Mới"]
    assert await _texts_to(rt, leader) == [
        words.LEADER_TOLD.format(name="Mới", group=group.name, count=1)]
