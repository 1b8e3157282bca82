"""The official area list and the report's figures, on a real database.

- Seeding Tuyên Quang twice adds nothing the second time, follows a rename and keeps a
  commune's own settings; its villages then import under a commune's official code (even with
  the leading zero lost to a spreadsheet); a code already used at another level is refused.
- The report of the demo commune: activities by kind, campaign messages sent and acknowledged,
  relays, chat groups, and the tip figures of the commune as a whole (none for a village);
  a period with a snapshot reports the frozen figures, for the commune and cut to a village.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.models import (
    Acknowledgement,
    Activity,
    ActivityKind,
    Area,
    AreaAlias,
    Broadcast,
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    CoverageSnapshot,
    Person,
    Tip,
    TipStatus,
)
from bot.runtime import Runtime
from bot.services import area_seed, areas, demo
from bot.services.areas import AreaRow, ImportProblems
from bot.services.coverage import periods, report, views
from bot.services.coverage.figures import AreaCoverage
from bot.services.errors import InvalidInput, NotFound

pytestmark = pytest.mark.pg


async def _count(rt: Runtime, model: type) -> int:
    async with rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_seeding_a_province_twice_then_its_villages(rt: Runtime) -> None:
    entry = area_seed.find_province("tuyen quang")
    assert entry is area_seed.find_province("Tuyên Quang") is area_seed.find_province("08")
    assert area_seed.find_province("8") is entry
    assert area_seed.find_province("TP Hồ Chí Minh").province.name == "Thành phố Hồ Chí Minh"
    with pytest.raises(NotFound):
        area_seed.find_province("Atlantis")
    assert sum(len(p.communes) for p in area_seed.official_list()) == 3321
    assert len(area_seed.official_list()) == 34
    assert entry.province.code == "08" and entry.province.name == "Tỉnh Tuyên Quang"

    async with rt.transaction() as session:
        first = await area_seed.seed(session, rt.clock, entry)
    assert first.added == len(entry.communes) + 1 == await _count(rt, Area)
    commune = next(c for c in entry.communes if c.code == "02269")
    async with rt.transaction() as session:
        seeded = await areas.by_code(session, "02269")
        assert seeded.name == commune.name and seeded.level == "commune"
        assert (await areas.enclosing(session, seeded, "province")).code == "08"  # type: ignore[union-attr]
        seeded.name, seeded.police_phone = "Xã Cũ", "0207 123 456"
    async with rt.transaction() as session:
        again = await area_seed.seed(session, rt.clock, entry)
    assert (again.added, again.renamed) == (0, 1)
    assert await _count(rt, Area) == first.added
    assert await _count(rt, AreaAlias) == 1  # «Tuyên Quang», once
    async with rt.transaction() as session:
        seeded = await areas.by_code(session, "02269")
        assert seeded.name == commune.name and seeded.police_phone == "0207 123 456"
        await areas.import_areas(session, [
            AreaRow(2, "TL-THON-1", "Thôn Nà Héc", "village", "2269"),  # the zero lost
            AreaRow(3, "TL-TO-1", "Tổ 1 Nà Héc", "group", "TL-THON-1")], rt.clock)
    async with rt.db.reading() as session:
        village = await areas.by_code(session, "TL-THON-1")
        assert village.parent_id == seeded.id
        assert [a.code for a in await areas.find_areas(session, "na hec", level="village")] \
            == ["TL-THON-1"]
    with pytest.raises(ImportProblems, match="mã 08 đã là Tỉnh Tuyên Quang"):
        async with rt.transaction() as session:
            await areas.import_areas(session, [AreaRow(2, "08", "Thôn Tám", "village",
                                                       "02269")], rt.clock)


async def test_a_code_taken_at_another_level_stops_the_seed(rt: Runtime) -> None:
    async with rt.transaction() as session:
        await areas.import_areas(session, [AreaRow(1, "08", "Thôn Tám", "village", None)],
                                 rt.clock)
    with pytest.raises(InvalidInput, match="mã 08: Thôn Tám"):
        async with rt.transaction() as session:
            await area_seed.seed(session, rt.clock, area_seed.find_province("08"))
    assert await _count(rt, Area) == 1


async def test_the_report_figures_and_a_frozen_period(rt: Runtime) -> None:
    now = rt.clock.now()
    today = now.astimezone(rt.settings.tz).date()
    half = periods.parse(rt.settings, "2026H1")
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        one = await areas.by_code(session, "DEMO-TO-1")
        person = Person(channel="text", user_ref="p1", external_id_enc=b"x", created_at=now,
                        last_seen_at=now)
        session.add(person)
        for kind, day in ((ActivityKind.MEETING, today), (ActivityKind.MEETING, today),
                          (ActivityKind.LOUDSPEAKER, today),
                          (ActivityKind.MEETING, date(2025, 12, 1))):  # before the period
            session.add(Activity(area_id=one.id, kind=kind, on=day, topic="Phòng chống ma túy",
                                 counted=None, created_at=now))
        sent = Broadcast(label="Ngày hội", total_chats=3, created_at=now)
        session.add(sent)
        await session.flush()
        send = CampaignSend(commune_id=commune.id, year=2026, on=today.isoformat(),
                            send_at=now, parts="x/y", text="…", status=CampaignSendStatus.SENT,
                            broadcast_id=sent.id, created_at=now)
        session.add(send)
        session.add(CampaignSend(commune_id=commune.id, scope=1, year=2026,
                                 on=(today + timedelta(days=3)).isoformat(), send_at=now,
                                 parts="x/z", text="…", created_at=now))  # planned: not sent
        await session.flush()
        session.add(Acknowledgement(broadcast_id=sent.id, person_id=person.id,
                                    channel="text", chat_kind="private", at=now))
        session.add(CampaignRelay(send_id=send.id, group_id=one.id, leader_id=person.id,
                                  created_at=now, confirmed_at=now))
        for status, overdue in ((TipStatus.CLOSED, False), (TipStatus.VERIFYING, True)):
            session.add(Tip(**_tip(commune.id, now, status, overdue)))
    async with rt.db.reading() as session:
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        data = await report.gather(session, rt, commune, half)
        village = await report.gather(session, rt, await areas.by_code(session, "DEMO-THON-TAY"),
                                      half)
    assert data.activities == {"meeting": 2, "loudspeaker": 1}
    assert (data.campaign_sent, data.acknowledged, data.relays_confirmed, data.relays) == \
        (1, 1, 1, 1)
    assert data.tips is not None and (data.tips.received, data.tips.resolved,
                                      data.tips.overdue, data.tips.rate) == (2, 1, 1, 0.5)
    assert data.coverage.root.households == sum(demo.HOUSEHOLDS_PER_GROUP)
    assert data.coverage.snapshot_number is None and data.frozen_on is None
    assert village.tips is None and village.activities == {}
    assert village.campaign_sent == 1 and village.relays == 0  # its commune's message

    async with rt.transaction() as session:
        tay = await areas.by_code(session, "DEMO-THON-TAY")
        frozen = AreaCoverage(commune.id, commune.code, commune.name, "commune", 100, 80,
                              children=(AreaCoverage(tay.id, tay.code, tay.name, "village",
                                                     40, 30),))
        session.add(CoverageSnapshot(number=1, area_id=commune.id, period="2026H1",
                                     taken_at=datetime(2026, 6, 15, 0, 30, tzinfo=UTC),
                                     figures=frozen.to_json()))
    async with rt.db.reading() as session:
        data = await report.gather(session, rt, commune, half)
        cut = await views.figures(session, rt, tay.id, half)
        live = await views.figures(session, rt, commune.id, periods.parse(rt.settings, "2026"))
    assert data.coverage.root == frozen and data.coverage.snapshot_number == 1
    assert data.frozen_on == date(2026, 6, 15)
    assert cut.coverage.root.name == "Thôn Tây" and cut.coverage.root.reached == 30
    assert live.coverage.snapshot_number is None


def _tip(commune_id: int, now: datetime, status: TipStatus, overdue: bool) -> dict[str, object]:
    return {"category": "drugs", "commune_id": commune_id, "status": status, "overdue": overdue,
            "created_at": now, "routed_at": now, "identity_mode": "anonymous",
            "receipt_hash": f"{status}-{overdue}"}
