"""Zalo's 48-hour window, enforced by the sandbox on the fake clock: a message to someone silent
for longer waits (not failed, never retried) and goes, oldest first, when they next write; an
officer's card nobody of the commune could receive goes to the chief, then to the dispatcher,
with the reason; `binhyen outbox status` shows what waits. (Officers are told to write daily:
tests/e2e/test_tips_police.py, on every messenger.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Lane, OutboxMessage, OutboxStatus, Person, Role, TipCard
from bot.services import areas, demo, outbox, people
from content import start
from content import tips as words
from tests.e2e.test_tips_police import revoke
from tests.e2e.tipkit import DESCRIPTION, enrol, events, file_report, police, the_tip
from tests.harness import CHIEF, OFFICER, OFFICER_OTHER, RESIDENT, Harness, User

DISPATCHER = User(9001, "Điều", "Phối")
SILENT = timedelta(hours=49)


@pytest.fixture
def channel() -> str:
    return "zalo-window"


async def rows(h: Harness, user: User) -> list[OutboxMessage]:
    """The outbox rows left in a user's private chat, oldest first."""
    rt = h.app.rt
    async with rt.db.reading() as session:
        person = (await session.scalars(select(Person).where(Person.user_ref == people.user_ref(
            rt, "zalo", str(user.id))))).one()
        return list((await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == person.private_chat_id).order_by(OutboxMessage.id))).all())


async def wait_long(h: Harness, *speakers: User) -> None:
    """49 hours pass; then only `speakers` write (and so are reachable again)."""
    h.clock.advance(SILENT)
    for user in speakers:
        await h.say(user, "xin chào")
        await h.seen(user)


@pytest.mark.pg
async def test_a_silent_officer_gets_the_waiting_cards_oldest_first_when_they_write(
        harness: Harness) -> None:
    h = harness
    await police(h)
    await wait_long(h, CHIEF)
    await file_report(h, RESIDENT)
    await file_report(h, RESIDENT, description="Có người lạ cạy cửa kho hàng lúc nửa đêm.")
    await h.settle(horizon=timedelta(hours=2))  # long enough for any retry to have happened
    assert await h.seen(OFFICER) == []
    waiting = await rows(h, OFFICER)
    assert [r.status for r in waiting] == [OutboxStatus.WAITING] * 2
    assert all(r.payload_enc is not None for r in waiting)  # kept, to go later
    # one attempt each, and none repeated: a refusal for silence is not a platform failure
    assert (await h.window_refusals()) == {str(OFFICER.id): 2}
    assert h.app.workers[0].stats["failed"] == 0
    async with h.app.rt.db.reading() as session:
        report = await outbox.status(session, h.clock.now())
    [lane] = [lane for lane in report.lanes if lane.lane == Lane.INTERACTIVE]
    assert (lane.waiting, lane.queued, lane.failed_24h) == (2, 0, 0)

    await h.say(OFFICER, "xin chào")
    first, second, reply = await h.seen(OFFICER)
    assert first.startswith("📥 Tin báo #1") and DESCRIPTION in first
    assert second.startswith("📥 Tin báo #2") and "cạy cửa kho hàng" in second
    assert reply.startswith(start.WELCOME)  # a greeting gets one back, with the menu
    assert [r.status for r in await rows(h, OFFICER)] == [OutboxStatus.SENT] * 2  # cards
    assert (await h.window_refusals()) == {str(OFFICER.id): 2}


async def test_a_card_no_officer_could_receive_goes_to_the_chief_with_the_reason(
        harness: Harness) -> None:
    h = harness
    await police(h)
    await enrol(h, DISPATCHER, Role.DISPATCHER, "DEMO-TINH")
    await wait_long(h, CHIEF, DISPATCHER)
    await file_report(h, RESIDENT)
    card, escalated = await h.seen(CHIEF)
    assert card.startswith("📥 Tin báo #1")
    assert escalated.startswith("⚠️ Chưa cán bộ nào của Công an xã Bình Yên nhận được phiếu "
                                "tin báo #1: Zalo chỉ cho Bình Yên nhắn tới người đã nhắn cho "
                                "Bình Yên trong 48 giờ qua.")
    assert DESCRIPTION in escalated and "tiepnhan 1" in escalated
    assert await h.seen(DISPATCHER) == []  # the chief has it: no need to go further
    assert "unreachable_chief" in [e.kind for e in await events(h)]
    await h.say(OFFICER, "xin chào")  # the officer's own card still comes
    assert (await h.seen(OFFICER))[0].startswith("📥 Tin báo #1")


