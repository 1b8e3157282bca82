"""Officers' cards through the sandbox, on Telegram and on Zalo (issue 14):

- item 2: the longest tip a resident can send, with the most history, reaches every officer
  whole — in parts within the messenger's limit, cut between sentences or lines, the buttons
  on the last part — and `/hopthu` shows all of it; the card is still kept up to date and the
  platform refuses nothing;
- item 4: nothing a resident writes can pass for a line of the card: their words are set
  apart (every line behind a quote bar, between marked lines), short answers stay on their
  own line in quotes, and characters that hide or reorder text never reach an officer.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.models import OutboxMessage, OutboxStatus, Role
from content import tips as words
from tests.conftest import every_channel
from tests.e2e.tipkit import (
    begin_report,
    enrol,
    place_and_time,
    police,
    second_commune,
    send,
)
from tests.harness import CHIEF, OFFICER, OFFICER_OTHER, RESIDENT, Harness, User

START, END = "—— Lời người báo ——", "—— Hết lời người báo ——"
BAR = "│"
NEXT_PART = re.compile(r"^📥 Tin báo #\d+ \(tiếp, \d+/\d+\)$")
SENTENCES = (
    "Tối nào cũng có một nhóm người tụ tập ở đầu hẻm 12 đường Lê Lợi.",
    "Họ đi xe máy không biển số, thường đến vào khoảng 21 giờ và ở lại chừng nửa tiếng.",
    "Một người mặc áo khoác đen đưa những gói nhỏ cho người đi đường.",
    "Người mua trả tiền mặt rồi đi ngay, không dừng lại lâu.",
    "Hàng xóm đã thấy cảnh này nhiều lần trong tháng qua, nhất là vào cuối tuần.",
    "Có hôm họ đổi chỗ sang quán nước cuối hẻm khi thấy người lạ.",
)
# what hides or reorders text: bidi embeddings, overrides, isolates and marks, zero-width
# characters, other controls (NEL and the line separators become line breaks)
HIDDEN = ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
          "\u200b\u200c\u200d\u2060\ufeff\x00\x07\x1b\x7f\x85\x9b\u2028\u2029\r\v\f")
FORGED = ("\nNgười báo: Có số liên hệ: 0912345678"
          "\n📎 Bằng chứng: https://evil.example/x"
          "\r\nTrạng thái: \u202eĐã kết thúc\u202c"
          "\u2028Hạn tiếp nhận: \u2066không có\u2069\x85Nhận lúc: 01/01/2020 08:00")


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


def story_of(size: int, *, line_every: int = 3, paragraph_every: int = 7) -> str:
    """A resident's account of exactly `size` characters: sentences, lines and paragraphs."""
    out, index = "", 0
    while len(out) < size:
        gap = ("\n\n" if index % paragraph_every == paragraph_every - 1 else
               "\n" if index % line_every == line_every - 1 else " ")
        out += SENTENCES[index % len(SENTENCES)] + gap
        index += 1
    return out[: size - 1].rstrip() + "." + "." * (size - len(out[: size - 1].rstrip()) - 1)


def letters(text: str) -> str:
    return "".join(text.split())


def read(texts: list[str]) -> tuple[list[str], list[str]]:
    """The reporter's words in each marked block, and every line outside the blocks, of
    messages read in order. Fails when a line inside a block is not behind the quote bar (a
    later part of a long card may open with its own header line)."""
    blocks: list[str] = []
    outside: list[str] = []
    current: list[str] | None = None
    for text in texts:
        for number, line in enumerate(text.split("\n")):
            if current is None:
                if line == START:
                    current = []
                else:
                    outside.append(line)
            elif line == END:
                blocks.append("\n".join(current))
                current = None
            elif number == 0 and NEXT_PART.match(line):
                outside.append(line)
            else:
                assert line.startswith(BAR), f"a line of the reporter's words shows bare: {line!r}"
                current.append(line.removeprefix(BAR).removeprefix(" "))
    assert current is None, "a block of the reporter's words is never closed"
    return blocks, outside


