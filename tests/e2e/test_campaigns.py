"""Awareness campaigns through the sandbox, on Telegram and on Zalo with its 48-hour window:
the resident's yes or no when joining and `tatthongbao` / `batthongbao` after; a campaign day
reaching a bound Telegram group, consenting residents and — on Zalo — the group leader's relay
copy, confirmed with «đã chuyển» or chased once; what waited for a silent resident going once,
newest only, when they write; a restart across a campaign day sending nothing twice; `/lich`
for a commune's police chief (change a time, switch a day off and on again) and its refusals.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import (
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    Person,
    Role,
)
from bot.services import areas, people
from bot.services.campaigns import calendar
from content import acknowledgements as ack_words
from content import campaigns as words
from tests.conftest import every_channel
from tests.e2e.tipkit import enrol
from tests.harness import CHIEF, LEADER, RESIDENT, RESIDENT_2, Harness, User

GROUP = "Tổ dân cư số 1"


@pytest.fixture(params=["telegram", "zalo-window"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


async def join(h: Harness, user: User, answer: str | None) -> None:
    """The user joins Tổ dân cư số 1 with the leader's code and answers the consent question
    (or leaves it unanswered)."""
    await h.say(LEADER, "/manhom")
    code = (await h.last_text(LEADER)).rsplit("thamgia ", 1)[1].strip()
    await h.say(user, f"thamgia {code}")
    asked = await h.last_text(user)
    assert asked.startswith(f"Bạn đã tham gia {GROUP}") or GROUP in asked
    assert words.ASK_CONSENT.format(cap=2) in asked
    if answer is not None:
        await h.choose(user, answer)


async def consent_of(h: Harness, user: User) -> bool | None:
    rt = h.app.rt
    async with rt.db.reading() as session:
        person = await session.scalar(select(Person).where(
            Person.user_ref == people.user_ref(rt, h.channel, str(user.id))))
        assert person is not None
        return person.campaign_consent


async def next_entry(h: Harness, *, to_persons: bool = True) -> CampaignSend:
    """The demo commune's next planned campaign entry (the plan is written on the first tick)."""
    await h.app.ticker.tick()
    async with h.app.rt.db.reading() as session:
        commune = await areas.by_code(session, "DEMO-XA")
        found = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == commune.id, CampaignSend.scope == 0,
            CampaignSend.status == CampaignSendStatus.PLANNED,
            CampaignSend.to_persons.is_(to_persons), CampaignSend.send_at > h.clock.now())
            .order_by(CampaignSend.send_at))
        assert found is not None
        return found


def fragment(template: str) -> str:
    """The longest stretch of a campaign text that no placeholder fills."""
    return max(re.split(r"\{[a-z_]+\}", template), key=len).strip()


async def campaign_day(h: Harness, entry: CampaignSend) -> None:
    h.clock.set(entry.send_at)
    await h.app.ticker.tick()
    await h.settle()


async def texts_with(h: Harness, user: User, piece: str, chat: int | None = None) -> int:
    return sum(piece in m["text"] for m in await h.bot_messages(h.chat_of(user, chat)))


async def test_consent_asked_on_joining_then_changed_by_the_words_people_type(
        harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, words.CONSENT_YES_LABEL)
    assert await h.last_text(RESIDENT) == words.CONSENT_ON
    assert await consent_of(h, RESIDENT) is True
    await h.say(RESIDENT, "tắt thông báo")
    assert await h.last_text(RESIDENT) == words.CONSENT_OFF
    assert await consent_of(h, RESIDENT) is False
    await h.say(RESIDENT, "tat thong bao")
    assert await h.last_text(RESIDENT) == words.CONSENT_OFF_ALREADY
    await h.say(RESIDENT, "/batthongbao")
    assert await h.last_text(RESIDENT) == words.CONSENT_ON
    await join(h, RESIDENT_2, words.CONSENT_NO_LABEL)
    assert await h.last_text(RESIDENT_2) == words.CONSENT_OFF
    assert await consent_of(h, RESIDENT_2) is False


