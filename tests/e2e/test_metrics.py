"""`/metrics` scraped from the bot's own web server after a scripted tip, a broadcast and
failures: every figure there and right, parsed by the client library's own parser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.messages import Outgoing
from bot.models import Chat, InboxUpdate
from bot.services import broadcasts, people
from bot.web import WebServer
from scheduler.supervisor import LONGEST_DELAY_S
from tests.e2e.test_supervision import INBOX_CLAIM, FailingStatements, restarted, until
from tests.e2e.tipkit import file_report, police
from tests.harness import (
    CHIEF,
    LEADER,
    OFFICER,
    RESIDENT,
    RESIDENT_2,
    TOKEN,
    ZALO_TOKEN,
    Harness,
    User,
    start_harness,
)

pytestmark = pytest.mark.pg
Figures = dict[tuple[str, frozenset[tuple[str, str]]], float]
Scrape = Callable[[], Awaitable[Figures]]


@asynccontextmanager
async def metrics_page(h: Harness) -> AsyncIterator[tuple[Scrape, list[str]]]:
    """The bot's real web server; each scrape parsed into (sample, labels) → value. The raw
    pages are kept for the privacy check."""
    web = WebServer(h.app.rt, h.app.channels, h.app.health)
    port = await web.start("127.0.0.1", 0)
    pages: list[str] = []

    async def scrape() -> Figures:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
        pages.append(text)
        return {(sample.name, frozenset(sample.labels.items())): sample.value
                for family in text_string_to_metric_families(text) for sample in family.samples}

    try:
        yield scrape, pages
    finally:
        await web.stop()


def value(figures: Figures, name: str, **labels: str) -> float:
    return figures[(name, frozenset(labels.items()))]


async def chat_of(h: Harness, user: User) -> Chat:
    async with h.app.rt.db.reading() as session:
        ref = people.chat_ref(h.app.rt, h.channel, str(h.chat_of(user)))
        return (await session.scalars(select(Chat).where(Chat.chat_ref == ref))).one()


@pytest.mark.parametrize("channel", ["telegram", "zalo-window"])
async def test_metrics_after_a_tip_a_broadcast_and_failures(
    settings: Settings, db: Database, clock: FakeClock, channel: str,
) -> None:
    async with start_harness(settings, db, clock, channel=channel) as h, \
            metrics_page(h) as (scrape, pages):
        ch, window = h.channel, h.window
        await police(h)
        await file_report(h, RESIDENT)
        clock.advance(timedelta(hours=3))  # past the two hours to accept it
        await h.app.ticker.tick()
        await h.settle()
        # two days later: on Zalo only those who wrote since may be written to
        clock.advance(timedelta(hours=49))
        for user in (OFFICER, CHIEF, LEADER):
            await h.say(user, "/help")
        await h.seen(RESIDENT_2)
        before = await scrape()
        # the overall pace after the last replies (33 ms) passes: the fake clock does not move
        # by itself, and until it does the sender would not try to claim the broadcast
        clock.advance(timedelta(seconds=1))

        # a broadcast while the sender and the inbox processor cannot claim anything
        for user, error in ((OFFICER, "429"), (CHIEF, "5xx"), (LEADER, "403")):
            await h.fault(error, chat_id=h.chat_of(user), times=1)
        claims = [FailingStatements(db, "UPDATE outbox SET", "RETURNING"),
                  FailingStatements(db, "", INBOX_CLAIM)]
        chats = [await chat_of(h, user) for user in (RESIDENT, OFFICER, CHIEF, LEADER)]
        async with h.app.rt.transaction() as session:
            await broadcasts.broadcast(session, h.app.rt, Outgoing("Họp tổ lúc 19 giờ."),
                                       chats, None, label="Họp tổ")
        await h.say(RESIDENT_2, "/help", settle=False)
        await until(restarted(h, f"deliver:{ch}"))
        await until(restarted(h, f"inbox:{ch}"))
        clock.advance(45)
        stuck = await scrape()
        assert value(stuck, "binhyen_inbox_pending", messenger=ch) == 1
        assert value(stuck, "binhyen_inbox_lag_seconds", messenger=ch) == 45
        assert value(stuck, "binhyen_outbox_depth", messenger=ch, lane="broadcast",
                     status="queued") == 4
        assert value(stuck, "binhyen_outbox_oldest_queued_seconds", messenger=ch,
                     lane="broadcast") == 45
        assert value(stuck, "binhyen_outbox_oldest_queued_seconds", messenger=ch,
                     lane="interactive") == 0
        for claim in claims:
            claim.armed = False
            claim.remove()
        clock.advance(LONGEST_DELAY_S)
        await h.settle()
        answers = len(await h.seen(RESIDENT_2))
        after = await scrape()

    def sends(figures: Figures, outcome: str) -> float:
        return figures.get(("binhyen_sends_total",
                            frozenset({"messenger": ch, "outcome": outcome}.items())), 0)

    assert answers >= 1
    # the resident, silent for two days, is reached on Telegram; on Zalo the message waits
    expected = {"ok": 2 + answers + (0 if window else 1), "429": 1, "5xx": 1, "403": 1,
                "waiting_contact": 1 if window else 0}
    assert {outcome: sends(after, outcome) - sends(before, outcome)
            for outcome in expected} == expected
    assert sends(before, "ok") > 0
    assert value(after, "binhyen_outbox_depth", messenger=ch, lane="broadcast",
                 status="waiting_contact") == (1 if window else 0)
    assert value(after, "binhyen_outbox_depth", messenger=ch, lane="broadcast",
                 status="queued") == 0
    assert value(after, "binhyen_inbox_pending", messenger=ch) == 0
    assert value(after, "binhyen_inbox_lag_seconds", messenger=ch) == 0
    async with db.reading() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxUpdate)
                                      .where(InboxUpdate.channel == ch))
    assert value(after, "binhyen_updates_received_total", messenger=ch) == stored
    assert value(after, "binhyen_updates_handled_total", messenger=ch) == stored
    # each loop that failed is counted as often as the supervisor restarted it
    loops = h.app.supervisor.loops
    for loop in (f"deliver:{ch}", f"inbox:{ch}"):
        assert value(after, "binhyen_loop_restarts_total", loop=loop) == loops[loop].restarts >= 1
    assert value(after, "binhyen_loop_restarts_total", loop=f"poll:{ch}") == 0
    # the sender's and the poller's leases renewed as they work; the tick's lapsed two days ago
    assert value(before, "binhyen_lease_held", lease=f"deliver:{ch}") == 1
    assert value(before, "binhyen_lease_held", lease=f"poll:{ch}") == 1
    assert value(before, "binhyen_lease_held", lease="tick") == 0
    assert value(after, "binhyen_tips", state="received") == 1
    assert value(after, "binhyen_tips", state="closed") == 0
    assert value(after, "binhyen_tips_overdue") == 1
    # nothing of anyone in it: no token, no chat id, no text
    for page in pages:
        for secret in (TOKEN, ZALO_TOKEN, "Họp tổ", str(RESIDENT.id), str(OFFICER.id)):
            assert secret not in page
