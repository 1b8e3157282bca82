"""Tip-off rules at the service level: codes, the lifecycle table, the deadline table with
reminders and escalations, lookups with lock-outs, retention."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.crypto import CROCKFORD
from bot.messages import ChatType, Incoming, InputKind
from bot.models import Evidence, IdentityMode, Person, Role, Tip, TipReporter, TipStatus
from bot.runtime import Runtime
from bot.services import areas, demo, people
from bot.services.errors import NotAllowed
from bot.services.tips import (
    TipProblem,
    actions,
    codes,
    intake,
    lifecycle,
    lookup,
    reminders,
    retention,
)
from bot.services.tips.sealed import Draft
from content import tips as words
from tests.services.conftest import TEXT_CHANNEL

pytestmark = pytest.mark.pg


async def _person(rt: Runtime, name: str) -> Person:
    async with rt.transaction() as session:
        person, _ = await people.touch(session, rt, Incoming(
            channel=TEXT_CHANNEL, update_key=name, chat_id=name, chat_type=ChatType.PRIVATE,
            user_id=name, kind=InputKind.TEXT, user_name=name))
        return person


async def _commune(rt: Runtime, officer: Person | None = None, chief: Person | None = None,
                   remote: bool = False) -> int:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        commune.is_remote = remote
        for person, role in ((officer, Role.POLICE_OFFICER), (chief, Role.POLICE_CHIEF)):
            if person is not None:
                await people.grant_role(session, person, role, commune, now=rt.clock.now(),
                                        granted_by="test")
        return commune.id


async def _submit(rt: Runtime, reporter: Person, area_id: int | None,
                  identity: IdentityMode = IdentityMode.LINKED) -> intake.Submitted:
    async with rt.transaction() as session:
        draft = Draft("drugs", "Có người bán ma túy ở đầu hẻm.", "Hôm qua", identity,
                      incident_area_id=area_id)
        return await intake.submit(session, rt, draft, reporter, reporter.user_ref)


def test_codes_have_fifty_bits_and_read_back_however_typed() -> None:
    code = codes.new_receipt_code()
    assert len(code) == 14 and code.startswith("TB-") and code[8] == "-"
    body = code[3:8] + code[9:]
    assert set(body) <= set(CROCKFORD)
    assert math.log2(len(CROCKFORD)) * len(body) >= 50
    for typed in (code, code.lower(), body, f" {code[3:8]} {code[9:]} ",
                  code.replace("0", "O").replace("1", "I")):
        assert codes.canonical_code(typed) == body
    assert codes.canonical_code("TB-123") is None


@given(st.lists(st.sampled_from(list(lifecycle.TRANSITIONS)), max_size=12))
@settings(max_examples=200)
def test_lifecycle_never_leaves_the_table(actions: list[str]) -> None:
    status = TipStatus.RECEIVED
    for action in actions:
        if lifecycle.allowed(action, status):
            status = lifecycle.next_status(action, status)
        else:
            with pytest.raises(ValueError):
                lifecycle.next_status(action, status)
        assert status in TipStatus
    if status is TipStatus.CLOSED:
        assert set(lifecycle.actions_for(status)) == {"note", "evidence"}


@pytest.mark.parametrize(
    ("status", "remote", "complex_case", "extended", "what", "span"),
    [
        (TipStatus.RECEIVED, False, False, False, "accept", timedelta(hours=2)),
        (TipStatus.ACCEPTED, False, False, False, "forward", timedelta(hours=24)),
        (TipStatus.VERIFYING, True, False, False, "forward", timedelta(hours=48)),
        (TipStatus.HANDLED_HERE, False, False, False, "decide", timedelta(days=20)),
        (TipStatus.HANDLED_HERE, False, True, False, "decide", timedelta(days=60)),
        (TipStatus.HANDLED_HERE, False, False, True, "decide", timedelta(days=80)),
        (TipStatus.FORWARDED, False, False, False, "followup", timedelta(days=20)),
    ],
)
def test_deadline_table(rt: Runtime, status: TipStatus, remote: bool, complex_case: bool,
                        extended: bool, what: str, span: timedelta) -> None:
    now = rt.clock.now()
    tip = Tip(status=status, created_at=now, routed_at=now, forwarded_at=now,
              complex_case=complex_case, extended=extended)
    deadline = lifecycle.deadline_for(tip, rt.settings, remote=remote)
    assert deadline is not None and deadline.what == what and deadline.at == now + span
    assert deadline.escalate is (what != "followup")
    assert lifecycle.deadline_for(Tip(status=TipStatus.CLOSED, created_at=now),
                                      rt.settings, remote=False) is None


async def test_reminder_then_escalation_to_the_chief(rt: Runtime, clock: FakeClock) -> None:
    officer, chief, reporter = [await _person(rt, n) for n in ("o", "c", "r")]
    commune_id = await _commune(rt, officer, chief)
    await _submit(rt, reporter, commune_id)
    async with rt.transaction() as session:
        assert await reminders.due_reminders(session, rt, clock.now()) == []
    clock.advance(timedelta(hours=1, minutes=31))  # 75% of the 2 hours to accept
    async with rt.transaction() as session:
        [reminder] = await reminders.due_reminders(session, rt, clock.now())
        assert {p.id for p in reminder.to} == {officer.id, chief.id}
        assert reminder.text.startswith("⏰ Đồng chí lưu ý: tin #1 (Ma túy) cần tiếp nhận")
    clock.advance(timedelta(minutes=30))
    async with rt.transaction() as session:
        [escalation] = await reminders.due_reminders(session, rt, clock.now())
        assert [p.id for p in escalation.to] == [chief.id]
        assert escalation.text.startswith("🚨 Tin #1 (Ma túy) đã quá hạn tiếp nhận")
        assert (await session.get(Tip, 1)).overdue
    clock.advance(timedelta(days=3))
    async with rt.transaction() as session:
        assert await reminders.due_reminders(session, rt, clock.now()) == []  # told once


async def test_acting_moves_the_deadline(rt: Runtime, clock: FakeClock) -> None:
    officer, chief, reporter = [await _person(rt, n) for n in ("o", "c", "r")]
    commune_id = await _commune(rt, officer, chief, remote=True)
    await _submit(rt, reporter, commune_id)
    async with rt.transaction() as session:
        tip = await session.get(Tip, 1)
        await actions.act(session, rt, tip.id, officer, "accept")
        assert tip.deadline_at == tip.created_at + timedelta(hours=48)
        with pytest.raises(NotAllowed, match="lãnh đạo"):
            await actions.act(session, rt, tip.id, officer, "here", assignee_id=officer.id)
        await actions.act(session, rt, tip.id, chief, "here", assignee_id=officer.id,
                          complex_case=True)
        assert tip.deadline_at == tip.created_at + timedelta(days=60)
        await actions.act(session, rt, tip.id, officer, "extend", basis="complex")
        assert tip.deadline_at == tip.created_at + timedelta(days=120)
        with pytest.raises(TipProblem, match="một lần"):
            await actions.act(session, rt, tip.id, officer, "extend", basis="complex")
        await actions.act(session, rt, tip.id, officer, "close", outcome="administrative")
        assert tip.status == TipStatus.CLOSED and tip.deadline_at is None


async def test_only_the_communes_police_may_act(rt: Runtime) -> None:
    officer, reporter, stranger = [await _person(rt, n) for n in ("o", "r", "s")]
    commune_id = await _commune(rt, officer)
    await _submit(rt, reporter, commune_id)
    async with rt.transaction() as session:
        village = await areas.by_code(session, "DEMO-THON-DONG")
        await people.grant_role(session, stranger, Role.POLICE_OFFICER, village,
                                now=rt.clock.now(), granted_by="test")
        tip = await session.get(Tip, 1)
        for person in (stranger, reporter):
            with pytest.raises(NotAllowed, match="không có quyền"):
                await actions.act(session, rt, tip.id, person, "accept")
        assert tip.status == TipStatus.RECEIVED


async def test_lookup_own_tip_and_lockouts(rt: Runtime, clock: FakeClock) -> None:
    reporter, other = await _person(rt, "r"), await _person(rt, "x")
    commune_id = await _commune(rt, await _person(rt, "o"))
    linked = await _submit(rt, reporter, commune_id)
    anonymous = await _submit(rt, reporter, commune_id, IdentityMode.ANONYMOUS)
    async with rt.transaction() as session:
        assert (await lookup.lookup(session, rt, linked.code, reporter)).tip is not None
        # someone else with the code is asked for a PIN, like for an unknown code
        assert (await lookup.lookup(session, rt, linked.code, other)).needs_pin
        assert (await lookup.lookup(session, rt, "TB-ZZZZZ-ZZZZZ", other)).needs_pin
        assert (await lookup.lookup(session, rt, anonymous.code, reporter)).needs_pin
        found = await lookup.lookup(session, rt, anonymous.code, other, anonymous.pin)
        assert found.tip is not None and found.tip.id == anonymous.tip.id
        for _ in range(5):
            wrong = await lookup.lookup(session, rt, anonymous.code, other, "000000")
            assert wrong.problem == words.NOT_FOUND
        locked = await lookup.lookup(session, rt, anonymous.code, reporter, anonymous.pin)
        assert locked.problem == words.LOCKED.format(minutes=30)
    clock.advance(timedelta(minutes=31))
    async with rt.transaction() as session:
        found = await lookup.lookup(session, rt, anonymous.code, reporter, anonymous.pin)
        assert found.tip is not None


async def test_account_guard_and_pacing_under_pressure(rt: Runtime, clock: FakeClock) -> None:
    guesser = await _person(rt, "g")
    async with rt.transaction() as session:
        for attempt in range(10):
            result = await lookup.lookup(session, rt, f"TB-AAAAA-{attempt:05d}", guesser,
                                       "123456")
            assert result.problem == words.NOT_FOUND
        result = await lookup.lookup(session, rt, "TB-BBBBB-BBBBB", guesser, "123456")
        assert result.problem == words.LOCKED.format(minutes=30)
    # ten wrong guesses this hour: above 3 the whole system is under pressure, and then an
    # account may guess once a minute — slowed, never stopped
    rt.settings.lookup_failures_global_per_hour = 3
    another = await _person(rt, "h")
    slow_down = words.SLOW_DOWN.format(wait="1 phút")
    async with rt.transaction() as session:
        result = await lookup.lookup(session, rt, "TB-CCCCC-CCCCC", another, "1")
        assert result.problem == words.NOT_FOUND
        result = await lookup.lookup(session, rt, "TB-CCCCC-CCCCD", another, "1")
        assert (result.problem, result.again) == (slow_down, True)
    clock.advance(timedelta(minutes=1))
    async with rt.transaction() as session:
        result = await lookup.lookup(session, rt, "TB-CCCCC-CCCCD", another, "1")
        assert result.problem == words.NOT_FOUND


async def test_retention_deletes_content_and_keeps_counts(rt: Runtime, clock: FakeClock) -> None:
    officer, reporter = await _person(rt, "o"), await _person(rt, "r")
    commune_id = await _commune(rt, officer)
    await _submit(rt, reporter, commune_id)
    async with rt.transaction() as session:
        session.add(Evidence(tip_id=1, owner_ref="x", kind="photo", size=3, meta_enc=b"m",
                             data_enc=b"abc", created_at=clock.now()))
        tip = await session.get(Tip, 1)
        await actions.act(session, rt, tip.id, officer, "accept")
        await actions.act(session, rt, tip.id, officer, "close", outcome="unfounded")
    clock.advance(timedelta(days=30 * 35))
    async with rt.transaction() as session:
        assert await retention.purge_closed(session, rt, clock.now()) == 0
    clock.advance(timedelta(days=60))
    async with rt.transaction() as session:
        assert await retention.purge_closed(session, rt, clock.now()) == 1
    async with rt.db.reading() as session:
        tip = await session.get(Tip, 1)
        assert tip.content_enc is None and tip.content_purged_at is not None
        assert tip.category == "drugs" and tip.outcome == "unfounded"
        assert await session.get(TipReporter, 1) is None
        assert await session.scalar(select(func.count()).select_from(Evidence)) == 0
