"""One-time means one time, with truly concurrent requests: each test opens many independent
transactions at once (on PostgreSQL, each on its own connection, none waiting for another),
through the real service functions. On SQLite writers take turns, so the same tests check the
answers stay right there too."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.models import Area, IdentityMode, Person, Role, RoleGrant, Tip, TipEvent, TipStatus
from bot.runtime import Runtime
from bot.services import areas, demo, people
from bot.services.errors import DomainError
from bot.services.tips import access, actions, intake, lookup
from content import people as people_words
from content import tips as words
from tests.services.test_tips import _commune, _person, _submit

pytestmark = pytest.mark.pg

T = TypeVar("T")


Together = Callable[[], Awaitable[None]]
Work = Callable[[AsyncSession, Together], Awaitable[T]]


async def _at_once(rt: Runtime, work: list[Work[T]]) -> list[T | str]:
    """Run every piece of work in its own transaction, all at the same time; a refusal
    (a DomainError) comes back as its sentence, anything else is raised.

    On PostgreSQL every transaction first has its connection and has begun, and they all
    start together; a piece may call `together()` to wait for the others once more (say,
    after all have read). On SQLite transactions take turns, so there is nothing to wait
    for (and waiting would never end)."""
    barrier = None if rt.db.is_sqlite else asyncio.Barrier(len(work))

    async def together() -> None:
        if barrier is not None:
            await barrier.wait()

    async def one(piece: Work[T]) -> T | str:
        try:
            async with rt.transaction() as session:
                await session.execute(text("SELECT 1"))
                await together()
                return await piece(session, together)
        except DomainError as refusal:
            return str(refusal)

    return list(await asyncio.gather(*(one(piece) for piece in work)))


async def test_one_invite_pasted_by_four_at_once_grants_one_role(rt: Runtime) -> None:
    claimants = [await _person(rt, f"p{i}") for i in range(4)]
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        _, token = await people.create_invite(session, rt, role=Role.POLICE_OFFICER,
                                              area=commune, created_by="test")

    def redeem(person: Person) -> Work[str]:
        async def run(session: AsyncSession, _together: Together) -> str:
            await people.redeem_invite(session, rt, token, person)
            return "granted"
        return run

    results = await _at_once(rt, [redeem(person) for person in claimants])
    assert Counter(results) == {"granted": 1, people_words.INVITE_USED: 3}
    async with rt.db.reading() as session:
        grants = (await session.scalars(select(RoleGrant))).all()
    assert len(grants) == 1 and grants[0].role == Role.POLICE_OFFICER


async def test_a_used_expired_or_revoked_invite_says_why(rt: Runtime, clock: FakeClock) -> None:
    person = await _person(rt, "p")
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        revoked, revoked_token = await people.create_invite(
            session, rt, role=Role.POLICE_OFFICER, area=commune, created_by="test")
        _, short_token = await people.create_invite(
            session, rt, role=Role.POLICE_OFFICER, area=commune, created_by="test",
            valid_for=timedelta(minutes=5))
        await people.revoke_invite(session, revoked.id, rt.clock.now())
    clock.advance(timedelta(minutes=6))
    for token, problem in ((revoked_token, people_words.INVITE_REVOKED),
                           (short_token, people_words.INVITE_EXPIRED),
                           ("7K3MQ9XPA2BCDEFG", people_words.INVITE_UNKNOWN)):
        async with rt.transaction() as session:
            with pytest.raises(people.InviteProblem, match=problem):
                await people.redeem_invite(session, rt, token, person)
    async with rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0


async def _two_officers_and_a_tip(rt: Runtime) -> tuple[Person, Person, intake.Submitted]:
    first, second, reporter = [await _person(rt, name) for name in ("o1", "o2", "r")]
    commune_id = await _commune(rt, first)
    async with rt.transaction() as session:
        commune = await session.get(Area, commune_id)
        await people.grant_role(session, second, Role.POLICE_OFFICER, commune,
                                now=rt.clock.now(), granted_by="test")
    return first, second, await _submit(rt, reporter, commune_id)


async def test_two_officers_accepting_at_once_one_wins_the_other_is_told(rt: Runtime) -> None:
    first, second, submitted = await _two_officers_and_a_tip(rt)

    def accept(officer: Person) -> Work[str]:
        async def run(session: AsyncSession, together: Together) -> str:
            tip, _ = await access.get_for_officer(session, submitted.tip.id, officer,
                                                rt.clock.now())
            await together()  # both have read the tip as received
            await actions.act(session, rt, tip.id, officer, "accept")
            return "accepted"
        return run

    results = await _at_once(rt, [accept(first), accept(second)])
    assert results.count("accepted") == 1, results
    changed = words.TIP_CHANGED.format(ref=submitted.tip.id, status="Đã tiếp nhận",
                                       action="Tiếp nhận")
    not_now = words.NOT_ALLOWED_NOW.format(ref=submitted.tip.id, status="Đã tiếp nhận",
                                           action="Tiếp nhận")
    # on PostgreSQL both read the tip first and the second is told it just changed; on
    # SQLite the second transaction starts after the first and finds the tip accepted
    assert sorted(results) == sorted(["accepted", not_now if rt.db.is_sqlite else changed])
    async with rt.db.reading() as session:
        kinds = (await session.scalars(select(TipEvent.kind).where(
            TipEvent.tip_id == submitted.tip.id))).all()
        tip = await session.get(Tip, submitted.tip.id)
    assert sorted(kinds) == ["accept", "received"]
    assert tip is not None and tip.status == TipStatus.ACCEPTED and tip.version == 1


async def test_notes_written_at_once_are_all_kept(rt: Runtime) -> None:
    """Actions that do not conflict (two internal notes) both go through, one after the
    other: the lock orders them, it does not refuse either."""
    first, second, submitted = await _two_officers_and_a_tip(rt)

    def note(officer: Person, body: str) -> Work[str]:
        async def run(session: AsyncSession, together: Together) -> str:
            tip, _ = await access.get_for_officer(session, submitted.tip.id, officer,
                                                rt.clock.now())
            await together()
            await actions.act(session, rt, tip.id, officer, "note", note=body)
            return "noted"
        return run

    assert await _at_once(rt, [note(first, "Một"), note(second, "Hai")]) == ["noted", "noted"]
    async with rt.db.reading() as session:
        tip = await session.get(Tip, submitted.tip.id)
    assert tip is not None and tip.version == 2


async def test_twenty_wrong_pins_at_once_on_one_code_judge_no_more_than_five(
        rt: Runtime) -> None:
    reporter = await _person(rt, "r")
    guessers = [await _person(rt, f"g{i}") for i in range(20)]
    commune_id = await _commune(rt, await _person(rt, "o"))
    anonymous = await _submit(rt, reporter, commune_id, IdentityMode.ANONYMOUS)
    wrong = "000000" if anonymous.pin != "000000" else "111111"

    def guess(person: Person) -> Work[str | None]:
        async def run(session: AsyncSession, _together: Together) -> str | None:
            return (await lookup.lookup(session, rt, anonymous.code, person, wrong)).problem
        return run

    # one wrong guess first, so every counter row exists: the race is on counting, not on
    # who inserts the row
    assert (await _at_once(rt, [guess(guessers[0])])) == [words.NOT_FOUND]
    results = await _at_once(rt, [guess(person) for person in guessers])
    locked = words.LOCKED.format(minutes=30)
    assert Counter(results) == {words.NOT_FOUND: 4, locked: 16}
    # and the holder of the code and PIN waits for the lock-out like everyone (see lookup)
    async with rt.transaction() as session:
        found = await lookup.lookup(session, rt, anonymous.code, reporter, anonymous.pin)
    assert found.problem == locked
