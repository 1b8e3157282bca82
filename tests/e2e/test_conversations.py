"""Conversations as a resident has them when they do not follow the script (issue 16): danger
first, nothing a dead end, a story kept, typos forgiven; on Telegram and on Zalo.

Each test is one conversation that checks several things, so the suite stays quick: what the
resident types, and what they must see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.messages import Choice, Outgoing, Request
from bot.models import Chat, Evidence, GuardCounter, Person
from bot.services import outbox, people
from bot.services.tips import sealed
from content import channels, start, texts
from content import tips as words
from tests.conftest import every_channel
from tests.e2e.tipkit import CODE, DESCRIPTION, police, send, the_tip, tip_count
from tests.harness import OFFICER, RESIDENT, RESIDENT_2, Harness, User


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


def numbered(text: str) -> list[str]:
    """The labels a text-only messenger lists under a message ("1. …")."""
    return [line.split(". ", 1)[1] for line in text.splitlines()
            if line[:1].isdigit() and ". " in line[:4]]


async def offered(h: Harness, user: object) -> list[str]:
    """The choices under the bot's last message: its buttons, or its numbered lines."""
    last = (await h.bot_messages(h.chat_of(user)))[-1]  # type: ignore[arg-type]
    return numbered(last["text"]) if h.zalo else h.buttons(last)


TYPED_AT_MOST = {"telegram": 8, "zalo": 9}  # from the first «Xin chào» to the receipt


async def test_from_a_first_hello_to_a_receipt_in_few_messages(harness: Harness) -> None:
    """A person's first message ever, then a whole report, counting what they send (typed or
    pressed): at most 8 on Telegram and 9 on Zalo (11 and 13 before issue 16), and the
    safeguards all there: the notice, the review, the choice of identity."""
    h, me = harness, RESIDENT
    await police(h)
    sent = 0

    async def say(text: str) -> None:
        nonlocal sent
        sent += 1
        await h.say(me, text)

    async def choose(label: str) -> None:
        nonlocal sent
        sent += 1
        await h.choose(me, label)

    await say("Xin chào")
    await choose("📝 Báo tin cho công an")
    assert "Cố ý báo tin sai sự thật" in await h.last_text(me)  # the notice
    await choose("Ma túy")
    await say(DESCRIPTION)
    await choose("Thôn Đông")
    await say("Hẻm 12, gần chợ")
    await choose("Hôm qua")
    review = await h.last_text(me)
    assert review.startswith("Bạn xem lại trước khi gửi") and DESCRIPTION in review
    assert await offered(h, me) == [*words.SEND_AS.values(), words.EDIT, words.CANCEL]
    await choose(words.SEND_AS["linked"])  # the identity, chosen: and so sent
    assert CODE.search(await h.last_text(me))
    assert sent <= TYPED_AT_MOST[h.channel], sent


