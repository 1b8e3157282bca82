"""Forgetting at the service layer: someone holding a role the commune granted is refused,
changing nothing; once the role is revoked, a former leader whose broadcast stays the
commune's record is kept as a tombstone (nothing of them in it); the operator's `binhyen person
export|forget` (forget only with --yes), each request recorded without its content."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.cli import build_parser
from bot.clock import FakeClock
from bot.config import Settings
from bot.models import Broadcast, Person, PrivacyRequest, Role, RoleGrant
from bot.runtime import Runtime
from bot.services import areas, demo, people, privacy
from tests.services.conftest import TEXT_CHANNEL
from tests.services.test_tips import _person


async def _requests(rt: Runtime) -> list[tuple[str, str]]:
    async with rt.db.reading() as session:
        return [(r.kind, r.via) for r in (await session.scalars(
            select(PrivacyRequest).order_by(PrivacyRequest.id))).all()]


@pytest.mark.pg
async def test_a_role_holder_is_refused_then_a_former_leader_is_a_tombstone(
        rt: Runtime, clock: FakeClock) -> None:
    leader = await _person(rt, "Phạm Thị Dung")
    now = clock.now()
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        group = await areas.by_code(session, "DEMO-TO-1")
        grant = await people.grant_role(session, leader, Role.GROUP_LEADER, group, now=now,
                                        granted_by="test")
        session.add(Broadcast(label="Họp tổ", author_person_id=leader.id, total_chats=1,
                              created_at=now))
    async with rt.transaction() as session:
        person = await session.get(Person, leader.id)
        assert person is not None
        with pytest.raises(privacy.HoldsRole, match="tổ trưởng"):
            await privacy.forget(session, rt, person, now)
    async with rt.transaction() as session:
        assert (await session.get(Person, leader.id)).name_enc is not None  # type: ignore[union-attr]
        await people.revoke_role(session, grant.id, now=now, by="cli")
    async with rt.transaction() as session:
        person = await session.get(Person, leader.id)
        assert person is not None
        assert await privacy.forget(session, rt, person, now) is False  # the broadcast is kept
    async with rt.db.reading() as session:
        kept = await session.get(Person, leader.id)
        assert kept is not None and kept.user_ref.startswith(privacy.FORGOTTEN)
        assert (kept.external_id_enc, kept.name_enc, kept.private_chat_id) == (b"", None, None)
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0
        assert await privacy.find(session, rt, TEXT_CHANNEL, "Phạm Thị Dung") is None
    assert await _requests(rt) == [("forget", "cli")]


async def test_the_operator_exports_then_forgets_with_yes(
        rt: Runtime, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    await _person(rt, "Nguyễn Văn An")
    parser = build_parser()
    base = ["--channel", TEXT_CHANNEL, "--user-id", "Nguyễn Văn An"]
    args = parser.parse_args(["person", "export", *base])
    assert await args.handler(settings, args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "Nguyễn Văn An" and data["roles"] == [] and data["tips"] == []
    args = parser.parse_args(["person", "forget", *base])
    assert await args.handler(settings, args) == 1  # not without --yes
    assert await _requests(rt) == [("export", "cli")]
    args = parser.parse_args(["person", "forget", *base, "--yes"])
    assert await args.handler(settings, args) == 0
    async with rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Person)) == 0
    assert await _requests(rt) == [("export", "cli"), ("forget", "cli")]