async def test_a_campaign_day_reaches_those_who_agreed_and_the_leader_relays_it(
        harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, words.CONSENT_YES_LABEL)
    await join(h, RESIDENT_2, words.CONSENT_NO_LABEL)
    if not h.zalo:
        await h.say(LEADER, "/gannhom", chat=-4001, title="Nhóm tổ 1")
        assert await h.last_text(LEADER, chat=-4001) == words.BIND_DONE.format(group=GROUP)
    entry = await next_entry(h)
    piece = fragment(entry.text)
    await campaign_day(h, entry)
    assert await texts_with(h, RESIDENT, piece) == 1
    assert await texts_with(h, RESIDENT_2, piece) == 0
    if not h.zalo:
        assert await texts_with(h, LEADER, piece, chat=-4001) == 1
        assert await texts_with(h, LEADER, piece) == 0  # no relay: the bot posts itself
        return
    relay = await h.bot_messages(h.chat_of(LEADER))
    assert relay[-2]["text"] == words.RELAY_INTRO.format(group=GROUP)
    assert piece in relay[-1]["text"] and "đã nhận" in relay[-1]["text"]
    await h.say(RESIDENT, "Đã nhận")
    assert await h.last_text(RESIDENT) == \
        f"{ack_words.ACK_THANKS}\n\n{ack_words.ACK_HOW_TO_REGISTER}"  # not linked yet
    await h.say(LEADER, "đã chuyển")
    assert await h.last_text(LEADER) == words.RELAY_THANKS.format(groups=GROUP)
    await h.say(LEADER, "da chuyen")
    assert await h.last_text(LEADER) == words.RELAY_NONE
    h.clock.advance(timedelta(hours=21))
    await h.app.ticker.tick()
    await h.settle()
    assert not (await h.last_text(LEADER)).startswith("Nhắc nhẹ")  # confirmed: no chase