def limit_of(h: Harness) -> int:
    return 2000 if h.zalo else 4096


async def sent_by_bot(h: Harness, user: User, count: int) -> list[dict[str, object]]:
    return (await h.bot_messages(h.chat_of(user)))[-count:]


async def nothing_refused(h: Harness) -> None:
    async with h.app.rt.db.reading() as session:
        failed = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.FAILED))).all()
    assert [row.error for row in failed] == []


async def report(h: Harness, *, description: str, address: str, when: str,
                 identity: str = "Để lại số điện thoại") -> None:
    """A whole report with a typed address and time, as a resident does it."""
    await begin_report(h, RESIDENT, description=description)
    await h.choose(RESIDENT, "Thôn Đông")
    await h.say(RESIDENT, address)
    await h.say(RESIDENT, when)
    await send(h, RESIDENT, identity)
    if identity == "Để lại số điện thoại":
        await h.say(RESIDENT, "0912 345 678")
    assert "Mã tiếp nhận:\nTB-" in await h.last_text(RESIDENT)


def fits(h: Harness, texts: list[str]) -> None:
    assert texts and all(0 < len(text) <= limit_of(h) for text in texts)


async def buttons_only_last(h: Harness, user: User, count: int) -> None:
    """On Telegram, of the last `count` messages only the last carries buttons."""
    if h.zalo:
        return
    messages = await sent_by_bot(h, user, count)
    assert [bool(m.get("reply_markup")) for m in messages] == [False] * (count - 1) + [True]


# ---- item 2: the longest tip, whole --------------------------------------------------------

DESCRIPTION = story_of(4000)
ADDRESS = ("Nhà trọ cuối hẻm 12, đường Lê Lợi, gần cột điện có biển quảng cáo màu xanh, "
           * 7)[:500].strip()
WHEN = ("Tối nào cũng vậy, từ khoảng 20 giờ 30 đến gần 22 giờ, nhiều nhất là tối thứ Bảy "
        "và Chủ nhật; lần gần nhất là tối hôm qua, 31/05, lúc 21 giờ 15 phút.")
NOTES = (story_of(2000, line_every=2), story_of(2000, paragraph_every=3))
QUESTION = story_of(1000)
ANSWER = story_of(4000, line_every=4)


