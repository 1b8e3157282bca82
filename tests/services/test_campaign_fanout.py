"""A campaign entry's fan-out: into a Telegram group bound to its group, a relay copy for a
Zalo group's leader, in private to residents who agreed (and not to those who did not); taken
once, resumed after a crash without queuing anything twice, and kept out of quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.channels.base import TextRenderer
from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.channels.telegram import TelegramRenderer
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind, Outgoing
from bot.models import (
    Broadcast,
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    Chat,
    ChatKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
)
from bot.runtime import ChannelParts, Runtime
from bot.services import areas, demo, outbox, people
from bot.services.campaigns import audience, calendar, fanout, job, outlook, plans
from content import campaigns as words


@pytest.fixture(autouse=True)
def messengers(rt: Runtime) -> None:
    rt.channels["telegram"] = ChannelParts(TelegramRenderer(), TELEGRAM)
    rt.channels["zalo"] = ChannelParts(TextRenderer(limit=2000), ZALO)


async def _someone(rt: Runtime, channel: str, user: str, role: Role | None = None,
                   group: str | None = None, consent: bool | None = None) -> Person:
    async with rt.transaction() as session:
        person, _ = await people.touch(session, rt, Incoming(
            channel=channel, update_key=user, chat_id=user, chat_type=ChatType.PRIVATE,
            user_id=user, kind=InputKind.TEXT, user_name=user))
        person.campaign_consent = consent
        if role is not None and group is not None:
            await people.grant_role(session, person, role, await areas.by_code(session, group),
                                    now=rt.clock.now(), granted_by="test")
        return person


async def _setting(rt: Runtime, clock: FakeClock,
                   start: datetime = datetime(2027, 6, 25, 3, 0, tzinfo=UTC)) -> int:
    clock.set(start)
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        group_one = await areas.by_code(session, "DEMO-TO-1")
        chat = await people.ensure_chat(session, rt, "telegram", "-1001", ChatKind.GROUP,
                                        "Nhóm tổ 1")
        chat.area_id = group_one.id
    await _someone(rt, "zalo", "leader-2", Role.GROUP_LEADER, "DEMO-TO-2")
    await _someone(rt, "zalo", "yes-3", Role.RESIDENT, "DEMO-TO-3", consent=True)
    await _someone(rt, "zalo", "no-3", Role.RESIDENT, "DEMO-TO-3", consent=False)
    await _someone(rt, "telegram", "asked-never-4", Role.RESIDENT, "DEMO-TO-4")
    async with rt.transaction() as session:
        await plans.write_plan(session, rt, commune.id, 2027)
    return commune.id


async def _texts(rt: Runtime, broadcast_id: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with rt.db.reading() as session:
        rows = (await session.execute(
            select(OutboxMessage, Chat).join(Chat, Chat.id == OutboxMessage.chat_id)
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .order_by(OutboxMessage.id))).all()
    for row, chat in rows:
        request = outbox.open_payload(rt, row)
        found.setdefault(rt.keyring.decrypt_text(chat.external_id_enc, "chat.external_id"),
                         []).append(request.params["text"])
    return found


@pytest.mark.pg
async def test_the_day_itself_reaches_every_group_once(rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    clock.set(datetime(2027, 6, 26, 1, 0, tzinfo=UTC))  # 08:00 in Vietnam: drugs-day/day
    await job.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        send = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == commune_id, CampaignSend.on == "2027-06-26",
            CampaignSend.parts == "drugs-day/day"))
        assert send is not None and send.status == CampaignSendStatus.SENT
        relays = (await session.scalars(select(CampaignRelay))).all()
    texts = await _texts(rt, send.broadcast_id)
    assert set(texts) == {"-1001", "leader-2", "yes-3"}  # not the one who said no, nor never asked
    [group_message] = texts["-1001"]
    template = calendar.load().day("drugs-day").message("day").text
    assert group_message == template.format(group="Tổ dân cư số 1",
                                            report_hint=words.REPORT_HINT)
    intro, copy = texts["leader-2"]
    assert intro == words.RELAY_INTRO.format(group="Tổ dân cư số 2")
    assert "Tổ dân cư số 2" in copy and copy.endswith(words.RELAY_FOOTER.format(link=""))
    assert "Tổ dân cư số 3" in texts["yes-3"][0] and "{" not in texts["yes-3"][0]
    assert [(r.group_id is not None, r.confirmed_at) for r in relays] == [(True, None)]
    await job.run_due(rt, clock.now() + timedelta(minutes=5))  # nothing goes twice
    assert await _texts(rt, send.broadcast_id) == texts


async def test_a_fan_out_stopped_half_way_resumes_without_queuing_twice(
        rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    clock.set(datetime(2027, 6, 26, 1, 0, tzinfo=UTC))
    async with rt.transaction() as session:
        send = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == commune_id, CampaignSend.on == "2027-06-26",
            CampaignSend.parts == "drugs-day/day"))
        assert send is not None and await fanout.claim(session, send.id)
        assert not await fanout.claim(session, send.id)  # taken once
    fanout.BATCH_GROUPS, batch = 2, fanout.BATCH_GROUPS
    try:
        # the process "dies" after its first batch: the send stays `sending` at group 2
        async with rt.transaction() as session:
            row = await session.get(CampaignSend, send.id)
            assert row is not None
            record = Broadcast(label="t", author_person_id=None, total_chats=0,
                               created_at=clock.now())
            session.add(record)
            await session.flush()
            row.broadcast_id = record.id
            batch_groups = await fanout._next_groups(session, row)
            await fanout._one_batch(session, rt, row, batch_groups, job.RELAY_CHANNELS,
                                    await fanout.Pacer.start(rt))
            # … and again for the same groups, as a crash before recording progress would
            await fanout._one_batch(session, rt, row, batch_groups, job.RELAY_CHANNELS,
                                    await fanout.Pacer.start(rt))
        await job.run_due(rt, clock.now())
    finally:
        fanout.BATCH_GROUPS = batch
    async with rt.db.reading() as session:
        row = await session.get(CampaignSend, send.id)
        assert row is not None and row.status == CampaignSendStatus.SENT
        per_chat = (await session.execute(
            select(OutboxMessage.chat_id, func.count()).where(
                OutboxMessage.broadcast_id == row.broadcast_id)
            .group_by(OutboxMessage.chat_id))).all()
    assert sorted(count for _, count in per_chat) == [1, 1, 2]  # the leader: intro and copy


async def test_what_cannot_leave_before_quiet_hours_waits_for_the_morning(
        rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    rt.settings.zalo_limit_per_second = 0.001  # one message every 1,000 s
    async with rt.transaction() as session:  # at 20:30 in Vietnam
        await session.execute(update(CampaignSend).where(CampaignSend.on == "2027-06-26",
                                                         CampaignSend.parts == "drugs-day/day")
                              .values(send_at=datetime(2027, 6, 26, 13, 30, tzinfo=UTC)))
    clock.set(datetime(2027, 6, 26, 13, 30, tzinfo=UTC))
    await job.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        send = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == commune_id, CampaignSend.on == "2027-06-26",
            CampaignSend.parts == "drugs-day/day"))
        assert send is not None
        waits = (await session.execute(
            select(OutboxMessage.channel, OutboxMessage.not_before)
            .where(OutboxMessage.broadcast_id == send.broadcast_id)
            .order_by(OutboxMessage.id))).all()
    morning = datetime(2027, 6, 27, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam
    assert waits[0] == ("telegram", None)
    zalo = [at for channel, at in waits if channel == "zalo"]
    assert zalo[0] is None and zalo[1] is None  # the leader's two leave at 20:30 and 20:46
    assert zalo[2:] == [morning]  # the third would leave after 21:00


async def test_someone_back_after_weeks_gets_the_latest_campaign_message_once(
        rt: Runtime, clock: FakeClock) -> None:
    """Zalo would not reach them (its 48-hour window): two campaign days waited, and so did
    a reply to their tip. When they write, the reply and the newer campaign message go."""
    await _setting(rt, clock, datetime(2027, 6, 18, 3, 0, tzinfo=UTC))
    for moment in (datetime(2027, 6, 19, 2, 0, tzinfo=UTC), datetime(2027, 6, 26, 1, 0,
                                                                       tzinfo=UTC)):
        clock.set(moment)
        await job.run_due(rt, moment)
    async with rt.transaction() as session:
        chat = await session.scalar(select(Chat).where(
            Chat.chat_ref == people.chat_ref(rt, "zalo", "yes-3")))
        assert chat is not None
        other = await outbox.enqueue(session, rt, chat, Outgoing("Tin báo của bạn có cập nhật."))
        # what the delivery worker does when Zalo refuses for the window
        await session.execute(update(OutboxMessage).where(OutboxMessage.chat_id == chat.id)
                              .values(status=OutboxStatus.WAITING))
        chat.waiting_contact = True
    clock.set(datetime(2027, 7, 20, 1, 0, tzinfo=UTC))
    async with rt.transaction() as session:  # they write again
        await people.touch(session, rt, Incoming(
            channel="zalo", update_key="back", chat_id="yes-3", chat_type=ChatType.PRIVATE,
            user_id="yes-3", kind=InputKind.TEXT, text="xin chào"))
    async with rt.db.reading() as session:
        rows = (await session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.broadcast_id)
            .where(OutboxMessage.chat_id == chat.id).order_by(OutboxMessage.id))).all()
    lead_up, day, reply = rows
    assert (lead_up.status, day.status, reply.status) == (
        OutboxStatus.FAILED, OutboxStatus.QUEUED, OutboxStatus.QUEUED)
    assert reply.id == other[0] and day.broadcast_id != lead_up.broadcast_id


async def test_the_audience_counted_per_commune_is_the_one_reached(rt: Runtime,
                                                                   clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    async with rt.db.reading() as session:
        one = await audience.count(session, commune_id, clock.now(), job.RELAY_CHANNELS)
        every = await audience.count_by_commune(session, clock.now(), job.RELAY_CHANNELS)
    assert every == {commune_id: one}
    # a relay is two messages, as the fan-out queues them (instruction, then copy)
    assert (one.group_chats, one.relays, one.persons) == ({"telegram": 1}, {"zalo": 2},
                                                          {"zalo": 1})


async def test_a_day_the_messengers_cannot_carry_before_quiet_hours_starts_earlier(
        rt: Runtime, clock: FakeClock) -> None:
    """Zalo made slow enough that a day's three messages (a leader's relay: instruction and
    copy; one resident) take 13½ hours: the days that start at 8:00 or later are warned about,
    in words, and begin at 7:30 when the plan is written."""
    commune_id = await _setting(rt, clock, datetime(2027, 1, 2, 3, 0, tzinfo=UTC))
    rt.settings.zalo_limit_per_second = 3 / (13.5 * 3600)
    async with rt.db.reading() as session:
        days = await outlook.capacity_by_day(session, rt, 2027, job.RELAY_CHANNELS)
    heavy = [day for day in days if day.start_earlier is not None]
    assert heavy, sorted({round(day.hours, 2) for day in days})
    day = heavy[0]
    assert day.warning is not None and day.warning.startswith(
        f"Ngày {day.on:%d/%m/%Y}: 3 tin qua Zalo") and "lúc 07:30" in day.warning
    await job.write_all(rt, 2027)
    async with rt.db.reading() as session:
        starts = (await session.scalars(select(CampaignSend.send_at).where(
            CampaignSend.commune_id == commune_id, CampaignSend.on == day.on.isoformat()))).all()
    assert starts and all(
        at.astimezone(rt.settings.tz).strftime("%H:%M") <= "07:30" for at in starts)
