"""A commune's campaign plan in the database: written for a year, changed by its managers
only, rewritten at once, and never a second time for what has already gone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select, update

from bot.clock import FakeClock
from bot.models import Area, CampaignSend, CampaignSendStatus, Role
from bot.runtime import Runtime
from bot.services import areas, demo, people
from bot.services.campaigns import choices, plans
from bot.services.errors import DomainError, NotAllowed
from content import campaigns as words
from tests.services.test_tips import _person


async def _commune(rt: Runtime) -> int:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        return (await areas.by_code(session, demo.DEMO_COMMUNE)).id


async def _sends(rt: Runtime, commune_id: int) -> list[CampaignSend]:
    async with rt.db.reading() as session:
        return list((await session.scalars(select(CampaignSend).where(
            CampaignSend.commune_id == commune_id).order_by(CampaignSend.send_at))).all())


@pytest.fixture(autouse=True)
def december(clock: FakeClock) -> None:
    clock.set(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))


@pytest.mark.pg
async def test_a_years_plan_is_written_once_and_rewritten_without_what_went(
        rt: Runtime) -> None:
    commune_id = await _commune(rt)
    async with rt.transaction() as session:
        assert await plans.write_plan(session, rt, commune_id, 2027) == 28
    sent = await _sends(rt, commune_id)
    assert len(sent) == 28 and sent[0].on == "2027-01-09" and sent[0].village_id is None
    first = sent[0]
    # 9 January, 09:00 in Vietnam is 02:00 UTC
    assert first.send_at == datetime(2027, 1, 9, 2, 0, tzinfo=UTC)
    async with rt.transaction() as session:  # the first went out
        await session.execute(update(CampaignSend).where(CampaignSend.id == first.id)
                              .values(status=CampaignSendStatus.SENT))
        assert await plans.write_plan(session, rt, commune_id, 2027) == 27
    again = await _sends(rt, commune_id)
    assert len(again) == 28
    assert [s.status for s in again].count(CampaignSendStatus.SENT) == 1


async def test_managers_switch_days_and_move_times_others_may_not(rt: Runtime) -> None:
    commune_id = await _commune(rt)
    chief, officer = await _person(rt, "chief"), await _person(rt, "officer")
    async with rt.transaction() as session:
        commune = await session.get(Area, commune_id)
        assert commune is not None
        await people.grant_role(session, chief, Role.POLICE_CHIEF, commune, now=rt.clock.now(),
                                granted_by="test")
        await people.grant_role(session, officer, Role.POLICE_OFFICER, commune,
                                now=rt.clock.now(), granted_by="test")
    async with rt.transaction() as session:
        with pytest.raises(NotAllowed, match="lãnh đạo Công an xã"):
            await choices.switch(session, rt, commune_id, "law-day", False, officer)
        await choices.switch(session, rt, commune_id, "law-day", False, chief)
        await choices.switch(session, rt, commune_id, "children-month", True, chief)
        await choices.set_time(session, rt, commune_id, "fire-day", "day", time(19, 30), chief)
        with pytest.raises(DomainError) as quiet:
            await choices.set_time(session, rt, commune_id, "fire-day", "day", time(22, 0),
                                   chief)
        assert str(quiet.value) == words.TIME_IN_QUIET.format(at="22:00", start="21:00",
                                                              end="07:00")
    coming = await _sends(rt, commune_id)
    parts = {s.parts for s in coming if s.year == 2027}
    assert not {p for p in parts if "law-day" in p}
    assert {p for p in parts if "children-month" in p}
    fire = next(s for s in coming if s.parts == "fire-day/day" and s.year == 2027)
    assert fire.send_at == datetime(2027, 10, 4, 12, 30, tzinfo=UTC)  # 19:30 in Vietnam


async def test_a_communes_own_text_is_checked_before_it_is_kept(rt: Runtime) -> None:
    commune_id = await _commune(rt)
    async with rt.transaction() as session:
        with pytest.raises(DomainError) as wrong:
            await choices.set_text(session, rt, commune_id, "drugs-day", "day",
                                   "Kính gửi bà con {to}, hưởng ứng ngày PCCC.", None)
        assert str(wrong.value).startswith("Nội dung có chỗ điền Bình Yên không biết: to.")
        await choices.set_text(session, rt, commune_id, "drugs-day", "day",
                               "Kính gửi bà con {group}: hôm nay là ngày phòng, chống ma túy.",
                               None)
    drugs = next(s for s in await _sends(rt, commune_id) if s.parts == "drugs-day/day")
    assert drugs.text == "Kính gửi bà con {group}: hôm nay là ngày phòng, chống ma túy."


async def test_a_village_keeps_its_own_festival_date(rt: Runtime) -> None:
    commune_id = await _commune(rt)
    async with rt.transaction() as session:
        village = await areas.by_code(session, "DEMO-THON-DONG")
        await choices.set_local_date(session, rt, village.id, "security-day", date(2027, 8, 15),
                                     "sáng Chủ nhật 15/8", "nhà văn hóa thôn Đông", None)
        with pytest.raises(DomainError):
            await choices.set_local_date(session, rt, village.id, "fire-day", date(2027, 10, 2),
                                         None, None, None)
    own = [s for s in await _sends(rt, commune_id) if s.village_id == village.id]
    assert [(s.on, s.parts) for s in own] == [
        ("2027-08-08", "security-day/lead_up"), ("2027-08-15", "security-day/day"),
        ("2027-08-17", "security-day/follow_up")]