@pytest.mark.pg
@pytest.mark.parametrize("channel", ["zalo-window"], indirect=False)
async def test_an_unconfirmed_relay_is_chased_once(harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    entry = await next_entry(h)
    await campaign_day(h, entry)
    assert words.RELAY_INTRO.format(group=GROUP) in [
        m["text"] for m in await h.bot_messages(h.chat_of(LEADER))]
    for hours in (10, 11, 3):  # 10 h: too early; 21 h: chased; 24 h: not again
        h.clock.advance(timedelta(hours=hours))
        await h.app.ticker.tick()
        await h.settle()
    chases = [m["text"] for m in await h.bot_messages(h.chat_of(LEADER))
              if m["text"].startswith("Nhắc nhẹ tổ trưởng")]
    on = entry.send_at.astimezone(h.app.rt.settings.tz).strftime("%d/%m")
    assert chases == [words.CHASE.format(lines=words.CHASE_LINE.format(group=GROUP, on=on))]
    await h.say(LEADER, "đã chuyển")
    assert await h.last_text(LEADER) == words.RELAY_THANKS.format(groups=GROUP)
    async with h.app.rt.db.reading() as session:
        relay = (await session.scalars(select(CampaignRelay))).one()
        assert relay.chased_at is not None and relay.confirmed_at is not None


@pytest.mark.pg
@pytest.mark.parametrize("channel", ["zalo-window"], indirect=False)
async def test_what_waited_for_a_silent_resident_goes_once_newest_only(harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, words.CONSENT_YES_LABEL)
    first = await next_entry(h)
    await campaign_day(h, first)
    assert await texts_with(h, RESIDENT, fragment(first.text)) == 1
    h.clock.advance(timedelta(hours=49))  # the resident's window closes
    missed = []
    for _ in range(2):
        entry = await next_entry(h)
        await campaign_day(h, entry)
        missed.append(fragment(entry.text))
    assert [await texts_with(h, RESIDENT, piece) for piece in missed] == [0, 0]
    await h.say(RESIDENT, "xin chào")
    await h.settle()
    assert [await texts_with(h, RESIDENT, piece) for piece in missed] == [0, 1]
    await h.say(RESIDENT, "xin chào")
    assert [await texts_with(h, RESIDENT, piece) for piece in missed] == [0, 1]


@pytest.mark.parametrize("channel", ["zalo-window"], indirect=False)
async def test_saying_no_lets_go_of_what_waited(harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, words.CONSENT_YES_LABEL)
    h.clock.advance(timedelta(hours=49))
    entry = await next_entry(h)
    await campaign_day(h, entry)
    await h.say(RESIDENT, "tắt thông báo")
    await h.settle()
    assert await texts_with(h, RESIDENT, fragment(entry.text)) == 0
    assert await h.last_text(RESIDENT) == words.CONSENT_OFF


@pytest.mark.pg
async def test_a_restart_across_a_campaign_day_sends_nothing_twice(harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, words.CONSENT_YES_LABEL)
    entry = await next_entry(h)
    later = await next_entry_after(h, entry)
    piece, later_piece = fragment(entry.text), fragment(later.text)
    await h.app.stop()  # down at the entry's time; back within the grace period
    h.clock.set(entry.send_at + timedelta(minutes=20))
    await h.restart_bot()
    await h.app.ticker.tick()
    await h.settle()
    assert await texts_with(h, RESIDENT, piece) == 1
    h.clock.advance(timedelta(minutes=5))  # a second restart the same day
    await h.restart_bot()
    await h.app.ticker.tick()
    await h.settle()
    assert await texts_with(h, RESIDENT, piece) == 1
    await h.app.stop()  # down through the next entry's time and long after: missed
    h.clock.set(later.send_at + timedelta(hours=3))
    await h.restart_bot()
    await h.app.ticker.tick()
    await h.settle()
    assert await texts_with(h, RESIDENT, later_piece) == 0
    async with h.app.rt.db.reading() as session:
        statuses = {row.id: row.status for row in (await session.scalars(
            select(CampaignSend).where(CampaignSend.id.in_([entry.id, later.id])))).all()}
    assert statuses == {entry.id: CampaignSendStatus.SENT, later.id: CampaignSendStatus.MISSED}


async def next_entry_after(h: Harness, entry: CampaignSend) -> CampaignSend:
    async with h.app.rt.db.reading() as session:
        found = await session.scalar(select(CampaignSend).where(
            CampaignSend.commune_id == entry.commune_id, CampaignSend.scope == 0,
            CampaignSend.to_persons.is_(True), CampaignSend.send_at > entry.send_at)
            .order_by(CampaignSend.send_at))
        assert found is not None
        return found


async def test_lich_for_a_police_chief_changes_the_plan(harness: Harness) -> None:
    h = harness
    await enrol(h, CHIEF, Role.POLICE_CHIEF)
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await h.say(RESIDENT, "/lich")
    assert await h.last_text(RESIDENT) == words.AGENDA_NONE_ROLE
    entry = await next_entry(h)
    day_id = entry.parts.split("+")[0].split("/")[0]
    name = calendar.load().day(day_id).name
    local = entry.send_at.astimezone(h.app.rt.settings.tz)
    line = f"{local:%d/%m} lúc {local:%H:%M} — {name}"
    await h.say(LEADER, "lịch")
    listing = await h.last_text(LEADER)
    assert line in listing and listing.endswith(words.AGENDA_READ_ONLY)
    await h.say(CHIEF, "/lich")
    assert (await h.last_text(CHIEF)).startswith(words.AGENDA_TITLE.format(
        communes="Xã Bình Yên"))
    await h.choose(CHIEF, line)
    await h.choose(CHIEF, words.AGENDA_TIME)
    await h.say(CHIEF, "25h")
    assert words.AGENDA_BAD_TIME.format(typed="25h") in await h.last_text(CHIEF)
    await h.say(CHIEF, "22:15")
    assert "rơi vào giờ nghỉ" in await h.last_text(CHIEF)
    await h.say(CHIEF, "19h30")
    assert await h.last_text(CHIEF) == words.AGENDA_DONE_TIME.format(
        name=name, commune="Xã Bình Yên", at="19:30")
    moved = await next_entry(h)
    assert moved.parts == entry.parts
    assert f"{moved.send_at.astimezone(h.app.rt.settings.tz):%H:%M}" == "19:30"
    await h.say(CHIEF, "/lich")
    await h.choose(CHIEF, f"{local:%d/%m} lúc 19:30 — {name}")
    await h.choose(CHIEF, words.AGENDA_OFF)
    assert await h.last_text(CHIEF) == words.AGENDA_DONE_OFF.format(name=name,
                                                                     commune="Xã Bình Yên")
    assert (await next_entry(h)).parts.split("/")[0] != day_id
    await h.say(CHIEF, "/lich")
    await h.choose(CHIEF, words.AGENDA_RESTORE.format(name=name))
    assert await h.last_text(CHIEF) == words.AGENDA_DONE_ON.format(name=name,
                                                                    commune="Xã Bình Yên")
    assert (await next_entry(h)).parts == entry.parts


@pytest.mark.parametrize("channel", ["telegram"], indirect=False)
async def test_gannhom_refusals(harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await h.say(LEADER, "/gannhom")
    assert await h.last_text(LEADER) == words.BIND_IN_GROUP
    await h.say(RESIDENT, "/gannhom", chat=-4001)
    assert await h.last_text(RESIDENT, chat=-4001) == words.BIND_NOT_LEADER
