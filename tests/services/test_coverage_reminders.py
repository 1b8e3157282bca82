"""The reminder a month before the six-month report's deadline (15/06/2026 by default), on the
fake clock: nothing the day before, nor in a commune where nothing was reached yet; once
something is, the leader of a group in the village below target gets its numbers (the
village's, and their group's), the leader in the village that met it nothing, the commune's
admin the list; once only, the next days too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind
from bot.models import Area, Chat, CoverageReminder, Household, OutboxMessage, ReachSource, Role
from bot.runtime import Runtime
from bot.services import areas, demo, outbox, people
from bot.services.coverage import periods, reach, reminders
from content import coverage as words
from scheduler.jobs import DUE_JOBS
from tests.services.test_campaign_fanout import messengers  # noqa: F401


async def _person(rt: Runtime, user: str, role: Role, area: str) -> None:
    async with rt.transaction() as session:
        person, _ = await people.touch(session, rt, Incoming(
            channel="telegram", update_key=user, chat_id=user, chat_type=ChatType.PRIVATE,
            user_id=user, kind=InputKind.TEXT, user_name=user))
        await people.grant_role(session, person, role, await areas.by_code(session, area),
                                now=rt.clock.now(), granted_by="test")


async def _reach(rt: Runtime, group: str, count: int) -> None:
    async with rt.transaction() as session:
        area = await areas.by_code(session, group)
        households = (await session.scalars(select(Household).where(
            Household.area_id == area.id).order_by(Household.id).limit(count))).all()
        await reach.mark_many(session, rt.settings, [
            (h.id, area.id, date(2026, 3, 1), ReachSource.ACTIVITY) for h in households])


async def _said(rt: Runtime) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with rt.db.reading() as session:
        rows = (await session.execute(
            select(OutboxMessage, Chat).join(Chat, Chat.id == OutboxMessage.chat_id)
            .order_by(OutboxMessage.id))).all()
    for row, chat in rows:
        found.setdefault(rt.keyring.decrypt_text(chat.external_id_enc, "chat.external_id"),
                         []).append(outbox.open_payload(rt, row).params["text"])
    return found


@pytest.mark.pg
async def test_villages_below_target_are_reminded_once(rt: Runtime, clock: FakeClock) -> None:
    assert DUE_JOBS["coverage_reminders"] is reminders.run_due
    clock.set(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
    await _person(rt, "east-1", Role.GROUP_LEADER, "DEMO-TO-1")
    await _person(rt, "west-3", Role.GROUP_LEADER, "DEMO-TO-3")
    await _person(rt, "admin", Role.COMMUNE_ADMIN, demo.DEMO_COMMUNE)
    half = periods.parse(rt.settings, "2026H1")
    assert [reminders.due(rt, date(2026, 5, day)) for day in (14, 15, 31)] == [
        [], [(half, date(2026, 6, 15))], [(half, date(2026, 6, 15))]]
    assert reminders.due(rt, date(2026, 6, 15)) == []  # the deadline itself: too late
    assert reminders.due(rt, date(2026, 11, 15))[0][0].key == "2026"  # the annual report
    clock.set(datetime(2026, 5, 15, 2, 0, tzinfo=UTC))  # a month before, but nothing measured
    await reminders.run_due(rt, clock.now())
    # Thôn Đông (Tổ 1: 42, Tổ 2: 35 households): 70/77 reached, met;
    # Thôn Tây (Tổ 3: 51, Tổ 4: 38): 40/89, below 75% (67 needed, 27 to go)
    await _reach(rt, "DEMO-TO-1", 42)
    await _reach(rt, "DEMO-TO-2", 28)
    await _reach(rt, "DEMO-TO-3", 30)
    await _reach(rt, "DEMO-TO-4", 10)
    await reminders.run_due(rt, clock.now())  # done for today
    assert await _said(rt) == {}
    clock.set(datetime(2026, 5, 16, 2, 0, tzinfo=UTC))
    await reminders.run_due(rt, clock.now())
    head = {"period": "6 tháng đầu năm 2026", "deadline": "15/06/2026", "target": "75"}
    village = words.REMINDER_VILLAGE.format(village="Thôn Tây", reached=40, households=89,
                                            percent=44, to_go=27, target="75")
    assert await _said(rt) == {
        "west-3": [words.REMINDER_LEADER.format(**head, lines="\n".join([
            village, words.REMINDER_GROUP.format(group="Tổ dân cư số 3", reached=30,
                                                 households=51, percent=58)]))],
        "admin": [words.REMINDER_ADMIN.format(**head, lines=village)]}
    for later in (timedelta(hours=1), timedelta(days=1), timedelta(days=20)):
        clock.set(datetime(2026, 5, 16, 2, 0, tzinfo=UTC) + later)
        await reminders.run_due(rt, clock.now())
    assert sum(len(texts) for texts in (await _said(rt)).values()) == 2
    async with rt.db.reading() as session:
        taken = (await session.execute(select(CoverageReminder.area_id, CoverageReminder.period)
                                       .order_by(CoverageReminder.area_id))).all()
        codes = [(await session.get_one(Area, area_id)).code for area_id, _ in taken]
    assert (codes, {period for _, period in taken}) == (["DEMO-XA", "DEMO-THON-TAY"],
                                                        {"2026H1"})