@pytest.mark.pg
async def test_the_longest_tip_with_the_most_history_reaches_every_officer_whole(
        harness: Harness) -> None:
    h = harness
    assert len(DESCRIPTION) == 4000 and len(ANSWER) == 4000 and len(NOTES[0]) == 2000
    await police(h)
    for officer in (OFFICER, CHIEF):
        await h.seen(officer)
    await report(h, description=DESCRIPTION, address=ADDRESS, when=WHEN)

    for officer in (OFFICER, CHIEF):  # the whole card, in order, the buttons last
        texts = await h.seen(officer)
        fits(h, texts)
        assert len(texts) >= (4 if h.zalo else 2)
        assert texts[0].startswith("📥 Tin báo #1 — Ma túy\nNơi xảy ra: Thôn Đông, xã Bình Yên")
        assert [t.split("\n")[0] for t in texts[1:-1]] == [
            f"📥 Tin báo #1 (tiếp, {i}/{len(texts) - 1})" for i in range(2, len(texts))]
        assert texts[-1].startswith("📥 Tin báo #1 — Ma túy\nTrạng thái: Mới")
        [told], outside = read(texts)
        assert letters(told) == letters(DESCRIPTION)
        for text in texts[:-1]:  # every cut falls after a sentence or a line
            assert text.endswith((".", END)) or not text.split("\n")[-1].startswith(BAR)
        assert outside.count("Người báo: Có số liên hệ: 0912345678") == 1
        assert outside.count(f"Địa chỉ: «{ADDRESS}»") == 1
        assert outside.count(f"Thời gian: «{WHEN}»") == 1
        assert ("Lệnh nhanh: tiepnhan" in texts[-1]) is h.zalo
        await buttons_only_last(h, officer, len(texts))

    await h.act(OFFICER, 1, "Tiếp nhận")  # the card is brought up to date
    if h.zalo:
        assert "Đã ghi nhận: tin #1 — Tiếp nhận." in await h.seen(CHIEF)
    else:
        for officer in (OFFICER, CHIEF):
            card = next(m for m in reversed(await h.bot_messages(officer.id))
                        if m.get("reply_markup") and m["text"].startswith("📥 Tin báo #1"))
            assert "Trạng thái: Đã tiếp nhận — phụ trách:" in card["text"]
            assert "Tiếp nhận" not in h.buttons(card) and "Ghi chú nội bộ" in h.buttons(card)
    for note in NOTES:
        await h.say(OFFICER, "ghichu 1")
        await h.say(OFFICER, note)
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, QUESTION)
    await h.seen(OFFICER)
    await h.say(RESIDENT, "/traloi")
    await h.say(RESIDENT, ANSWER)

    relayed = await h.seen(OFFICER)  # the answer, whole, set apart
    fits(h, relayed)
    assert relayed[0].startswith("💬 Người báo đã trả lời về tin #1:")
    [answered], _ = read(relayed)
    assert letters(answered) == letters(ANSWER)

    await h.say(OFFICER, "/hopthu 1")
    detail = await h.seen(OFFICER)
    fits(h, detail)
    [told, answered], outside = read(detail)
    assert letters(told) == letters(DESCRIPTION) and letters(answered) == letters(ANSWER)
    history = letters("".join(line.removeprefix(BAR) for line in outside))
    for written in (*NOTES, QUESTION):
        assert letters(written) in history
    assert outside.count("Lịch sử:") == 1
    await buttons_only_last(h, OFFICER, len(detail))
    await nothing_refused(h)


async def test_a_long_line_cut_between_sentences_keeps_its_quote_bar(harness: Harness) -> None:
    """A resident cannot choose where a cut falls to start a part with a field of their own."""
    h = harness
    await police(h)
    await h.seen(OFFICER)
    line = ("Người báo: Có số liên hệ: 0912345678. " * 120)[:3990].strip()
    await report(h, description=line, address="Hẻm 12", when="Hôm qua buổi tối",
                 identity="Giấu tên, vẫn nhận thông báo")
    texts = await h.seen(OFFICER)
    fits(h, texts)
    assert len(texts) >= 2
    [told], outside = read(texts)
    assert letters(told) == letters(line)
    assert [x for x in outside if x.startswith("Người báo:")] == ["Người báo: Ẩn danh"]
    await nothing_refused(h)


@pytest.mark.telegram_only
async def test_a_long_tip_leaving_the_commune_takes_its_whole_card_along(
        harness: Harness) -> None:
    """A transfer takes the details out of the old commune's chats: the card and every part
    of its story before it (on Telegram, which edits; Zalo cannot)."""
    h = harness
    await police(h)
    await second_commune(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER, "DEMO-XA-2")
    await h.seen(OFFICER)
    await report(h, description=DESCRIPTION, address=ADDRESS, when=WHEN)
    count = len(await h.seen(OFFICER))
    assert count >= 2
    card = [m["message_id"] for m in await sent_by_bot(h, OFFICER, count)]
    await h.say(OFFICER, "chuyenxa 1")
    await h.say(OFFICER, "hoa binh")
    assert (await h.last_text(OFFICER)).startswith("Đã chuyển tin #1 sang Xã Hòa Bình")
    now = {m["message_id"]: m for m in await h.bot_messages(OFFICER.id)}
    assert [now[i]["text"] for i in card] == [words.STORY_WITHDRAWN.format(ref=1)] * (
        count - 1) + [words.CARD_WITHDRAWN.format(ref=1)]
    assert not [i for i in card if now[i].get("reply_markup")]
    moved = await h.seen(OFFICER_OTHER)  # the new commune gets the whole card
    [told], _ = read(moved)
    assert letters(told) == letters(DESCRIPTION)
    await nothing_refused(h)


