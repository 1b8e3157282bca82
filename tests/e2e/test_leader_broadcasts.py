"""A leader's own broadcast through the sandbox, one scenario per messenger (Zalo with its
window on): a resident without a role refused; the group leader's `/lich_them` with over-long
text, words that name no time, a past time and quiet hours refused, then a weekly one (their
only group: no scope asked); the police chief's, to a village (a group is not offered), warned
that a group is over its weekly cap, scheduled and cancelled with `/lich_huy`; the weekly one
reaching the resident who agreed (and, on Zalo, the leader's relay copy) and moved a week on;
`/guingay` sent at once, then (Telegram) a photo with its caption, into the group with its ✅;
the weekly one cancelled by its author."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Role, ScheduledMessage
from content import acknowledgements as ack_words
from content import broadcasts as words
from content import campaigns as campaign_words
from tests.conftest import every_channel
from tests.e2e.test_campaigns import GROUP, join
from tests.e2e.tipkit import enrol
from tests.harness import CHIEF, LEADER, RESIDENT, Harness, User

TELEGRAM_GROUP = -4001
WEEKLY = "Họp tổ dân cư 19h30 tại nhà văn hóa, mời đại diện mỗi hộ."
PHOTO_CAPTION = "Ảnh đối tượng lừa đảo bị camera ghi lại ở chợ sáng nay. Ai gặp báo công an xã."
SCAM = "Cảnh báo: có người giả danh công an gọi điện đòi chuyển tiền. Không làm theo!"


@pytest.fixture(params=["telegram", "zalo-window"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


async def command(h: Harness, user: User, name: str, typed: str) -> None:
    """A command as people give it: the slash command on Telegram, the words on Zalo."""
    await h.say(user, typed if h.zalo else f"/{name}")


async def got(h: Harness, chat: int, piece: str) -> int:
    """How many of the bot's messages in the chat carry `piece` (on Zalo with the ✅ as a
    numbered choice after it)."""
    return sum(piece in (m["text"] or "") for m in await h.bot_messages(chat))


async def statuses(h: Harness) -> list[tuple[str, str]]:
    async with h.app.rt.db.reading() as session:
        rows = (await session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)))
        return [(row.status, row.repeat) for row in rows.all()]


async def test_leaders_broadcasts_end_to_end(harness: Harness) -> None:
    h = harness
    h.app.rt.settings.campaign_group_per_week = 1
    tz = h.app.rt.settings.tz
    await enrol(h, CHIEF, Role.POLICE_CHIEF)
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, campaign_words.CONSENT_YES_LABEL)
    if not h.zalo:
        await h.say(LEADER, "/gannhom", chat=TELEGRAM_GROUP, title="Nhóm tổ 1")
    await command(h, RESIDENT, "lich_them", "thêm lịch")
    assert await h.last_text(RESIDENT) == words.NO_ROLE

    await command(h, LEADER, "lich_them", "gửi thông báo")
    asked = words.ASK_TEXT if h.zalo else words.ASK_TEXT_OR_PHOTO  # Zalo bots send no photos
    assert await h.last_text(LEADER) == asked.format(limit=1700)
    await h.say(LEADER, "a" * 1701)
    assert words.TEXT_TOO_LONG.format(length=1701, limit=1700) in await h.last_text(LEADER)
    await h.say(LEADER, WEEKLY)
    assert (await h.last_text(LEADER)).startswith("🕒 Gửi lúc nào?")
    await h.say(LEADER, "khi nào rảnh")
    assert words.WHEN_UNCLEAR.format(typed="khi nào rảnh") in await h.last_text(LEADER)
    yesterday = (h.clock.now().astimezone(tz) - timedelta(days=1)).strftime("%d/%m/%Y")
    await h.say(LEADER, f"8h {yesterday}")
    assert "đã qua rồi" in await h.last_text(LEADER)
    await h.say(LEADER, "mai 22h")
    assert "giờ nghỉ của bà con (21:00–07:00)" in await h.last_text(LEADER)
    await h.say(LEADER, "7 rưỡi tối mai")
    assert (await h.last_text(LEADER)).startswith(words.ASK_REPEAT)  # one group: not asked
    await h.choose(LEADER, "Hằng tuần")
    preview = await h.last_text(LEADER)
    at = (h.clock.now().astimezone(tz) + timedelta(days=1)).replace(hour=19, minute=30,
                                                                     second=0, microsecond=0)
    assert preview.startswith(words.PREVIEW.format(
        scope=GROUP, when=f"lúc {at:%H:%M %d/%m/%Y}", repeat=", rồi lặp lại hằng tuần",
        text=WEEKLY))
    await h.choose(LEADER, words.CONFIRM_LABEL)
    assert await h.last_text(LEADER) == words.SCHEDULED.format(
        when=f"{at:%H:%M %d/%m/%Y}", repeat=", rồi lặp lại hằng tuần")

    await command(h, CHIEF, "lich_them", "thêm lịch")
    await h.say(CHIEF, SCAM)
    await h.say(CHIEF, "mai 20h")
    assert (await h.last_text(CHIEF)).startswith(words.ASK_SCOPE)
    await h.say(CHIEF, GROUP)  # a group is not the chief's to choose: asked again
    assert (await h.last_text(CHIEF)).endswith(words.ASK_SCOPE) or words.ASK_SCOPE in \
        await h.last_text(CHIEF)
    await h.choose(CHIEF, "Thôn Đông")
    await h.choose(CHIEF, "Không lặp")
    assert f"⚠️ Lưu ý: {GROUP} đã có" in await h.last_text(CHIEF)  # warned, not blocked
    await h.choose(CHIEF, words.CONFIRM_LABEL)
    assert (await h.last_text(CHIEF)).startswith("✅ Đã hẹn gửi thông báo lúc")
    await command(h, CHIEF, "lich_huy", "hủy lịch")  # the commune's: the leader's too
    mine = words.CANCEL_LINE.format(when=f"{at + timedelta(minutes=30):%H:%M %d/%m/%Y}",
                                    repeat="", label=SCAM[:28].rstrip())
    await h.choose(CHIEF, mine)
    await h.choose(CHIEF, words.CANCEL_YES)
    assert await h.last_text(CHIEF) == words.CANCEL_DONE.format(label=SCAM[:60])
    assert await statuses(h) == [("scheduled", "weekly"), ("cancelled", "none")]

    h.clock.set(at)
    await h.app.ticker.tick()
    await h.settle()
    assert await got(h, h.chat_of(RESIDENT), WEEKLY) == 1
    if h.zalo:  # the author leads a Zalo group: they get the copy to paste too
        said = [m["text"] for m in await h.bot_messages(h.chat_of(LEADER))]
        intro = said.index(words.RELAY_INTRO.format(group=GROUP))
        assert said[intro + 1].startswith(WEEKLY) and "«đã nhận»" in said[intro + 1]
    else:
        assert await got(h, TELEGRAM_GROUP, WEEKLY) == 1
    assert await statuses(h) == [("scheduled", "weekly"), ("cancelled", "none")]

    await command(h, LEADER, "guingay", "gửi ngay")
    await h.say(LEADER, SCAM)
    await h.choose(LEADER, "Không lặp")
    assert words.PREVIEW_NOW in await h.last_text(LEADER)
    await h.choose(LEADER, words.CONFIRM_LABEL)
    await h.settle()
    said = [m["text"] for m in await h.bot_messages(h.chat_of(LEADER))]
    assert any(text.startswith("✅ Đã gửi thông báo (tin số") for text in said[-4:])
    assert any(text.startswith("📊 Đã gửi xong «Cảnh báo") for text in said[-4:])  # the report
    assert await got(h, h.chat_of(RESIDENT), SCAM) == 1

    if not h.zalo:  # a photo with its caption: into the group chat, ✅ under it
        await command(h, LEADER, "guingay", "gửi ngay")
        await h.send_photo(LEADER, caption=PHOTO_CAPTION)
        await h.choose(LEADER, "Không lặp")
        assert words.PHOTO_PREVIEW in await h.last_text(LEADER)
        await h.choose(LEADER, words.CONFIRM_LABEL)
        await h.settle()
        photo = (await h.bot_messages(TELEGRAM_GROUP))[-1]
        assert photo["media"]["kind"] == "photo" and photo["text"] == PHOTO_CAPTION
        buttons = photo["reply_markup"]["inline_keyboard"]
        assert [b["text"] for row in buttons for b in row] == [ack_words.ACK_LABEL]

    await command(h, LEADER, "lich_huy", "hủy lịch")
    week_on = at + timedelta(days=7)
    await h.choose(LEADER, words.CANCEL_LINE.format(when=f"{week_on:%H:%M %d/%m/%Y}",
                                                    repeat=words.CANCEL_REPEAT,
                                                    label=WEEKLY[:28].rstrip()))
    await h.choose(LEADER, words.CANCEL_YES)
    assert (await h.last_text(LEADER)).startswith("Đã hủy thông báo")
    assert await statuses(h) == [("cancelled", "weekly"), ("cancelled", "none"),
                                 ("sent", "none")] + ([] if h.zalo else [("sent", "none")])
    await command(h, LEADER, "lich_huy", "hủy lịch")
    assert await h.last_text(LEADER) == words.CANCEL_NONE
