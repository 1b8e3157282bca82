"""People's roles as `/vaitro` and `/hotline` read them, and an invite's shape, at the service
layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.models import Chat, ChatKind, Invite, Role, RoleGrant
from bot.runtime import Runtime
from bot.services import areas, demo, people
from content import people as people_words
from tests.services.conftest import TEXT_CHANNEL
from tests.services.test_tips import _person

pytestmark = pytest.mark.pg


async def test_held_roles_are_the_active_ones_with_their_areas_in_grant_order(
        rt: Runtime, clock: FakeClock) -> None:
    person = await _person(rt, "Trần Thị Bình")
    now = clock.now()
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        group = await areas.by_code(session, "DEMO-TO-2")
        village = await areas.by_code(session, "DEMO-THON-TAY")
        await people.grant_role(session, person, Role.POLICE_OFFICER, commune, now=now,
                                granted_by="test")
        revoked = await people.grant_role(session, person, Role.DISPATCHER, commune, now=now,
                                          granted_by="test")
        await people.revoke_role(session, revoked.id, now=now, by="test")
        await people.grant_role(session, person, Role.SECURITY_MEMBER, village, now=now,
                                granted_by="test", expires_at=now + timedelta(days=1))
        await people.grant_role(session, person, Role.GROUP_LEADER, group, now=now,
                                granted_by="test")
    async with rt.db.reading() as session:
        held = await people.held_roles(session, person.id, now)
        assert [(g.role, a.code) for g, a in held] == [
            (Role.POLICE_OFFICER, demo.DEMO_COMMUNE), (Role.SECURITY_MEMBER, "DEMO-THON-TAY"),
            (Role.GROUP_LEADER, "DEMO-TO-2")]
        later = await people.held_roles(session, person.id, now + timedelta(days=2))
        assert [g.role for g, _ in later] == [Role.POLICE_OFFICER, Role.GROUP_LEADER]


async def test_communes_of_a_person_by_role_and_by_chat_each_once(rt: Runtime,
                                                                 clock: FakeClock) -> None:
    leader, stranger = await _person(rt, "Phạm Thị Dung"), await _person(rt, "Khách")
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        for code, role in (("DEMO-TO-1", Role.GROUP_LEADER), ("DEMO-TO-3", Role.RESIDENT),
                           (demo.DEMO_COMMUNE, Role.SECURITY_MEMBER)):
            await people.grant_role(session, leader, role, await areas.by_code(session, code),
                                    now=clock.now(), granted_by="test")
        private = await session.get(Chat, stranger.private_chat_id)
        group_chat = await people.ensure_chat(session, rt, TEXT_CHANNEL, "-100", ChatKind.GROUP,
                                              "Tổ 4")
        group_chat.area_id = (await areas.by_code(session, "DEMO-TO-4")).id
        leader_chat = await session.get(Chat, leader.private_chat_id)
        assert [a.id for a in await people.communes_of(session, leader.id, leader_chat,
                                                        clock.now())] == [commune.id]
        assert await people.communes_of(session, stranger.id, private, clock.now()) == []
        assert [a.id for a in await people.communes_of(session, stranger.id, group_chat,
                                                        clock.now())] == [commune.id]


async def test_a_token_that_cannot_be_an_invite_is_refused_and_spends_nothing(
        rt: Runtime) -> None:
    person = await _person(rt, "Lê Văn Cường")
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
    async with rt.transaction() as session:
        for typed in ("", "7K3M", "7K3MQ9XPA2BCDEFGH", "xin chào"):
            with pytest.raises(people.InviteProblem, match=people_words.INVITE_UNKNOWN):
                await people.redeem_invite(session, rt, typed, person)
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0
        assert await session.scalar(select(func.count()).select_from(Invite)
                                    .where(Invite.used_at.is_not(None))) == 0