async def test_nothing_is_a_dead_end(harness: Harness) -> None:
    """A first «Xin chào», thanks, a thumbs-up, «hủy» and «quay lại» with nothing under way,
    a mistyped command, a command for another role, English: each gets an answer and a way
    on (the menu), never «chưa hiểu» alone."""
    h, me = harness, RESIDENT
    menu = ["📝 Báo tin cho công an", "🔎 Tra cứu tin báo", "☎️ Số khẩn cấp", "❓ Hướng dẫn",
            "👤 Vai trò của tôi"]
    await h.say(me, "Xin chào")  # the first message this person ever sends
    assert (await h.last_text(me)).startswith(start.WELCOME)
    assert await offered(h, me) == menu
    await h.say(me, "cảm ơn nhiều nha")
    assert await h.last_text(me) == start.THANKS_REPLY
    await h.say(me, "👍")
    assert await h.last_text(me) == start.THANKS_REPLY
    await h.say(me, "hủy")
    assert (await h.last_text(me)).startswith(texts.NOTHING_TO_CANCEL)
    assert await offered(h, me) == menu
    await h.say(me, "quay lại")
    assert (await h.last_text(me)).startswith(texts.NOTHING_TO_GO_BACK_TO)
    await h.say(me, "/baotn")
    assert (await h.last_text(me)).startswith(start.DID_YOU_MEAN.format(
        what=words.REPORT_COMMAND))
    assert (await offered(h, me))[0] == "📝 Báo tin cho công an"
    await h.choose(me, "📝 Báo tin cho công an")
    assert (await h.last_text(me)).startswith("📝 Báo tin")
    await h.say(me, "/huy")
    await h.say(me, "tracu TB-AAAAA-BBBBB")
    assert "Tra cứu tin báo đã gửi" in await h.last_text(me)
    await h.choose(me, "🔎 Tra cứu tin báo")
    assert (await h.last_text(me)).startswith(words.ASK_PIN)  # the code was kept
    await h.say(me, "huy")
    await h.say(me, "/hopthu")  # an officer's command
    assert (await h.last_text(me)).startswith(words.NOT_POLICE)
    assert await offered(h, me) == menu
    await h.say(me, "/help")  # says how to report, look up, answer and join a group
    helped = await h.last_text(me)
    assert all(word in helped for word in ("/baotin", "/tracuu", "/traloi", "thamgia"))
    await h.say(me, "hello, can you help me?")
    assert (await h.last_text(me)).startswith(start.WELCOME)
    await h.say(me, "làm sao để báo tin?")
    assert (await offered(h, me))[0] == "📝 Báo tin cho công an"
    await h.say(me, "Tối nào cũng có mấy thanh niên tụ tập hút chích ở bãi đất trống cuối xóm")
    assert (await h.last_text(me)).startswith(start.STORY_OFFER.format(label=start.STORY_LABEL))
    assert (await offered(h, me))[0] == start.STORY_LABEL
    await h.say(me, "ý là sao")
    assert (await h.last_text(me)).startswith(texts.NOT_UNDERSTOOD)
    assert await offered(h, me) == menu
    if h.zalo:  # a bare number answers the latest numbered message, nothing older
        await numbered_message_from_elsewhere(h, me)
        await h.say(me, "1")
        assert (await h.last_text(me)).startswith(texts.NUMBER_OUTDATED)
        assert await tip_count(h) == 0 and await offered(h, me) == menu
        await h.say(me, "1")
        assert (await h.last_text(me)).startswith("📝 Báo tin")


async def numbered_message_from_elsewhere(h: Harness, user: User) -> None:
    """Another feature writes to the person with choices (numbered on Zalo), outside the
    conversation: as a campaign message asking for an acknowledgement would."""
    rt = h.app.rt
    async with rt.transaction() as session:
        person = await session.scalar(select(Person).where(
            Person.user_ref == people.user_ref(rt, h.channel, str(user.id))))
        assert person is not None
        chat = await session.get(Chat, person.private_chat_id)
        assert chat is not None
        await outbox.enqueue(session, rt, chat, Outgoing(
            "Tin tuyên truyền.", (Choice("seen", "Nhà tôi đã nhận"),), token="x"))
    await h.settle()


async def test_danger_outside_a_report_gets_the_numbers_first_and_the_story_is_kept(
        harness: Harness) -> None:
    """«113» alone, and words of danger typed outside any conversation, bring the emergency
    numbers first (111 for children too); the words are kept as the start of a report. In the
    report, «Đang xảy ra» brings the numbers again, and the receipt repeats 113."""
    h, me = harness, RESIDENT_2
    await police(h)
    await h.say(me, "113")
    reply = await h.last_text(me)
    assert all(number in reply for number in ("113", "114", "115", "111"))
    story = "Cứu tôi với, có người đang đánh tôi ở nhà số 5 hẻm 12"
    await h.say(me, story)
    reply = await h.last_text(me)
    assert reply.startswith(words.EMERGENCY) and "111" in reply
    assert (await offered(h, me))[0] == start.STORY_LABEL
    await h.choose(me, start.STORY_LABEL)
    notice = await h.last_text(me)
    assert notice.startswith("📝 Báo tin cho công an") and "được xóa 3 năm sau" in notice
    await h.choose(me, "Đánh nhau, gây rối")
    assert words.STORY_KEPT in await h.last_text(me)  # not asked to type it again
    await h.choose(me, "Thôn Đông")
    await h.say(me, "Nhà số 5, hẻm 12")
    await h.choose(me, "Đang xảy ra")
    assert (await h.last_text(me)).startswith(words.EMERGENCY)
    await send(h, me)
    receipt = await h.last_text(me)
    assert CODE.search(receipt) and words.RECEIPT_URGENT.strip() in receipt
    assert "chuyển tới Công an xã Bình Yên." in receipt and "Mã tiếp nhận:\nTB-" in receipt
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, "Người đó còn ở đó không?")
    assert (await h.last_text(me)).endswith(words.NAME_KEPT)  # true: no number was left
    tip = await the_tip(h)
    content = sealed.open_content(h.app.rt, tip)
    assert tip.urgent and content is not None and content.description == story