@pytest.mark.pg
async def test_with_the_chief_silent_too_the_dispatcher_gets_it(harness: Harness) -> None:
    h = harness
    await police(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER)
    await enrol(h, DISPATCHER, Role.DISPATCHER, "DEMO-TINH")
    async with h.app.rt.transaction() as session:
        (await areas.by_code(session, demo.DEMO_COMMUNE)).police_phone = "0290 3812 345"
    await wait_long(h, DISPATCHER)
    await file_report(h, RESIDENT)
    await h.settle(horizon=timedelta(hours=2))
    [told] = await h.seen(DISPATCHER)
    assert told.startswith("⚠️ Không đồng chí nào của Công an xã Bình Yên, kể cả lãnh đạo, "
                           "nhận được phiếu tin báo #1: Zalo chỉ cho Bình Yên nhắn tới")
    assert "(số 0290 3812 345)" in told and DESCRIPTION in told
    assert "tiepnhan" not in told  # to read and to phone the commune: the tip stays theirs
    assert [e.kind for e in await events(h)][-2:] == ["unreachable_chief",
                                                       "unreachable_dispatcher"]
    tip = await the_tip(h)
    assert tip.commune_id is not None and not tip.routed_to_fallback
    for user in (OFFICER, OFFICER_OTHER, CHIEF):
        assert await h.seen(user) == []
        assert {r.status for r in await rows(h, user)} == {OutboxStatus.WAITING}
    refused = await h.window_refusals()
    assert set(refused) == {str(OFFICER.id), str(OFFICER_OTHER.id), str(CHIEF.id)}
    assert refused[str(OFFICER.id)] == refused[str(OFFICER_OTHER.id)] == 1
    # the chief is written to twice at most: their card, and the copy if it went first
    assert refused[str(CHIEF.id)] <= 2
    # an officer who writes gets the card as ever, and nobody is told again
    await h.say(OFFICER, "xin chào")
    assert (await h.seen(OFFICER))[0].startswith("📥 Tin báo #1")
    assert await h.seen(DISPATCHER) == []


async def test_a_reporter_s_status_notice_waits_for_them(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.seen(RESIDENT)
    await wait_long(h, OFFICER)
    await h.act(OFFICER, 1, "Tiếp nhận")
    assert await h.seen(RESIDENT) == []
    [notice] = await rows(h, RESIDENT)
    assert notice.status == OutboxStatus.WAITING
    await h.say(RESIDENT, "xin chào")
    told, reply = await h.seen(RESIDENT)
    assert told.startswith("🔔 Tin báo bạn gửi lúc") and "Đang được xử lý" in told
    assert reply.startswith(start.WELCOME)  # a greeting gets one back, with the menu
    assert await rows(h, RESIDENT) == []  # delivered: nothing left of it


async def test_a_deadline_reminder_waits_for_the_officer(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "tiepnhan 1")
    await h.act(CHIEF, 1, "Giải quyết tại xã")
    await h.choose(CHIEF, "Trần Thị Bình")
    await h.choose(CHIEF, words.COMPLEX_NO)
    for user in (OFFICER, CHIEF):
        await h.seen(user)
    tip = await the_tip(h)
    h.clock.advance(tip.created_at + timedelta(days=15, minutes=1) - h.clock.now())
    await h.app.ticker.tick()
    await h.settle()
    assert await h.seen(OFFICER) == []
    assert [r.status for r in await rows(h, OFFICER)][-1] == OutboxStatus.WAITING
    await h.say(OFFICER, "xin chào")
    reminder, reply = await h.seen(OFFICER)
    assert reminder.startswith("⏰ Đồng chí lưu ý: tin #1 (Ma túy) cần giải quyết")
    assert reply.startswith(start.WELCOME)  # a greeting gets one back, with the menu


async def test_a_waiting_card_never_reaches_an_officer_whose_role_was_revoked(
        harness: Harness) -> None:
    h = harness
    await police(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER)
    await wait_long(h, OFFICER, CHIEF)
    await file_report(h, RESIDENT)
    assert {r.status for r in await rows(h, OFFICER_OTHER)} == {OutboxStatus.WAITING}
    await revoke(h, OFFICER_OTHER)
    await h.say(OFFICER_OTHER, "xin chào")
    [reply] = await h.seen(OFFICER_OTHER)
    assert reply.startswith(start.WELCOME)
    async with h.app.rt.db.reading() as session:
        withdrawn = (await session.scalars(select(TipCard).where(
            TipCard.withdrawn.is_(True)))).all()
    assert len(withdrawn) == 1