# ---- item 4: nothing a resident writes passes for the card's own lines ----------------------

def no_hidden_characters(texts: list[str]) -> None:
    for text in texts:
        assert not set(HIDDEN) & set(text), [hex(ord(c)) for c in set(HIDDEN) & set(text)]


async def test_a_tip_cannot_forge_lines_on_the_officers_card(harness: Harness) -> None:
    h = harness
    await police(h)
    await h.seen(OFFICER)
    await report(h, description="Có người bán hàng cấm ở đầu hẻm mỗi tối." + FORGED,
                 address="Hẻm 12\nNgười báo: Có số liên hệ: 0999999999\u202e",
                 when="hôm qua\u2028📎 Bằng chứng: https://evil.example/y",
                 identity="Giấu tên, vẫn nhận thông báo")
    texts = await h.seen(OFFICER)
    no_hidden_characters(texts)
    [told], outside = read(texts)
    # the forged lines are shown, but only inside the reporter's words
    assert told.split("\n")[1:] == [
        "Người báo: Có số liên hệ: 0912345678", "📎 Bằng chứng: https://evil.example/x",
        "Trạng thái: Đã kết thúc", "Hạn tiếp nhận: không có", "Nhận lúc: 01/01/2020 08:00"]
    # the card's own lines come once each, and the typed answers stay on their own line
    for field in ("Người báo:", "Bằng chứng:", "Trạng thái:", "Hạn tiếp nhận:", "Nhận lúc:",
                  "Địa chỉ:", "Thời gian:"):
        assert len([line for line in outside if line.startswith(field)]) == 1, field
    assert "Người báo: Ẩn danh" in outside and "Trạng thái: Mới" in outside
    assert "Địa chỉ: «Hẻm 12 Người báo: Có số liên hệ: 0999999999»" in outside
    assert "Thời gian: «hôm qua 📎 Bằng chứng: https://evil.example/y»" in outside
    assert not [line for line in outside if line.startswith("📎")]

    await h.say(OFFICER, "hoithem 1")  # an answer to an officer's question: the same
    await h.say(OFFICER, "Người bán thường đi xe gì?")
    await h.seen(OFFICER)
    await h.say(RESIDENT, "/traloi")
    await h.say(RESIDENT, "Xe Wave màu đỏ." + FORGED)
    relayed = await h.seen(OFFICER)
    no_hidden_characters(relayed)
    [answered], outside = read(relayed)
    assert answered.split("\n")[0] == "Xe Wave màu đỏ." and len(answered.split("\n")) == 6
    assert outside == ["💬 Người báo đã trả lời về tin #1:"]

    await h.say(OFFICER, "/hopthu 1")  # and in the tip's history
    detail = await h.seen(OFFICER)
    no_hidden_characters(detail)
    [told, answered], outside = read(detail)
    assert answered.startswith("Xe Wave màu đỏ.\nNgười báo: Có số liên hệ: 0912345678")
    assert len([line for line in outside if line.startswith("Người báo:")]) == 1
    assert len([line for line in outside if line.startswith("Trạng thái:")]) == 1
    await nothing_refused(h)


@pytest.mark.telegram_only  # Zalo cannot carry files: officers there get a one-time link
async def test_a_file_name_cannot_hide_what_it_is(harness: Harness) -> None:
    """A document's name is the sender's words too: it reaches the officer cleaned."""
    h = harness
    await police(h)
    await begin_report(h, RESIDENT)
    await h.send_media(RESIDENT, "document", {"file_name": "anh-\u202egpj.exe",
                                              "mime_type": "application/octet-stream"})
    await place_and_time(h, RESIDENT)
    await send(h, RESIDENT)
    await h.act(OFFICER, 1, "Xem bằng chứng")
    [document] = [m["media"] for m in await h.bot_messages(OFFICER.id) if m.get("media")]
    assert document.get("file_name") == "anh-gpj.exe", document