async def test_a_story_in_several_messages_keeps_every_part(harness: Harness) -> None:
    """A photo sent before the story is kept, words typed after it are added to it, «bỏ qua»
    at the time means «Không nhớ rõ»; on Telegram the place's keyboard offers «Bỏ qua» first,
    says the pin is for when you are there, and goes once answered. Then a look-up typed
    again after a typo, and a PIN of the wrong shape, which is not counted as a guess."""
    h, me = harness, RESIDENT
    await police(h)
    await h.say(me, "/baotin")
    await h.choose(me, "Ma túy")
    await h.send_photo(me)
    assert (await h.last_text(me)).startswith(words.FILES_KEPT_TELL_STORY.format(count=1))
    first = "Kể rất dài. " * 340 if not h.zalo else DESCRIPTION  # 4,080: over 4,000, kept
    await h.say(me, first)
    await h.say(me, "Họ thường đi xe máy màu đỏ.")  # the story goes on: kept, not a place
    assert (await h.last_text(me)).startswith(words.STORY_ADDED_NOT_PLACE)
    await h.say(me, "Hôm qua còn thấy một người cầm dao.")
    assert (await h.last_text(me)).startswith(words.EMERGENCY)
    await h.choose(me, "Thôn Đông")
    place = await h.last_text(me)  # each messenger says its own way to answer, once
    assert "bấm" not in place.split("\n\n")[0]
    if h.zalo:
        assert channels.TEXT_REQUEST_HINTS[Request.LOCATION] in place
        await h.control("POST", "message", user=h.user_json(me), unsupported=True)
        await h.settle()
        assert (await h.last_text(me)).startswith(texts.CANNOT_READ)  # still in the report
        assert words.ASK_LOCATION in await h.last_text(me)
    else:
        assert channels.REQUEST_HINTS[Request.LOCATION] in place
        keyboard = (await h.control("GET", "transcript", chat_id=str(me.id)))["reply_keyboard"]
        rows = [row[0]["text"] for row in keyboard["keyboard"]]
        assert rows == ["Bỏ qua", "📍 Gửi vị trí (khi đang ở nơi xảy ra)"]
    await h.say(me, "Hẻm 12, gần chợ")
    if not h.zalo:
        transcript = await h.control("GET", "transcript", chat_id=str(me.id))
        assert transcript["reply_keyboard"] is None  # gone before the next question
    await h.say(me, "bỏ qua")
    await send(h, me, "Để lại số điện thoại", "0912 345 678")
    code = CODE.search(await h.last_text(me))
    assert code
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, "Xe máy biển số mấy?")
    question = await h.last_text(me)
    assert question.startswith("🔔 Công an muốn hỏi thêm") and words.NAME_KEPT not in question
    if h.zalo:  # a prompt never says «bấm» where nothing can be pressed
        assert [t for t in await h.seen(me) if "bấm" in t] == []
    tip = await the_tip(h)
    content = sealed.open_content(h.app.rt, tip)
    assert content is not None and content.when == "Không nhớ rõ"
    assert content.description == "\n".join([first.strip(), "Họ thường đi xe máy màu đỏ.",
                                             "Hôm qua còn thấy một người cầm dao."])
    assert tip.urgent
    async with h.app.rt.db.reading() as session:
        assert len((await session.scalars(select(Evidence))).all()) == 1

    await h.seen(me)
    await h.say(me, "/tracuu TB-123")
    assert (await h.seen(me))[0] == words.CODE_MALFORMED.format(typed="TB-123")
    await h.say(me, f"tracuu {code.group(1)}")  # typed again, with the command word
    assert "Trạng thái: Đã tiếp nhận" in await h.last_text(me)
    other = RESIDENT_2
    await h.say(other, f"/tracuu {code.group(1)}")
    before = await counters(h)
    await h.say(other, "123")
    assert (await h.last_text(other)).startswith(words.PIN_MALFORMED)
    assert await counters(h) == before  # not a guess
    await h.say(other, "654 321")
    assert (await h.last_text(other)).startswith(words.NOT_FOUND)
    assert await counters(h) != before  # a guess, counted


async def counters(h: Harness) -> dict[str, int]:
    async with h.app.rt.db.reading() as session:
        return {c.key: c.count for c in (await session.scalars(select(GuardCounter))).all()}
