"""Acknowledgements and the reports on a campaign day, at the service level: a ✅ pressed in a
group chat by someone the bot never met, a repeat stored once (also when pressed at once, on
PostgreSQL), a button of a chat the message never went to, «đã nhận» through a leader's relay
and after a message in private; households counted where people are linked, people where not;
the report taken once, only when the fan-out is over and nothing is left to send, to the
commune's admin (else its police chief); `/lich <số>` figures for them only, fresh each time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind
from bot.models import (
    Acknowledgement,
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    Chat,
    Household,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
)
from bot.runtime import Runtime
from bot.services import acknowledgements, broadcast_reports, demo, outbox, people
from bot.services.acknowledgements import Said, Tally
from bot.services.campaigns import fanout, job
from bot.services.errors import NotFound
from content import broadcasts as words
from tests.services.test_campaign_fanout import _setting, _someone, messengers  # noqa: F401
from tests.services.test_once import Together, _at_once

DAY = datetime(2027, 6, 26, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam: drugs-day/day


async def _day(rt: Runtime, clock: FakeClock, commune_id: int) -> CampaignSend:
    clock.set(DAY)
    await job.run_due(rt, clock.now())
    async with rt.db.reading() as session:
        send = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == commune_id, CampaignSend.on == "2027-06-26",
            CampaignSend.parts == "drugs-day/day"))
        assert send is not None and send.broadcast_id is not None
        return send


async def _delivered(rt: Runtime, broadcast_id: int, *, waiting: str | None = None) -> None:
    """What the delivery worker records: every row sent (one waiting, for Zalo's window)."""
    async with rt.transaction() as session:
        await session.execute(update(OutboxMessage).where(
            OutboxMessage.broadcast_id == broadcast_id).values(
            status=OutboxStatus.SENT, sent_at=rt.clock.now(), payload_enc=None))
        if waiting is not None:
            chat = await _chat(session, rt, "zalo", waiting)
            await session.execute(update(OutboxMessage).where(
                OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.chat_id == chat.id)
                .values(status=OutboxStatus.WAITING))


async def _chat(session: AsyncSession, rt: Runtime, channel: str, external: str) -> Chat:
    chat = await session.scalar(select(Chat).where(
        Chat.chat_ref == people.chat_ref(rt, channel, external)))
    assert chat is not None
    return chat


async def _in_group(session: AsyncSession, rt: Runtime, user: str) -> tuple[Person, Chat]:
    """Someone the bot has never met, in the Telegram group chat of Tổ 1."""
    return await people.touch(session, rt, Incoming(
        channel="telegram", update_key=user, chat_id="-1001", chat_type=ChatType.GROUP,
        user_id=user, kind=InputKind.CHOICE, user_name=user))


async def _private(session: AsyncSession, rt: Runtime, channel: str, user: str
                   ) -> tuple[Person, Chat]:
    return await people.touch(session, rt, Incoming(
        channel=channel, update_key=user, chat_id=user, chat_type=ChatType.PRIVATE,
        user_id=user, kind=InputKind.TEXT, text="đã nhận"))


@pytest.mark.pg
async def test_each_acknowledgement_is_stored_once_and_counted_by_household(
        rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    await _someone(rt, "zalo", "quiet-2", Role.RESIDENT, "DEMO-TO-2")  # no private message
    send = await _day(rt, clock, commune_id)
    data = str(send.broadcast_id)
    async with rt.transaction() as session:  # before delivery: «đã nhận» finds nothing
        person, chat = await _private(session, rt, "zalo", "yes-3")
        assert await acknowledgements.by_words(session, rt.settings, person, chat,
                                               clock.now()) is Said.NOTHING
    await _delivered(rt, send.broadcast_id)
    async with rt.transaction() as session:
        member, group_chat = await _in_group(session, rt, "member-1")
        assert member.household_id is None
        saids = [await acknowledgements.press(session, rt.settings, data, member, group_chat,
                                              clock.now())
                 for _ in range(2)]
        # the same button of another chat: the message never went there
        stranger, own_chat = await _private(session, rt, "telegram", "stranger")
        saids.append(await acknowledgements.press(session, rt.settings, data, stranger,
                                                  own_chat, clock.now()))
        saids += [await acknowledgements.press(session, rt.settings, forged, stranger,
                                               group_chat, clock.now())
                  for forged in ("", "abc", "0", "-1", "9" * 30, str(send.broadcast_id + 1))]
        resident, private = await _private(session, rt, "zalo", "yes-3")  # 1:1
        saids.append(await acknowledgements.by_words(session, rt.settings, resident, private,
                                                     clock.now()))
        relayed, zalo_chat = await _private(session, rt, "zalo", "quiet-2")  # leader's relay
        saids += [await acknowledgements.by_words(session, rt.settings, relayed, zalo_chat,
                                                  clock.now()) for _ in range(2)]
    assert saids == [Said.NEW, Said.REPEAT] + [Said.NOTHING] * 7 + [Said.NEW] * 2 \
        + [Said.REPEAT]
    async with rt.transaction() as session:
        rows = (await session.scalars(select(Acknowledgement).order_by(Acknowledgement.id))
                ).all()
        assert [(r.channel, r.chat_kind, r.broadcast_id) for r in rows] == [
            ("telegram", "group", send.broadcast_id), ("zalo", "private", send.broadcast_id),
            ("zalo", "private", send.broadcast_id)]
        assert await acknowledgements.tally(session, send.broadcast_id) == Tally(0, 3)
        home = await session.scalar(select(Household.id).limit(1))
        for person_id in (rows[1].person_id, rows[2].person_id):  # one household, two people
            (await session.get(Person, person_id)).household_id = home
    async with rt.db.reading() as session:
        assert await acknowledgements.tally(session, send.broadcast_id) == Tally(1, 1)


@pytest.mark.pg
async def test_four_presses_at_once_store_one(rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    send = await _day(rt, clock, commune_id)
    await _delivered(rt, send.broadcast_id)
    async with rt.transaction() as session:
        await _in_group(session, rt, "member-1")

    async def press(session: AsyncSession, _together: Together) -> Said:
        member, chat = await _in_group(session, rt, "member-1")
        return await acknowledgements.press(session, rt.settings, str(send.broadcast_id),
                                            member, chat, clock.now())

    assert Counter(await _at_once(rt, [press] * 4)) == {Said.NEW: 1, Said.REPEAT: 3}
    async with rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Acknowledgement)) == 1


@pytest.mark.pg
async def test_the_report_goes_once_when_all_is_sent_and_lich_shows_fresh_figures(
        rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    chief = await _someone(rt, "telegram", "chief", Role.POLICE_CHIEF, demo.DEMO_COMMUNE)
    stranger = await _someone(rt, "telegram", "leader-1", Role.GROUP_LEADER, "DEMO-TO-1")
    clock.set(DAY)
    async with rt.transaction() as session:
        send = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == commune_id, CampaignSend.on == "2027-06-26",
            CampaignSend.parts == "drugs-day/day"))
        assert send is not None and await fanout.claim(session, send.id)
    original, fanout._finish = fanout._finish, _never  # type: ignore[assignment]
    try:  # the fan-out stops before its end (a crash): not finished, not reported
        await fanout.fan_out(rt, send.id, job.RELAY_CHANNELS)
    finally:
        fanout._finish = original
    async with rt.transaction() as session:
        send = await session.get(CampaignSend, send.id)
        assert send is not None and send.broadcast_id is not None
        broadcast_id = send.broadcast_id
        assert not await broadcast_reports.report_if_done(session, rt, broadcast_id)
    await _delivered(rt, broadcast_id, waiting="yes-3")
    async with rt.transaction() as session:
        assert not await broadcast_reports.report_if_done(session, rt, broadcast_id)
        await session.execute(update(CampaignSend).where(CampaignSend.id == send.id)
                              .values(status=CampaignSendStatus.SENT))

    async def report(session: AsyncSession, _together: Together) -> bool:
        return await broadcast_reports.report_if_done(session, rt, broadcast_id)

    assert Counter(await _at_once(rt, [report] * 3)) == {True: 1, False: 2}
    async with rt.db.reading() as session:
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == chief.private_chat_id))).all()
    assert len(rows) == 1
    assert outbox.open_payload(rt, rows[0]).params["text"] == "\n".join([
        words.REPORT_TITLE.format(title="Tuyên truyền Ngày toàn dân phòng, chống ma túy ngày "
                                        "26/06/2027", number=broadcast_id),
        "• Nhóm chat: đã gửi 1/1 nhóm",
        "• 0/1 tổ trưởng đã chuyển vào nhóm Zalo",
        "• Nhắn riêng: đã gửi 0/1 người" + words.WAITING.format(count=1),
        "• Chưa có ai xác nhận «Nhà tôi đã nhận»",
        words.REPORT_MORE.format(number=broadcast_id)])
    async with rt.transaction() as session:
        member, chat = await _in_group(session, rt, "member-1")
        await acknowledgements.press(session, rt.settings, str(broadcast_id), member, chat,
                                     clock.now())
        await session.execute(update(CampaignRelay).values(confirmed_at=clock.now()))
        chief = await session.get(Person, chief.id)
        shown = await broadcast_reports.status_for(session, rt, chief, broadcast_id,
                                                   clock.now())
        assert shown.splitlines()[1:] == [
            "• Nhóm chat: đã gửi 1/1 nhóm", "• 1/1 tổ trưởng đã chuyển vào nhóm Zalo",
            "• Nhắn riêng: đã gửi 0/1 người" + words.WAITING.format(count=1),
            words.ACKS_PERSONS.format(persons=1)]
        for who, number in ((stranger, broadcast_id), (chief, broadcast_id + 1),
                            (chief, 10**12)):
            with pytest.raises(NotFound) as refused:
                await broadcast_reports.status_for(session, rt, who, number, clock.now())
            assert str(refused.value) == words.STATUS_NOT_FOUND.format(number=number)


async def _never(*_args: object) -> None:
    """A fan-out that never reaches its end."""


async def test_a_commune_admin_reads_the_report_before_its_police_chief(
        rt: Runtime, clock: FakeClock) -> None:
    commune_id = await _setting(rt, clock)
    chief = await _someone(rt, "telegram", "chief", Role.POLICE_CHIEF, demo.DEMO_COMMUNE)
    admin = await _someone(rt, "telegram", "admin", Role.COMMUNE_ADMIN, demo.DEMO_COMMUNE)
    send = await _day(rt, clock, commune_id)
    async with rt.db.reading() as session:
        readers = await broadcast_reports.readers(session, send.broadcast_id, clock.now())
    assert [person.id for person in readers] == [admin.id]
    assert chief.id != admin.id
