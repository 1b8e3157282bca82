"""«✅ Nhà tôi đã nhận» and the report to the commune through the sandbox, one campaign day per
messenger: on Telegram the button pressed in the group chat by a member (again, then a forged
one) and in private; on Zalo (its window on) the number `1` while another prompt is open (it
answers that prompt, and counts nothing), then `1` and «đã nhận» after the message in private,
and «đã nhận» from a resident who only saw the leader's relay; not linked to a household, each
is told once, in private, how to register. The commune's police chief gets
one report when the day is sent, and `/lich <số>` shows the figures as they come in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.models import Acknowledgement, Role
from bot.services.campaigns import calendar
from content import acknowledgements as ack_words
from content import broadcasts as report_words
from content import campaigns as words
from tests.conftest import every_channel
from tests.e2e.test_campaigns import GROUP, campaign_day, join, next_entry
from tests.e2e.tipkit import enrol
from tests.harness import CHIEF, LEADER, RESIDENT, RESIDENT_2, Harness

TELEGRAM_GROUP = -4001


@pytest.fixture(params=["telegram", "zalo-window"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


async def stored(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Acknowledgement)) or 0)


async def lich(h: Harness, number: int) -> list[str]:
    """What the chief reads on `/lich <số>`, without its first line (the time of asking)."""
    await h.say(CHIEF, f"/lich {number}" if not h.zalo else f"lich {number}")
    return (await h.last_text(CHIEF)).splitlines()[1:]


async def test_a_campaign_day_acknowledged_and_reported(harness: Harness) -> None:
    h = harness
    await enrol(h, CHIEF, Role.POLICE_CHIEF)
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, words.CONSENT_YES_LABEL)
    await join(h, RESIDENT_2, words.CONSENT_NO_LABEL)
    if not h.zalo:
        await h.say(LEADER, "/gannhom", chat=TELEGRAM_GROUP, title="Nhóm tổ 1")
    entry = await next_entry(h)
    await campaign_day(h, entry)
    async with h.app.rt.db.reading() as session:
        number = (await session.get(type(entry), entry.id)).broadcast_id
    day = calendar.load().day(entry.parts.split("/")[0]).name
    on = entry.send_at.astimezone(h.app.rt.settings.tz).strftime("%d/%m/%Y")
    title = report_words.CAMPAIGN_TITLE.format(names=day, on=on)
    reach = (["• Nhóm chat: đã gửi 1/1 nhóm"] if not h.zalo
             else ["• 0/1 tổ trưởng đã chuyển vào nhóm Zalo"])
    reach.append("• Nhắn riêng: đã gửi 1/1 người")
    assert await h.last_text(CHIEF) == "\n".join([
        report_words.REPORT_TITLE.format(title=title, number=number), *reach,
        report_words.ACKS_NONE, report_words.REPORT_MORE.format(number=number)])
    assert await lich(h, number) == [*reach, report_words.ACKS_NONE]

    if not h.zalo:
        group_message = await h.last_with_buttons(TELEGRAM_GROUP)
        assert h.buttons(group_message) == [ack_words.ACK_LABEL]
        said_in_group = len(await h.bot_messages(TELEGRAM_GROUP))
        for label, toast in ((ack_words.ACK_LABEL, ack_words.ACK_TOAST),
                             (ack_words.ACK_LABEL, ack_words.ACK_TOAST_AGAIN),
                             (None, ack_words.ACK_TOAST_STALE)):
            await h.press(RESIDENT_2, label, chat=TELEGRAM_GROUP,
                          message_id=int(group_message["message_id"]),
                          data=None if label else f"a|{number + 7}", force=label is None)
            assert (await h.callback_answers(TELEGRAM_GROUP))[-1]["text"] == toast
        assert len(await h.bot_messages(TELEGRAM_GROUP)) == said_in_group  # nothing said
        await h.press(RESIDENT, ack_words.ACK_LABEL)
        assert (await h.callback_answers(RESIDENT.id))[-1]["text"] == ack_words.ACK_TOAST
        # not linked to a household: told once, in private, how to register
        assert await h.last_text(RESIDENT) == ack_words.ACK_HOW_TO_REGISTER
    else:
        assert f"\n\n1. {ack_words.ACK_LABEL}\n\n" in await h.last_text(RESIDENT)
        await h.say(RESIDENT, "/start")  # a menu after the message: its 1 is the menu's
        await h.say(RESIDENT, "1")
        assert ack_words.ACK_THANKS not in await h.seen(RESIDENT)
        assert await stored(h) == 0
        await h.say(RESIDENT, "/huy")
        await h.say(RESIDENT, "1")
        first = f"{ack_words.ACK_THANKS}\n\n{ack_words.ACK_HOW_TO_REGISTER}"  # not linked
        assert await h.last_text(RESIDENT) == first
        await h.say(RESIDENT, "Nhà tôi đã nhận")
        assert await h.last_text(RESIDENT) == ack_words.ACK_AGAIN
        await h.say(RESIDENT_2, "da nhan")  # only the relay copy in the group's Zalo chat
        assert await h.last_text(RESIDENT_2) == first
        await h.say(LEADER, "đã chuyển")
        assert await h.last_text(LEADER) == words.RELAY_THANKS.format(groups=GROUP)
        reach[0] = "• 1/1 tổ trưởng đã chuyển vào nhóm Zalo"
    assert await stored(h) == 2
    assert await lich(h, number) == [*reach, report_words.ACKS_PERSONS.format(persons=2)]
    reports = [m for m in await h.bot_messages(h.chat_of(CHIEF))
               if m["text"].startswith("📊 Đã gửi xong")]
    assert len(reports) == 1
    await h.say(RESIDENT, f"lich {number}")
    assert await h.last_text(RESIDENT) == report_words.STATUS_NOT_FOUND.format(number=number)
