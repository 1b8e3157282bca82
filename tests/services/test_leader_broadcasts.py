"""A leader's own broadcast: who may send where, times refused (past, quiet hours), the weekly
cap warned about (never blocking), and a repeating one moved to its next time once sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.channels.base import TextRenderer
from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.channels.telegram import TelegramRenderer
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind, Media, Outgoing
from bot.models import Chat, OutboxMessage, Person, Role, ScheduledMessage, ScheduledStatus
from bot.runtime import ChannelParts, Runtime
from bot.services import areas, demo, leader_broadcasts, people, scheduled_broadcasts
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from content import broadcasts as words

START = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam, a Monday


@pytest.fixture(autouse=True)
def messengers(rt: Runtime) -> None:
    rt.channels["telegram"] = ChannelParts(TelegramRenderer(), TELEGRAM)
    rt.channels["zalo"] = ChannelParts(TextRenderer(limit=2000), ZALO)


async def _person(rt: Runtime, user: str, role: Role | None = None, area: str = "",
                  consent: bool | None = None) -> Person:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        person, _ = await people.touch(session, rt, Incoming(
            channel="zalo", update_key=user, chat_id=user, chat_type=ChatType.PRIVATE,
            user_id=user, kind=InputKind.TEXT, user_name=user))
        person.campaign_consent = consent
        if role is not None:
            await people.grant_role(session, person, role, await areas.by_code(session, area),
                                    now=rt.clock.now(), granted_by="test")
        return person


async def test_each_author_sends_only_where_they_manage(rt: Runtime, clock: FakeClock) -> None:
    clock.set(START)
    leader = await _person(rt, "leader", Role.GROUP_LEADER, "DEMO-TO-1")
    officer = await _person(rt, "officer", Role.POLICE_OFFICER, demo.DEMO_COMMUNE)
    resident = await _person(rt, "resident", Role.RESIDENT, "DEMO-TO-1")
    async with rt.transaction() as session:
        now = clock.now()
        assert [s.name for s in await leader_broadcasts.scopes_of(session, leader, now)] == [
            "Tổ dân cư số 1"]
        assert {s.name for s in await leader_broadcasts.scopes_of(session, officer, now)} == {
            "Cả xã Bình Yên", "Thôn Đông", "Thôn Tây"}
        assert await leader_broadcasts.scopes_of(session, resident, now) == []
        other = await areas.by_code(session, "DEMO-TO-2")
        with pytest.raises(NotAllowed):
            await leader_broadcasts.schedule(session, rt, leader, "Họp tổ", other.id,
                                             now + timedelta(hours=2), "none", now)


def test_text_and_time_refused_with_their_reasons(rt: Runtime, clock: FakeClock) -> None:
    clock.set(START)
    now = clock.now()
    with pytest.raises(InvalidInput, match="chưa có chữ"):
        leader_broadcasts.check_text("   ")
    with pytest.raises(InvalidInput, match=f"{1701} ký tự, quá giới hạn 1700"):
        leader_broadcasts.check_text("a" * 1701)
    with pytest.raises(InvalidInput, match="đã qua"):
        leader_broadcasts.check_when(rt, now - timedelta(minutes=5), now)
    with pytest.raises(InvalidInput, match="giờ nghỉ"):  # 22:00 local
        leader_broadcasts.check_when(rt, now + timedelta(hours=12), now)
    assert leader_broadcasts.check_when(rt, now + timedelta(hours=9), now)  # 19:00


def test_repeats_keep_the_wall_time() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    at = datetime(2027, 1, 31, 19, 30, tzinfo=tz)
    assert leader_broadcasts.next_time(at, "weekly", tz) == datetime(2027, 2, 7, 19, 30,
                                                                      tzinfo=tz)
    assert leader_broadcasts.next_time(at, "monthly", tz) == datetime(2027, 2, 28, 19, 30,
                                                                       tzinfo=tz)
    assert leader_broadcasts.next_time(at, "yearly", tz) == datetime(2028, 1, 31, 19, 30,
                                                                      tzinfo=tz)
    assert leader_broadcasts.next_time(at, "none", tz) is None


async def test_cap_warned_and_a_repeat_sent_then_moved(rt: Runtime, clock: FakeClock) -> None:
    clock.set(START)
    chief = await _person(rt, "chief", Role.POLICE_CHIEF, demo.DEMO_COMMUNE)
    await _person(rt, "leader-1", Role.GROUP_LEADER, "DEMO-TO-1")
    await _person(rt, "yes-1", Role.RESIDENT, "DEMO-TO-1", consent=True)
    cap = rt.settings.campaign_group_per_week
    async with rt.transaction() as session:
        group = await areas.by_code(session, "DEMO-TO-1")
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        first = clock.now() + timedelta(hours=1)
        assert await leader_broadcasts.busiest_group(session, rt, group.id, first) is None
        for day in range(cap):
            await leader_broadcasts.schedule(session, rt, chief, f"Tin {day}", commune.id,
                                             first + timedelta(days=day), "none", clock.now())
        assert await leader_broadcasts.busiest_group(session, rt, group.id, first) == (
            "Tổ dân cư số 1", cap)
        assert await leader_broadcasts.busiest_group(
            session, rt, group.id, first + timedelta(days=9)) is None
        village = await areas.by_code(session, "DEMO-THON-DONG")
        weekly = await leader_broadcasts.schedule(session, rt, chief, "Họp thôn hằng tuần",
                                                  village.id, first, "weekly", clock.now())
    clock.set(first)
    await scheduled_broadcasts.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        again = await session.get(ScheduledMessage, weekly.id)
        assert again is not None and again.status == ScheduledStatus.SCHEDULED
        assert again.next_due == first + timedelta(days=7) and again.broadcast_id is not None
        texts = [row.chat_id for row in (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.broadcast_id == again.broadcast_id))).all()]
        assert len(texts) == 3  # the leader's intro and copy, the resident who agreed
    async with rt.transaction() as session:
        assert [item.id for item in await leader_broadcasts.coming(
            session, chief, clock.now())][-1] == weekly.id
        await leader_broadcasts.cancel(session, chief, weekly.id, clock.now())
        with pytest.raises(NotFound, match=re.escape(words.CANCEL_GONE)):
            await leader_broadcasts.cancel(session, chief, weekly.id, clock.now())


async def test_a_repeat_missed_while_down_goes_on_at_its_next_time(rt: Runtime,
                                                                   clock: FakeClock) -> None:
    clock.set(START)
    leader = await _person(rt, "leader-1", Role.GROUP_LEADER, "DEMO-TO-1")
    first = clock.now() + timedelta(hours=2)
    async with rt.transaction() as session:
        group = await areas.by_code(session, "DEMO-TO-1")
        item = await leader_broadcasts.schedule(session, rt, leader, "Họp tổ", group.id, first,
                                                "weekly", clock.now())
    clock.set(first + timedelta(days=8))  # down for over a week
    await scheduled_broadcasts.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        again = await session.get(ScheduledMessage, item.id)
        assert again is not None and again.status == ScheduledStatus.SCHEDULED
        assert again.next_due == first + timedelta(days=14) and again.broadcast_id is None


async def test_a_photo_broadcast_on_a_text_only_messenger_says_a_photo_went_with_it(
        rt: Runtime) -> None:
    """Zalo bots send no photos: their residents get the caption and a line saying so; the
    photo stays for the messengers that take it."""
    zalo = Chat(channel="zalo", chat_ref="z", external_id_enc=b"", kind="private")
    telegram = Chat(channel="telegram", chat_ref="t", external_id_enc=b"", kind="private")
    with_photo = Outgoing("Ảnh đối tượng", attachments=(Media("photo", 7),))
    shown = leader_broadcasts.without_files(rt, zalo, with_photo)
    assert shown.attachments == () and shown.text == f"Ảnh đối tượng\n\n{words.PHOTO_ELSEWHERE}"
    assert leader_broadcasts.without_files(rt, telegram, with_photo) == with_photo
    assert leader_broadcasts.without_files(rt, zalo, Outgoing("chữ")) == Outgoing("chữ")
