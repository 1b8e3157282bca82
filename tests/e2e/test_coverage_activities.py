"""`/hoatdong` through the sandbox, one scenario per messenger: a resident refused; the leader
of two groups logs yesterday's meeting in Tổ 1 (a list of 42 households) after a day that does
not exist, a day still to come, a topic too long and numbers outside the list, choosing «1 3
5-9»; then a loudspeaker round in Tổ 2 (no list: a count, over the leader's figure refused)
with a campaign near the day as its topic; changes the meeting's households to «tất cả»
within its week; a week later both are locked, with a clear answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from bot.models import Activity, GroupFigures, Household, HouseholdReach, PeriodReach, Role
from bot.services import areas
from bot.services.coverage import activities
from content import activities as words
from tests.conftest import every_channel
from tests.e2e.test_leader_broadcasts import command
from tests.e2e.tipkit import enrol
from tests.harness import LEADER, RESIDENT, Harness


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


async def reached(h: Harness) -> tuple[int, set[str]]:
    async with h.app.rt.db.reading() as session:
        days = (await session.scalars(select(HouseholdReach))).all()
        in_periods = {row.period for row in (await session.scalars(select(PeriodReach))).all()}
        return len(days), in_periods


async def test_leader_logs_activities_end_to_end(harness: Harness) -> None:
    h = harness
    rt = h.app.rt
    today = h.clock.now().astimezone(rt.settings.tz).date()  # 01/06/2026: report year 2026
    yesterday = today - timedelta(days=1)
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-2")
    async with rt.transaction() as session:  # Tổ 2 has no list, only the leader's figure
        group_two = await areas.by_code(session, "DEMO-TO-2")
        await session.execute(update(Household).where(Household.area_id == group_two.id)
                              .values(left_on=date(2026, 1, 1)))
        session.add(GroupFigures(area_id=group_two.id, households=30))
    await enrol(h, RESIDENT, Role.RESIDENT, "DEMO-TO-1")
    await command(h, RESIDENT, "hoatdong", "hoạt động")
    assert await h.last_text(RESIDENT) == words.NOT_LEADER

    await command(h, LEADER, "hoatdong", "ghi hoạt động")
    assert (await h.last_text(LEADER)).startswith(words.ASK_GROUP)
    await h.choose(LEADER, "Tổ dân cư số 1")
    await h.choose(LEADER, words.KINDS["meeting"])
    assert (await h.last_text(LEADER)).startswith(words.ASK_DAY)
    await h.say(LEADER, "30/02")
    assert words.DAY_UNCLEAR.format(typed="30/02") in await h.last_text(LEADER)
    tomorrow = today + timedelta(days=1)
    await h.say(LEADER, f"{tomorrow:%d/%m/%Y}")
    assert words.DAY_FUTURE.format(day=f"{tomorrow:%d/%m/%Y}") in await h.last_text(LEADER)
    await h.choose(LEADER, words.YESTERDAY_LABEL)
    assert (await h.last_text(LEADER)).startswith(words.ASK_TOPIC.format(limit=120))
    await h.say(LEADER, "a" * 121)
    assert words.TOPIC_TOO_LONG.format(length=121, limit=120) in await h.last_text(LEADER)
    await h.say(LEADER, "Phòng chống lừa đảo qua mạng")
    listing = await h.last_text(LEADER)
    assert listing.startswith(words.ASK_HOUSEHOLDS.split("\n")[0])
    assert "\n1. Hộ T1-01\n" in listing and listing.endswith("\n42. Hộ T1-42")
    await h.say(LEADER, "1 3 99")
    assert words.HOUSEHOLDS_OUTSIDE.format(size=42, numbers="99") in await h.last_text(LEADER)
    await h.say(LEADER, "1 3 5-9")
    assert (await h.last_text(LEADER)).startswith(words.PREVIEW.format(
        group="Tổ dân cư số 1", kind="Họp tổ", day=f"{yesterday:%d/%m/%Y}",
        topic="Phòng chống lừa đảo qua mạng",
        reached=words.REACHED_LIST.format(count=7, numbers="1, 3, 5–9")))
    await h.choose(LEADER, words.SAVE_LABEL)
    saved = await h.last_text(LEADER)
    assert saved.startswith("✅ Đã ghi «Họp tổ» ngày") and "7 hộ được tính" in saved
    assert await reached(h) == (7, {"2026", "2026H1"})

    await command(h, LEADER, "hoatdong", "hoạt động")
    meeting_line = words.RECENT_GROUP.format(group="Tổ dân cư số 1") + words.RECENT_LINE.format(
        day=f"{yesterday:%d/%m}", kind="Họp tổ", reached="7 hộ")
    await h.choose(LEADER, words.NEW_LABEL)
    await h.choose(LEADER, "Tổ dân cư số 2")
    await h.choose(LEADER, words.KINDS["loudspeaker"])
    await h.say(LEADER, f"{today:%d/%m}")
    topic = activities.campaign_topics(today)[0]
    await h.choose(LEADER, topic)
    assert await h.last_text(LEADER) == words.ASK_COUNT_FIGURE.format(figure=30)
    await h.say(LEADER, "31")
    assert words.COUNT_OVER.format(figure=30, count=31) in await h.last_text(LEADER)
    await h.say(LEADER, "25")
    assert words.REACHED_COUNT.format(count=25) in await h.last_text(LEADER)
    await h.choose(LEADER, words.SAVE_LABEL)
    assert "25 hộ (tổ trưởng tự đếm)" in await h.last_text(LEADER)
    assert await reached(h) == (7, {"2026", "2026H1"})  # a count reaches no household

    h.clock.advance(timedelta(days=6))  # within the meeting's week: all 42 households
    await command(h, LEADER, "hoatdong", "hoạt động")
    await h.choose(LEADER, meeting_line)
    assert words.REACHED_LIST.format(count=7, numbers="1, 3, 5–9") in await h.last_text(LEADER)
    await h.choose(LEADER, words.CHANGE_HOUSEHOLDS_LABEL)
    await h.say(LEADER, "tat ca")
    assert words.REACHED_LIST.format(count=42, numbers="1–42") in await h.last_text(LEADER)
    await h.choose(LEADER, words.SAVE_LABEL)
    assert await h.last_text(LEADER) == words.CHANGED.format(day=f"{yesterday:%d/%m/%Y}")
    assert await reached(h) == (42, {"2026", "2026H1"})

    h.clock.advance(timedelta(days=1))  # a week after it was logged: locked
    await command(h, LEADER, "hoatdong", "hoạt động")
    await h.choose(LEADER, meeting_line.replace("7 hộ", "42 hộ") + words.RECENT_LOCKED)
    assert await h.last_text(LEADER) == words.LOCKED.format(day=f"{yesterday:%d/%m/%Y}",
                                                            created=f"{today:%d/%m/%Y}")
    async with rt.db.reading() as session:
        logged = (await session.scalars(select(Activity).order_by(Activity.id))).all()
        assert [(a.kind, a.counted, a.topic) for a in logged] == [
            ("meeting", None, "Phòng chống lừa đảo qua mạng"), ("loudspeaker", 25, topic)]
    assert await reached(h) == (42, {"2026", "2026H1"})
