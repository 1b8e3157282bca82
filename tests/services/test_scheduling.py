"""Leases, the tick, broadcasts written as outbox rows, and scheduled messages with grace."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind, Outgoing
from bot.models import (
    Chat,
    ChatKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    ScheduledMessage,
    ScheduledStatus,
)
from bot.runtime import Runtime
from bot.services import broadcast_reports, broadcasts, outbox, people, scheduled_broadcasts
from scheduler.jobs import DUE_JOBS
from scheduler.lease import LeaseKeeper
from scheduler.tick import Ticker
from tests.services.conftest import TEXT_CHANNEL

pytestmark = pytest.mark.pg


async def _groups(rt: Runtime, count: int) -> list[Chat]:
    async with rt.transaction() as session:
        return [await people.ensure_chat(session, rt, TEXT_CHANNEL, f"g{i}", ChatKind.GROUP,
                                         f"Tổ {i}") for i in range(count)]


async def _author(rt: Runtime) -> Person:
    async with rt.transaction() as session:
        person, _ = await people.touch(session, rt, Incoming(
            channel=TEXT_CHANNEL, update_key="a", chat_id="leader", chat_type=ChatType.PRIVATE,
            user_id="leader", kind=InputKind.TEXT))
        return person


async def test_one_holder_at_a_time_and_takeover_after_expiry(rt: Runtime,
                                                              clock: FakeClock) -> None:
    ttl = timedelta(seconds=10)
    first, second = LeaseKeeper(rt, "x", ttl, "A"), LeaseKeeper(rt, "x", ttl, "B")
    grant = await first.acquire()
    assert grant is not None and grant.epoch == 1
    assert await second.acquire() is None
    clock.advance(5)
    assert (await first.acquire()).epoch == 1  # renewal keeps the epoch
    clock.advance(9)
    assert await second.acquire() is None  # renewed 9 s ago: still A's
    clock.advance(2)
    taken = await second.acquire()
    assert taken is not None and taken.epoch == 2 and taken.took_over_from == 1
    assert await first.acquire() is None  # A lost it and learns so
    async with rt.transaction() as session:
        assert not await first.fence(session)
        assert await second.fence(session)


async def test_tick_runs_jobs_only_in_the_lease_holder(rt: Runtime, clock: FakeClock) -> None:
    calls: list[str] = []

    async def job(_rt: Runtime, _now: object) -> None:
        calls.append("ran")

    one, two = Ticker(rt, {"job": job}, holder="one"), Ticker(rt, {"job": job}, holder="two")
    assert await one.tick() and not await two.tick()
    assert calls == ["ran"]
    clock.advance(rt.settings.lease_ttl_seconds + 1)
    assert await two.tick() and not await one.tick()
    assert calls == ["ran", "ran"]


async def test_broadcast_writes_one_row_per_chat_and_reports(rt: Runtime) -> None:
    chats = await _groups(rt, 5)
    author = await _author(rt)
    async with rt.transaction() as session:
        record = await broadcasts.broadcast(session, rt, Outgoing("Kính gửi bà con…"),
                                            chats + chats[:2], author, label="Thử")
    async with rt.db.reading() as session:
        state = (await broadcast_reports.figures(session, record.id)).groups
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.broadcast_id == record.id))).all()
    assert state.total == 5 and state.pending == 5
    assert len(rows) == 5 and {r.chat_id for r in rows} == {c.id for c in chats}
    async with rt.transaction() as session:
        for row in (await session.scalars(select(OutboxMessage).where(
                OutboxMessage.broadcast_id == record.id))).all():
            if row.chat_id == chats[0].id:
                row.status, row.error = OutboxStatus.FAILED, "chat inactive: bot was kicked"
            else:
                row.status = OutboxStatus.SENT
        assert await broadcast_reports.report_if_done(session, rt, record.id)
        assert not await broadcast_reports.report_if_done(session, rt, record.id)
        reports = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == author.private_chat_id))).all()
    assert len(reports) == 1
    text = outbox.open_payload(rt, reports[0]).params["text"]
    assert text.splitlines()[:2] == [f"📊 Đã gửi xong «Thử» (tin số {record.id}):",
                                     "• Nhóm chat: đã gửi 4/5 nhóm, 1 nhóm lỗi: Tổ 0 "
                                     "(Bình Yên không còn ở trong nhóm)"]


async def test_scheduled_message_sent_when_due_within_grace(rt: Runtime,
                                                            clock: FakeClock) -> None:
    chats = await _groups(rt, 3)
    async with rt.transaction() as session:
        item = await scheduled_broadcasts.broadcast_later(session, rt, Outgoing("Ngày 26/6"), chats, None,
                                       clock.now() + timedelta(hours=1), label="Ma túy")
    ticker = Ticker(rt, DUE_JOBS)
    await ticker.tick()
    async with rt.db.reading() as session:
        assert (await session.get(ScheduledMessage, item.id)).status == ScheduledStatus.SCHEDULED
    clock.advance(timedelta(hours=1, minutes=30))  # down for half an hour past due: in grace
    await ticker.tick()
    async with rt.db.reading() as session:
        sent = await session.get(ScheduledMessage, item.id)
        assert sent.status == ScheduledStatus.SENT and sent.broadcast_id is not None
        count = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.broadcast_id == sent.broadcast_id))
    assert count == 3
    await ticker.tick()  # never twice
    async with rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


async def test_scheduled_message_missed_beyond_grace_is_reported(rt: Runtime,
                                                                 clock: FakeClock) -> None:
    chats = await _groups(rt, 2)
    author = await _author(rt)
    due = clock.now() + timedelta(minutes=10)
    async with rt.transaction() as session:
        item = await scheduled_broadcasts.broadcast_later(session, rt, Outgoing("Tin"), chats, author, due,
                                       label="Ngày hội 19/8")
    clock.advance(timedelta(hours=3))
    await Ticker(rt, DUE_JOBS).tick()
    async with rt.db.reading() as session:
        missed = await session.get(ScheduledMessage, item.id)
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert missed.status == ScheduledStatus.MISSED
    assert len(rows) == 1 and rows[0].chat_id == author.private_chat_id
    text = outbox.open_payload(rt, rows[0]).params["text"]
    assert "«Ngày hội 19/8»" in text and "trễ hơn 1 giờ" in text
    assert json.loads(missed.chat_ids) == sorted(c.id for c in chats)


async def test_outbox_status_counts_lanes_ages_and_failures(rt: Runtime,
                                                           clock: FakeClock) -> None:
    chats = await _groups(rt, 3)
    async with rt.transaction() as session:
        await broadcasts.broadcast(session, rt, Outgoing("Tin"), chats, None, label="x")
        await outbox.enqueue(session, rt, chats[0], Outgoing("Trả lời"))
    async with rt.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        rows[0].status, rows[0].error = OutboxStatus.FAILED, "rejected: chat not found"
        rows[1].status = OutboxStatus.IN_FLIGHT
    clock.advance(90)
    async with rt.db.reading() as session:
        report = await outbox.status(session, clock.now())
    lanes = {lane.lane: lane for lane in report.lanes}
    assert lanes["broadcast"].queued == 1 and lanes["broadcast"].in_flight == 1
    assert lanes["broadcast"].failed_24h == 1 and lanes["interactive"].queued == 1
    assert lanes["broadcast"].oldest_age_s == 90
    assert report.failure_reasons == [("rejected: chat not found", 1)]
