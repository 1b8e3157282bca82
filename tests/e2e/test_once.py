"""One-time means one time, end to end: several people act at the same moment through the
sandbox and the inbox processor handles them in parallel (on PostgreSQL, one transaction per
update, `BINHYEN_WORKERS` of them at once); evidence links opened at once over real HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.models import InboxStatus, InboxUpdate, Role, RoleGrant
from bot.services import areas, demo, people
from content import people as people_words
from content import start
from content import tips as words
from tests.conftest import every_channel
from tests.e2e.test_tips_evidence import zalo_with_links  # noqa: F401  (a fixture)
from tests.e2e.tipkit import enrol, events, file_report, police
from tests.harness import (
    CHIEF,
    OFFICER,
    OFFICER_OTHER,
    RESIDENT,
    RESIDENT_2,
    Harness,
    User,
)

BLOCKER = User(7301, "Chờ", "Người")


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As many updates handled at once as the races below have people (BINHYEN_WORKERS)."""
    settings.workers = 12
    return settings


@asynccontextmanager
async def one_batch(h: Harness, racers: int) -> AsyncIterator[None]:
    """Make the next `racers` updates wait in the inbox and then be handled in one batch, in
    parallel: a blocker's update is held in its handling (its reply cannot enter the outbox
    while this test holds a SHARE lock on that table, on a connection of its own) while the
    racers' updates are stored; then the lock is let go, the blocker's turn ends and the
    next turn takes every racer at once. Without this the first update would often be
    handled before the others arrive.

    On SQLite there is nothing to race (one writer; a batch is handled in one transaction,
    update after update): the updates are just sent, and the answers must be as right."""
    rt = h.app.rt
    if rt.db.is_sqlite:
        yield
        await h.settle()
        return
    async with rt.db.writer.connect() as holder:
        await holder.execute(text("LOCK TABLE outbox IN SHARE MODE"))
        await h.send(BLOCKER, "/hotline", settle=False)
        await _pending(h, 1)
        yield
        await _pending(h, 1 + racers)
        await holder.commit()
    await h.settle()


async def _pending(h: Harness, count: int) -> None:
    """Wait until `count` updates are stored and not yet handled (the poller stores them)."""
    for _ in range(500):
        async with h.app.rt.db.reading() as session:
            waiting = await session.scalar(select(func.count()).select_from(InboxUpdate).where(
                InboxUpdate.status == InboxStatus.PENDING))
        if waiting == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{waiting} updates waiting, not {count}")


async def failed_updates(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.FAILED)) or 0)


