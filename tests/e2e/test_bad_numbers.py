"""Numbers and dates that are not what they look like — a superscript digit, a number no
column holds, a year 9999, a forged button — each get one polite answer and change nothing:
no traceback, no failed update, no apology for a crash (bot/parse.py reads them all)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.models import InboxStatus, InboxUpdate, Role
from content import groups
from content import tips as words
from tests.conftest import every_channel
from tests.e2e.tipkit import enrol, events, file_report, police, the_tip
from tests.harness import LEADER, OFFICER, RESIDENT, Harness


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


BAD_DATE = words.STATS_BAD_DATE.format(first=2000, last=2100)


def _bad_ref(typed: str, command: str) -> str:
    return words.BAD_REF.format(typed=typed, command=command)


OFFICER_INPUTS = [
    ("tiepnhan ²", _bad_ref("²", "tiepnhan")),
    ("/tiepnhan ١٢", _bad_ref("١٢", "tiepnhan")),
    ("tiepnhan 99999999999999999999", _bad_ref("99999999999999999999", "tiepnhan")),
    ("tiepnhan 2147483648", _bad_ref("2147483648", "tiepnhan")),  # one past a 32-bit column
    ("/hopthu ³", _bad_ref("³", "/hopthu")),
    ("/hopthu 99999999999999999999", _bad_ref("99999999999999999999", "/hopthu")),
    ("/hopthu 2147483647", words.NO_RIGHT),  # a number that fits, of no tip
    ("/thongke 01/01/2020 31/12/9999", BAD_DATE),
    ("/thongke 01/01/1999", BAD_DATE),
    ("/thongke ０１/０１/２０２６", BAD_DATE),  # full-width digits
]


async def _no_crash(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    async with h.app.rt.db.reading() as session:
        failed = await session.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.FAILED))
        retried = await session.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.attempts > 1))
    assert (failed, retried) == (0, 0)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.pg
async def test_an_officer_typing_a_bad_number_gets_one_polite_answer(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.seen(OFFICER)
    for typed, reply in OFFICER_INPUTS:
        await h.say(OFFICER, typed)
        assert await h.seen(OFFICER) == [reply], typed
    assert [e.kind for e in await events(h)] == ["received"]  # nothing done to any tip
    await _no_crash(h, caplog)


@pytest.mark.telegram_only
async def test_a_forged_button_gets_one_polite_answer(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    forged = [(OFFICER, data, words.NO_RIGHT) for data in (
        "t|².accept", "t|99999999999999999999.accept", "t|-1.accept", "t|1.nothing")]
    forged += [(RESIDENT, data, words.NO_QUESTION) for data in ("r|²", "r|99999999999999999999")]
    for user, data, reply in forged:
        message = (await h.bot_messages(user.id))[-1]
        await h.seen(user)
        await h.press(user, data=data, message_id=message["message_id"], force=True)
        assert await h.seen(user) == [reply], data
    assert (await the_tip(h)).status == "received"
    await _no_crash(h, caplog)


async def test_a_reporter_typing_a_bad_number_gets_one_polite_answer(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, "Xe màu gì?")
    await h.seen(RESIDENT)
    for typed in ("/traloi ²", "/traloi 99999999999999999999"):
        await h.say(RESIDENT, typed)
        assert await h.seen(RESIDENT) == [words.NO_QUESTION], typed
    await _no_crash(h, caplog)


async def test_a_leader_typing_a_bad_member_number_gets_one_polite_answer(
        harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    for typed in ("xoa ²", "xoa 99999999999999999999", "xoa 0"):
        await h.say(LEADER, typed)
        assert await h.seen(LEADER) == [groups.BAD_NUMBER], typed
    await _no_crash(h, caplog)
