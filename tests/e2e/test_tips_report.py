"""A resident reports a tip: every identity mode, cancel and back, wrong input at every step,
restart mid-report, groups, emergencies, routing and the fallback mailbox, the daily limit,
and nothing stored that times a fully anonymous reporter."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.clock import VIETNAM, FakeClock, to_local
from bot.config import Settings
from bot.db import Database
from bot.models import (
    Evidence,
    GuardCounter,
    IdentityMode,
    InboxUpdate,
    OutboxMessage,
    Person,
    Role,
    TipCard,
    TipReporter,
)
from bot.services import demo, people
from bot.services.tips import intake, sealed
from content import texts
from content import tips as words
from tests.conftest import every_channel
from tests.e2e.tipkit import (
    DESCRIPTION,
    enrol,
    file_report,
    fill_report,
    nothing_times,
    place_and_time,
    police,
    second_commune,
    send,
    the_tip,
    tip_count,
)
from tests.harness import (
    CHIEF,
    GROUP_CHAT,
    OFFICER,
    OFFICER_OTHER,
    RESIDENT,
    RESIDENT_2,
    Harness,
    User,
    start_harness,
)

DISPATCHER = User(9001, "Điều", "Phối")
SEND = "✅ Giấu tên, vẫn nhận thông báo"
IDENTITIES = {"Giấu tên, vẫn nhận thông báo": IdentityMode.LINKED,
              "Giấu tên tuyệt đối": IdentityMode.ANONYMOUS,
              "Để lại số điện thoại": IdentityMode.PHONE}


@pytest.fixture(params=["telegram", "zalo", "plain"])
def channel(request: pytest.FixtureRequest) -> str:
    """Every test here runs on Telegram, on Zalo (text only) and on the plain test messenger
    (text only, one module and one registry line: a channel is a plug-in), unless marked
    otherwise."""
    return every_channel(request)


@pytest.mark.pg
@pytest.mark.parametrize("identity", list(IDENTITIES))
async def test_report_in_each_identity_mode(harness: Harness, identity: str) -> None:
    await police(harness)
    phone = "0912 345 678" if IDENTITIES[identity] is IdentityMode.PHONE else None
    receipt = await file_report(harness, RESIDENT, identity=identity, phone=phone)
    assert receipt.text.startswith("✅ Bình Yên đã nhận tin báo của bạn và chuyển tới "
                                   "Công an xã Bình Yên.")
    anonymous = IDENTITIES[identity] is IdentityMode.ANONYMOUS
    assert (receipt.pin is not None) is anonymous
    tip = await the_tip(harness)
    assert tip.identity_mode == IDENTITIES[identity]
    async with harness.app.rt.db.reading() as session:
        link = await session.get(TipReporter, tip.id)
    assert (link is None) is anonymous
    for officer in (OFFICER, CHIEF):
        [card] = await harness.seen(officer)
        assert card.startswith("📥 Tin báo #1 — Ma túy")
        assert DESCRIPTION in card and "Hẻm 12" in card
        assert "—— Lời người báo ——" in card
        assert "An" not in card.split("—— Lời người báo ——")[0] and "Nguyễn" not in card
        assert receipt.code not in card
        assert ("0912345678" in card) is (phone is not None)
        assert words.IDENTITY_FOR_OFFICER[tip.identity_mode] in card


async def test_cancel_back_and_edit(harness: Harness) -> None:
    await police(harness)
    await harness.say(RESIDENT, "/baotin")
    await harness.choose(RESIDENT, "Trộm cắp, cướp giật")
    await harness.say(RESIDENT, "/quaylai")
    assert (await harness.last_text(RESIDENT)).startswith("📝 Báo tin cho công an")
    await harness.choose(RESIDENT, "Cờ bạc, cá độ")
    await harness.say(RESIDENT, "Có sòng bạc trong nhà kho cuối xóm.")
    await harness.say(RESIDENT, "/huy")
    assert await harness.last_text(RESIDENT) == texts.CANCELLED
    assert await tip_count(harness) == 0

    receipt_before = await tip_count(harness)
    await harness.say(RESIDENT, "/baotin")
    await harness.choose(RESIDENT, "Hủy")
    assert await harness.last_text(RESIDENT) == texts.CANCELLED
    assert await tip_count(harness) == receipt_before


async def test_review_edit_changes_the_part_chosen_and_comes_back(harness: Harness) -> None:
    h = harness
    await police(h)
    await fill_report(h, RESIDENT, village="Không rõ", address=None, when="Hôm nay")
    review = await h.last_text(RESIDENT)
    assert review.startswith("Bạn xem lại trước khi gửi") and "Xã Bình Yên" in review
    await h.choose(RESIDENT, words.EDIT)
    assert (await h.last_text(RESIDENT)).startswith(words.ASK_EDIT)
    await h.choose(RESIDENT, words.EDIT_PARTS["place"])
    await h.choose(RESIDENT, "Thôn Tây")
    review = await h.last_text(RESIDENT)  # straight back, nothing else asked again
    assert review.startswith("Bạn xem lại trước khi gửi") and "Thôn Tây" in review
    assert "• Thời gian: Hôm nay" in review
    await h.choose(RESIDENT, words.EDIT)
    await h.choose(RESIDENT, words.EDIT_PARTS["description"])
    await h.say(RESIDENT, "Có người bán ma túy ở cuối hẻm 12, tối nào cũng có.")
    assert "cuối hẻm 12" in await h.last_text(RESIDENT)
    await send(h, RESIDENT, "Giấu tên tuyệt đối")
    assert "Mã PIN:" in await h.last_text(RESIDENT)
    content = sealed.open_content(h.app.rt, await the_tip(h))
    assert content is not None and content.description.startswith("Có người bán ma túy ở cuối")


async def test_wrong_input_at_every_step_changes_nothing(harness: Harness) -> None:
    await police(harness)
    h, me = harness, RESIDENT
    await h.say(me, "/baotin")
    await h.say(me, "ừ")
    assert (await h.last_text(me)).startswith(texts.PICK_ONE)
    await h.say(me, "loại gì cũng được")
    assert (await h.last_text(me)).startswith(texts.PICK_ONE)
    await h.say(me, "1")  # a number answers on Telegram too
    await h.say(me, "ngắn")
    assert (await h.last_text(me)).startswith(words.DESCRIPTION_SHORT)
    await h.say(me, DESCRIPTION)
    await h.say(me, "không có ảnh đâu")  # words here are more of the story, never dropped
    assert (await h.last_text(me)).startswith(words.STORY_ADDED_NOT_PLACE)
    await h.say(me, "Xã Không Có Thật")
    assert (await h.last_text(me)).startswith(
        words.PLACE_NOT_FOUND.format(typed="Xã Không Có Thật"))
    await h.say(me, "Thôn Bắc")
    assert (await h.last_text(me)).startswith("Mình chưa tìm thấy nơi nào tên «Thôn Bắc»")
    await h.say(me, "ap dong")  # an old name of Thôn Đông, without diacritics
    await h.say(me, "số")
    assert (await h.last_text(me)).startswith(words.ADDRESS_SHORT)
    await h.say(me, "Gần chợ, số 5")
    await h.say(me, "tối qua lúc 8 giờ")
    await h.say(me, "gửi đi")
    assert (await h.last_text(me)).startswith(texts.PICK_ONE)
    await h.choose(me, "✅ Để lại số điện thoại")
    await h.say(me, "12345")
    assert (await h.last_text(me)).startswith(words.PHONE_INVALID)
    assert await tip_count(h) == 0
    await h.say(me, "+84 912 345 678")
    tip = await the_tip(h)
    content = sealed.open_content(h.app.rt, tip)
    assert content is not None and content.when == "tối qua lúc 8 giờ"
    assert content.address == "Gần chợ, số 5" and content.description.endswith("ảnh đâu")
    assert tip.category == "drugs" and tip.incident_area_id == 3  # Thôn Đông


async def test_restart_mid_report_continues(settings: Settings, db: Database,
                                            clock: FakeClock, channel: str) -> None:
    async with start_harness(settings, db, clock, channel=channel) as first:
        await police(first)
        await first.say(RESIDENT, "/baotin")
        await first.choose(RESIDENT, "Lừa đảo, lừa qua mạng")
    async with start_harness(settings, Database(settings.db_url), clock,
                             channel=channel) as second:
        await second.say(RESIDENT, "Có người gọi điện giả công an đòi chuyển tiền.")
        assert (await second.last_text(RESIDENT)).startswith(words.ASK_PLACE)


@pytest.mark.telegram_only
@pytest.mark.parametrize("command", ["/baotin", "/tracuu TB-AAAAA-BBBBB"])
async def test_in_a_group_only_a_link_to_the_private_chat(harness: Harness, command: str) -> None:
    sent = await harness.send(RESIDENT, command, chat=GROUP_CHAT, admin=True)
    [reply] = await harness.bot_messages(GROUP_CHAT)
    assert reply["text"].startswith(texts.PRIVATE_ONLY) and "?start=" in reply["text"]
    assert reply["reply_to_message_id"] is None
    transcript = await harness.transcript(GROUP_CHAT)
    assert next(m for m in transcript if m["message_id"] == sent["message_id"])["deleted"]
    assert await harness.bot_messages(RESIDENT.id) == []


async def test_danger_words_bring_the_emergency_numbers_first(harness: Harness) -> None:
    await police(harness)
    await harness.say(RESIDENT, "/baotin")
    await harness.choose(RESIDENT, "Đánh nhau, gây rối")
    await harness.say(RESIDENT, "Ngoài ngõ đang đánh nhau, có người cầm dao!")
    reply = await harness.last_text(RESIDENT)
    assert reply.startswith("⚠️ Nếu đang nguy hiểm, hãy gọi ngay 113")
    assert "114" in reply and "115" in reply
    assert "không phải đường dây khẩn cấp" in reply
    assert intake.sounds_urgent("dang danh nhau o cho")
    assert not intake.sounds_urgent("Có người bán hàng giả ở chợ mỗi sáng.")


@pytest.mark.telegram_only
async def test_police_team_group_gets_only_a_bare_card(harness: Harness) -> None:
    await police(harness)
    await harness.send(OFFICER, "/setup", chat=GROUP_CHAT, title="Trực ban CA xã")
    assert await harness.last_text(OFFICER, chat=GROUP_CHAT) == words.SETUP_NOT_CHIEF
    await harness.send(CHIEF, "/setup", chat=GROUP_CHAT, title="Trực ban CA xã")
    assert (await harness.last_text(CHIEF, chat=GROUP_CHAT)).startswith("Đã gắn nhóm này")
    receipt = await file_report(harness, RESIDENT)
    bare = await harness.last_text(CHIEF, chat=GROUP_CHAT)
    assert bare.startswith("📥 Tin báo #1 — Ma túy. Hạn tiếp nhận:")
    assert receipt.code not in bare and DESCRIPTION not in bare and "Hẻm" not in bare
    assert (await harness.bot_messages(GROUP_CHAT))[-1]["reply_markup"] is None


@pytest.mark.pg
async def test_no_officer_goes_to_the_dispatcher_and_is_counted(harness: Harness) -> None:
    await enrol(harness, DISPATCHER, Role.DISPATCHER, "DEMO-TINH")
    receipt = await file_report(harness, RESIDENT)
    assert "công an nơi xảy ra chưa dùng Bình Yên" in receipt.text and "113" in receipt.text
    [card] = await harness.seen(DISPATCHER)
    assert "Chưa có xã nhận" in card
    tip = await the_tip(harness)
    assert tip.routed_to_fallback and tip.fallback_reason == "no_officer"
    await harness.say(DISPATCHER, "/thongke")
    assert "chưa có xã nhận: 1" in await harness.last_text(DISPATCHER)


async def test_unknown_place_goes_to_the_dispatcher(harness: Harness) -> None:
    await police(harness)
    await enrol(harness, DISPATCHER, Role.DISPATCHER, "DEMO-TINH")
    receipt = await file_report(harness, RESIDENT, commune="Không rõ / nơi khác")
    assert "nơi xảy ra chưa rõ" in receipt.text
    assert await harness.seen(OFFICER) == []
    assert len(await harness.seen(DISPATCHER)) == 1
    # the dispatcher sends it on to the right commune
    await harness.say(DISPATCHER, "chuyenxa 1")
    await harness.say(DISPATCHER, "Xã Bình Yên")
    assert (await harness.last_text(DISPATCHER)).startswith("Đã chuyển tin #1 sang Xã Bình Yên")
    [card] = await harness.seen(OFFICER)
    assert card.startswith("📥 Tin báo #1")
    tip = await the_tip(harness)
    assert not tip.routed_to_fallback and tip.status == "received"


async def test_so_many_tips_a_day_counted_from_midnight(harness: Harness,
                                                        settings: Settings) -> None:
    """TIPS_PER_DAY, per day in Vietnam: the counter's window opens at midnight, not at the
    first tip, so it keeps no time finer than the day (see the next test)."""
    h = harness
    settings.tips_per_day = 2
    await police(h)
    assert to_local(h.clock.now()).hour == 8
    for _ in range(2):
        await file_report(h, RESIDENT_2, address=None)
    await h.say(RESIDENT_2, "/baotin")
    assert await h.last_text(RESIDENT_2) == words.RATE_LIMITED.format(limit=2)
    midnight = datetime.combine(to_local(h.clock.now()).date() + timedelta(days=1), time(0),
                                VIETNAM)
    h.clock.set(midnight - timedelta(minutes=1))
    await h.say(RESIDENT_2, "/baotin")
    assert await h.last_text(RESIDENT_2) == words.RATE_LIMITED.format(limit=2)
    async with h.app.rt.db.reading() as session:
        [counter] = (await session.scalars(select(GuardCounter))).all()
    assert counter.window_start == midnight - timedelta(days=1)
    assert counter.expires_at == midnight
    h.clock.set(midnight)
    await h.say(RESIDENT_2, "/baotin")
    assert (await h.last_text(RESIDENT_2)).startswith("📝 Báo tin cho công an")
    assert await tip_count(h) == 2


async def test_an_officer_of_another_commune_never_gets_the_card(harness: Harness) -> None:
    await police(harness)
    await second_commune(harness)
    await enrol(harness, OFFICER_OTHER, Role.POLICE_OFFICER, "DEMO-XA-2")
    await file_report(harness, RESIDENT)
    assert await harness.seen(OFFICER_OTHER) == []


async def test_a_fully_anonymous_tip_keeps_no_tie_to_the_account_through_its_files(
        harness: Harness) -> None:
    """Evidence is drafted under the sender's keyed hash (the same one as their person row);
    once given to a tip that hash is gone, or one join would name an anonymous reporter."""
    h = harness
    await police(h)
    await file_report(h, RESIDENT, identity="Giấu tên tuyệt đối", photos=2)
    async with h.app.rt.db.reading() as session:
        accounts = set((await session.scalars(select(Person.user_ref))).all())
        files = (await session.scalars(select(Evidence))).all()
    assert [row.tip_id for row in files] == [1, 1]
    assert not {row.owner_ref for row in files} & accounts


async def test_a_double_confirm_files_one_tip(harness: Harness) -> None:
    """The confirm pressed twice before the review changes (or its number typed twice): one
    tip, one receipt, one card each."""
    h = harness
    await police(h)
    await fill_report(h, RESIDENT)
    if h.zalo:
        await send(h, RESIDENT, settle=False)
        await send(h, RESIDENT)
    else:
        review = await h.last_with_buttons(RESIDENT.id)
        await h.press(RESIDENT, SEND, message_id=review["message_id"], force=True, settle=False)
        await h.press(RESIDENT, SEND, message_id=review["message_id"], force=True)
    assert await tip_count(h) == 1
    receipts = [text for text in await h.seen(RESIDENT) if "Mã tiếp nhận" in text]
    assert len(receipts) == 1
    assert [len(await h.seen(officer)) for officer in (OFFICER, CHIEF)] == [1, 1]


async def test_the_aliases_and_the_menu_entry_start_the_same_report(harness: Harness) -> None:
    h = harness
    await police(h)
    for start in ("/tip", "/baotin", "menu"):
        if start == "menu":
            await h.say(RESIDENT, "/start")
            await h.choose(RESIDENT, "📝 Báo tin cho công an")
        else:
            await h.say(RESIDENT, start)
        assert (await h.last_text(RESIDENT)).startswith("📝 Báo tin cho công an")
        await h.say(RESIDENT, "/huy")
    receipt = await file_report(h, RESIDENT)
    await h.say(RESIDENT, f"/status {receipt.code}")
    assert "Trạng thái: Đã tiếp nhận" in await h.last_text(RESIDENT)


async def test_a_receipt_that_fails_to_send_is_retried_and_the_tip_is_already_safe(
        harness: Harness) -> None:
    """The tip commits first; the messenger refusing the receipt twice loses nothing."""
    h = harness
    await police(h)
    await fill_report(h, RESIDENT)
    await h.fault("5xx", method="sendMessage", chat_id=h.chat_of(RESIDENT), times=2, status=502)
    await send(h, RESIDENT, settle=False)
    await h.settle()
    assert await tip_count(h) == 1
    receipts = [t for t in await h.seen(RESIDENT) if "Mã tiếp nhận" in t]
    assert len(receipts) == 1
    assert (await h.stats())["faults_hit"] == 2


async def test_with_nobody_to_take_it_a_tip_is_still_kept_and_counted(harness: Harness) -> None:
    """No police in the commune and no dispatcher yet: the reporter is told plainly, shown 113,
    and the tip waits in the fallback mailbox for the first dispatcher."""
    h = harness
    async with h.app.rt.transaction() as session:
        await demo.seed_demo(session, h.app.rt)  # the places, and nobody to take the tip
    receipt = await file_report(h, RESIDENT)
    assert "113" in receipt.text
    tip = await the_tip(h)
    assert tip.routed_to_fallback and tip.fallback_reason == "no_officer"
    await enrol(h, DISPATCHER, Role.DISPATCHER, "DEMO-TINH")
    await h.say(DISPATCHER, "/hopthu")
    assert "#1 · Ma túy" in await h.last_text(DISPATCHER)


@pytest.mark.telegram_only
async def test_in_a_group_where_the_bot_may_not_delete_it_still_only_links(
        harness: Harness) -> None:
    await harness.send(RESIDENT, "/baotin", chat=GROUP_CHAT, admin=False)
    [reply] = await harness.bot_messages(GROUP_CHAT)
    assert reply["text"].startswith(texts.PRIVATE_ONLY) and "?start=" in reply["text"]
    assert reply["reply_to_message_id"] is None
    assert await harness.bot_messages(RESIDENT.id) == []


async def test_back_walks_every_step_to_the_start(harness: Harness) -> None:
    h = harness
    await police(h)
    await fill_report(h, RESIDENT, when="Hôm qua")
    await h.seen(RESIDENT)
    prompts = []
    for _ in range(12):
        await h.say(RESIDENT, "/quaylai")
        replies = await h.seen(RESIDENT)
        if replies[0] == texts.NOTHING_TO_GO_BACK:
            break
        prompts.append(replies[-1].splitlines()[0])
    # when, address, place, what happened, the notice with the category
    assert len(prompts) == 5, prompts
    assert prompts[-2] == words.ASK_DESCRIPTION.splitlines()[0], prompts
    assert prompts[-1].startswith("📝 Báo tin cho công an")
    # from the notice again: a new "when" replaces the old one, and the report still goes in
    await h.choose(RESIDENT, "Ma túy")
    await h.say(RESIDENT, DESCRIPTION)
    await place_and_time(h, RESIDENT, when="Hôm nay")
    await send(h, RESIDENT)
    content = sealed.open_content(h.app.rt, await the_tip(h))
    assert content is not None and content.when == "Hôm nay" and content.address == "Hẻm 12"


@pytest.mark.pg
async def test_a_week_on_nothing_times_a_fully_anonymous_reporter_to_the_tip(
        harness: Harness) -> None:
    """No row left says when the reporter's chat was busy: the receipt's record and the
    confirm's update are gone after INBOX_KEEP_DAYS, and people are seen to the day only.
    Officers' cards stay, so they can still be updated."""
    h = harness
    await police(h)
    h.clock.advance(timedelta(hours=9, minutes=17))  # well inside a day
    await file_report(h, RESIDENT, identity="Giấu tên tuyệt đối")
    tip = await the_tip(h)
    async with h.app.rt.db.reading() as session:
        [person] = (await session.scalars(select(Person).where(Person.user_ref == people.user_ref(
            h.app.rt, h.channel, str(RESIDENT.id))))).all()
    assert {person.created_at, person.last_seen_at} == {people.seen_day(tip.created_at)}
    h.clock.advance(timedelta(days=7, hours=1))
    await h.app.ticker.tick()
    async with h.app.rt.db.reading() as session:
        private = person.private_chat_id
        left = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == private))).all()
        updates = (await session.scalars(select(InboxUpdate))).all()
        cards = (await session.scalars(select(TipCard))).all()
    assert left == [] and updates == []
    assert len(cards) == 2
    await h.say(OFFICER, "tiepnhan 1")  # the cards are still there to update
    assert (await the_tip(h)).status == "accepted"


@pytest.mark.pg
async def test_at_once_nothing_stored_times_a_fully_anonymous_reporter(
        harness: Harness) -> None:
    """Not a week later: as soon as the receipt is delivered. With the key, the reporter's
    chat has no outbox row left, the tip counter's window opened at midnight, and handled
    updates name no sender and keep only their day."""
    h = harness
    await police(h)
    h.clock.advance(timedelta(hours=9, minutes=17))  # well inside a day
    await file_report(h, RESIDENT, identity="Giấu tên tuyệt đối")
    await nothing_times(h, RESIDENT)


async def test_a_file_or_a_back_with_nothing_under_way_gets_a_plain_answer(
        harness: Harness) -> None:
    h = harness
    await h.send_photo(RESIDENT)
    assert await h.last_text(RESIDENT) == texts.FILE_WITHOUT_TASK
    await h.say(RESIDENT, "/quaylai")
    assert (await h.last_text(RESIDENT)).startswith(texts.NOTHING_TO_GO_BACK_TO)  # + the menu
    assert await tip_count(h) == 0