@pytest.mark.pg
async def test_one_invite_pasted_by_four_people_at_once_grants_one_role(
        harness: Harness) -> None:
    h = harness
    async with h.app.rt.transaction() as session:
        await demo.seed_demo(session, h.app.rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        _, token = await people.create_invite(session, h.app.rt, role=Role.POLICE_OFFICER,
                                              area=commune, created_by="test")
    claimants = [OFFICER, OFFICER_OTHER, RESIDENT, RESIDENT_2]
    await h.send(BLOCKER, "/start")  # known before the race
    async with one_batch(h, len(claimants)):
        for user in claimants:
            await h.send(user, f"/start {token}", settle=False)
    welcome = start.INVITE_OK.format(role="cán bộ Công an xã", area="Xã Bình Yên")
    # the first paragraph: on Zalo a note on its contact window follows the welcome
    replies = Counter([(await h.last_text(user)).split("\n\n")[0] for user in claimants])
    assert replies == {welcome: 1, people_words.INVITE_USED: 3}
    async with h.app.rt.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 1
    assert await failed_updates(h) == 0


@pytest.mark.pg
async def test_two_officers_accepting_at_once_one_wins_and_the_reporter_hears_once(
        harness: Harness) -> None:
    h = harness
    await police(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER)
    await file_report(h, RESIDENT)
    officers = [OFFICER, OFFICER_OTHER, CHIEF]
    await h.send(BLOCKER, "/start")
    for user in (RESIDENT, *officers):
        await h.seen(user)
    async with one_batch(h, len(officers)):
        for officer in officers:
            if h.zalo:
                await h.say(officer, "tiepnhan 1", settle=False)
            else:
                card = next(m for m in await h.bot_messages(officer.id)
                            if m["text"].startswith("📥 Tin báo #1"))
                await h.press(officer, data="t|1.accept", message_id=card["message_id"],
                              force=True, settle=False)
    assert [e.kind for e in await events(h)].count("accept") == 1
    notices = [t for t in await h.seen(RESIDENT) if t.startswith("🔔")]
    assert len(notices) == 1 and "Đang được xử lý" in notices[0]
    changed = words.TIP_CHANGED.format(ref=1, status="Đã tiếp nhận", action="Tiếp nhận")
    not_now = words.NOT_ALLOWED_NOW.format(ref=1, status="Đã tiếp nhận", action="Tiếp nhận")
    refused = 0
    for officer in officers:
        said = await h.seen(officer)
        refused += any(text in (changed, not_now) for text in said)
    assert refused == len(officers) - 1
    assert await failed_updates(h) == 0


@pytest.mark.pg
async def test_an_evidence_link_opened_six_times_at_once_is_served_once(
        zalo_with_links: tuple[Harness, str]) -> None:  # noqa: F811
    h, _public = zalo_with_links
    await police(h)
    await file_report(h, RESIDENT, photos=1)
    await h.say(OFFICER, "bangchung 1")
    link = (await h.last_text(OFFICER)).split(": ")[-1]

    async def open_link(http: aiohttp.ClientSession) -> int:
        async with http.get(link) as response:
            await response.read()
            return response.status

    async with aiohttp.ClientSession() as http:
        statuses = await asyncio.gather(*(open_link(http) for _ in range(6)))
    assert Counter(statuses) == {200: 1, 410: 5}
    assert [e.kind for e in await events(h)].count("evidence") == 1



@pytest.mark.pg
async def test_wrong_pins_sent_at_once_on_one_code_are_judged_five_times_at_most(
        harness: Harness) -> None:
    h = harness
    await police(h)
    receipt = await file_report(h, RESIDENT, identity="Giấu tên tuyệt đối")
    assert receipt.pin is not None
    wrong = "000000" if receipt.pin != "000000" else "111111"
    first, *guessers = [User(7400 + i, f"Đoán {i}", "Người") for i in range(11)]
    await h.send(BLOCKER, "/start")
    await h.say(first, f"/tracuu {receipt.code}")  # one wrong guess first: the counters
    await h.say(first, wrong)                       # exist, the race is on counting
    for guesser in guessers:
        await h.say(guesser, f"/tracuu {receipt.code}")
        assert await h.last_text(guesser) == words.ASK_PIN
    async with one_batch(h, len(guessers)):
        for guesser in guessers:
            await h.say(guesser, wrong, settle=False)
    replies = Counter([await h.last_text(guesser) for guesser in guessers])
    assert replies == {words.NOT_FOUND: 4, words.LOCKED.format(minutes=30): 6}
    assert await failed_updates(h) == 0


@pytest.mark.pg
async def test_an_accept_that_failed_and_was_retried_is_not_a_second_accept(
        harness: Harness) -> None:
    """The first accept to be written fails once (a driver error, as a lost connection or a
    serialization failure would be), so its update is retried, after the other officer's
    accept has gone through: the retry finds the tip accepted and says so."""
    h = harness
    await police(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER)
    await file_report(h, RESIDENT)
    await h.send(BLOCKER, "/start")
    for user in (RESIDENT, OFFICER, OFFICER_OTHER):
        await h.seen(user)
    failed: list[str] = []

    def fail_first_accept(_conn: Any, _cursor: Any, statement: str, parameters: Any,
                          _context: Any, _many: bool) -> None:
        if not failed and statement.startswith("INSERT INTO tip_events") and (
                "accept" in str(parameters)):
            failed.append(statement)
            raise OperationalError(statement, parameters, Exception("injected: connection lost"))

    engine = h.app.rt.db.writer.sync_engine
    event.listen(engine, "before_cursor_execute", fail_first_accept)
    try:
        async with one_batch(h, 2):
            for officer in (OFFICER, OFFICER_OTHER):
                await h.say(officer, "tiepnhan 1", settle=False)
    finally:
        event.remove(engine, "before_cursor_execute", fail_first_accept)
    assert failed  # the fault did strike
    assert [e.kind for e in await events(h)].count("accept") == 1
    assert len([t for t in await h.seen(RESIDENT) if t.startswith("🔔")]) == 1
    said = [await h.seen(officer) for officer in (OFFICER, OFFICER_OTHER)]
    refusals = (words.NOT_ALLOWED_NOW.format(ref=1, status="Đã tiếp nhận", action="Tiếp nhận"),
                words.TIP_CHANGED.format(ref=1, status="Đã tiếp nhận", action="Tiếp nhận"))
    assert sorted(any(r in texts for r in refusals) for texts in said) == [False, True]
    assert await failed_updates(h) == 0


async def test_an_action_begun_before_another_officer_closed_the_tip_is_told_so(
        harness: Harness) -> None:
    """A multi-step action remembers the version of the tip it began on: when another
    officer closes the tip meanwhile, the last step hears so and the action ends."""
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "tiepnhan 1")
    await h.say(OFFICER, "ketthuc 1")
    await h.say(CHIEF, "ketthuc 1")
    await h.choose(CHIEF, words.OUTCOMES["unfounded"])
    await h.choose(CHIEF, words.NO_NOTE)
    await h.seen(RESIDENT)
    await h.choose(OFFICER, words.OUTCOMES["administrative"])
    await h.choose(OFFICER, words.NO_NOTE)
    assert await h.last_text(OFFICER) == words.TIP_CHANGED.format(
        ref=1, status=words.STATUS_FOR_OFFICER["closed"], action=words.ACTIONS["close"])
    assert [e.kind for e in await events(h)].count("close") == 1
    assert await h.seen(RESIDENT) == []  # told once, by the chief's close
    await h.say(OFFICER, "xin chào")  # the action is over: this is not its answer
    assert (await h.last_text(OFFICER)).startswith("Chào bạn, mình là Bình Yên")
