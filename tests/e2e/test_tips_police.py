"""The commune police at work: every officer action, who may act, the mailbox and statistics,
deadlines with reminders and escalations, follow-up both ways, status lookups, duplicates;
notices only to those who hold the tip now (revoked roles, transfers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Evidence, IdentityMode, Person, Role, TipEvent
from bot.services import areas, demo, people
from bot.services.tips import cards, intake, sealed
from content import tips as words
from content.start import HELP
from tests.conftest import every_channel
from tests.e2e.tipkit import (
    DESCRIPTION,
    enrol,
    events,
    file_report,
    police,
    second_commune,
    the_tip,
)
from tests.harness import CHIEF, OFFICER, OFFICER_OTHER, RESIDENT, RESIDENT_2, Harness, User

STRANGER = User(7001, "Lạ", "Người")


@pytest.fixture(params=["telegram", "zalo", "zalo-window"])
def channel(request: pytest.FixtureRequest) -> str:
    """Every test here runs on Telegram, on Zalo (text only), and on Zalo with its 48-hour
    contact window enforced by the sandbox (officers' cards, notices and reminders are what
    the window holds back), unless marked otherwise."""
    return every_channel(request)


def name(h: Harness, user: User) -> str:
    """How the messenger tells the bot a person's name (Telegram: first then last)."""
    if h.zalo:
        return f"{user.last_name} {user.first_name}"
    return f"{user.first_name} {user.last_name}"


async def _tick(h: Harness) -> None:
    await h.app.ticker.tick()
    await h.settle()


@pytest.mark.pg
async def test_accept_verify_handle_here_extend_close(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.seen(RESIDENT)
    await h.act(OFFICER, 1, "Tiếp nhận")
    assert (await h.seen(RESIDENT))[-1].endswith("có cập nhật: Đang được xử lý.")
    if not h.zalo:  # the card is edited in place where the messenger can
        card = (await h.bot_messages(OFFICER.id))[-1]
        assert f"Trạng thái: Đã tiếp nhận — phụ trách: {name(h, OFFICER)}" in card["text"]
        assert "Tiếp nhận" not in h.buttons(card)
    await h.act(OFFICER, 1, "Đang xác minh")
    # only the chief assigns handling at the commune
    await h.act(OFFICER, 1, "Giải quyết tại xã")
    assert await h.last_text(OFFICER) == words.ONLY_CHIEF
    await h.act(CHIEF, 1, "Giải quyết tại xã")
    await h.choose(CHIEF, name(h, OFFICER))
    await h.choose(CHIEF, words.COMPLEX_NO)
    tip = await the_tip(h)
    assert tip.status == "handled_here" and tip.deadline_at == tip.created_at + timedelta(days=20)
    await h.say(OFFICER, "giahan 1")
    await h.choose(OFFICER, words.EXTENSION_BASES["complex"])
    tip = await the_tip(h)
    assert tip.extended and tip.deadline_at == tip.created_at + timedelta(days=80)
    await h.say(OFFICER, "giahan 1")
    assert await h.last_text(OFFICER) == words.ALREADY_EXTENDED.format(ref=1)
    await h.say(OFFICER, "ketthuc 1")
    await h.choose(OFFICER, words.OUTCOMES["administrative"])
    await h.say(OFFICER, "Đã xử phạt hành chính theo quy định.")
    tip = await the_tip(h)
    assert tip.status == "closed" and tip.outcome == "administrative"
    notices = await h.seen(RESIDENT)
    assert notices[-1].startswith("🔔 Tin báo bạn gửi lúc") and "Đã có kết quả" in notices[-1]
    assert "xử lý vi phạm hành chính" in notices[-1]
    assert "Đã xử phạt hành chính" in notices[-1]
    kinds = [e.kind for e in await events(h)]
    assert kinds[:1] == ["received"]
    for kind in ("accept", "verify", "here", "extend", "close"):
        assert kind in kinds
    assert all(e.actor_person_id for e in await events(h) if e.kind != "received")
    if h.zalo:  # no edits on Zalo: the other officers get a one-line update instead
        assert any(t.startswith("Đã ghi nhận: tin #1") for t in await h.seen(CHIEF))
    else:  # every card was kept up to date: the chief's card shows the end too
        assert "Đã kết thúc (Chuyển xử lý hành chính)" in (
            await h.bot_messages(CHIEF.id))[1]["text"]


async def test_forward_to_the_investigation_body_and_follow_up(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "tiepnhan 1")
    await h.say(OFFICER, "chuyencqdt 1")
    await h.choose(OFFICER, words.BODY_OTHER)
    await h.say(OFFICER, "Cơ quan CSĐT Công an tỉnh Thử Nghiệm")
    tip = await the_tip(h)
    assert tip.status == "forwarded" and tip.forwarded_to.startswith("Cơ quan CSĐT")
    assert "Đã chuyển cơ quan điều tra" in (await h.seen(RESIDENT))[-1]
    await h.seen(OFFICER), await h.seen(CHIEF)
    h.clock.advance(timedelta(days=20, minutes=1))
    await _tick(h)
    if h.window:  # silent for 20 days: on Zalo the reminder waits for the officer to write
        assert await h.seen(OFFICER) == []
        await h.say(OFFICER, "xin chào")
        followup, _reply = await h.seen(OFFICER)
    else:
        [followup] = await h.seen(OFFICER)
    assert followup.startswith("📌 Tin #1 đã chuyển Cơ quan CSĐT")
    assert await h.seen(CHIEF) == []  # a gentle reminder, no escalation


@pytest.mark.pg
@pytest.mark.parametrize("who", ["stranger", "other_commune", "revoked"])
async def test_only_officers_of_the_commune_may_act_or_look(harness: Harness, who: str) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    if who == "other_commune":  # a police officer, of the commune next door
        await second_commune(h)
        await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER, "DEMO-XA-2")
        actor = OFFICER_OTHER
    elif who == "revoked":
        await revoke_officers(h)
        actor = OFFICER
    else:
        actor = STRANGER
    commands = [f"{names[0]} 1" for names in words.ACTION_COMMANDS.values()] + ["/hopthu 1"]
    for command in commands:
        await h.say(actor, command)
        reply = await h.last_text(actor)
        assert reply.startswith((words.NO_RIGHT, words.NOT_POLICE)), (command, reply)
    if who == "revoked" and not h.zalo:
        card = (await h.bot_messages(OFFICER.id))[1]
        await h.press(OFFICER, data="t|1.accept", message_id=card["message_id"], force=True)
        assert await h.last_text(OFFICER) == words.NO_RIGHT
    tip = await the_tip(h)
    assert tip.status == "received"
    assert [e.kind for e in await events(h)] == ["received"]


async def revoke_officers(h: Harness) -> None:
    async with h.app.rt.transaction() as session:
        for view in await people.list_grants(session, h.app.rt):
            if view.grant.role == Role.POLICE_OFFICER:
                await people.revoke_role(session, view.grant.id, now=h.clock.now(), by="test")


async def test_an_officer_revoked_mid_action_changes_nothing(harness: Harness) -> None:
    """The role is checked again when the action completes, not only when it starts."""
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "tiepnhan 1")
    await h.say(OFFICER, "ketthuc 1")
    await revoke_officers(h)
    await h.choose(OFFICER, words.OUTCOMES["unfounded"])
    assert await h.last_text(OFFICER) in (words.NO_RIGHT, words.NOT_POLICE)
    tip = await the_tip(h)
    assert tip.status == "accepted"
    assert [e.kind for e in await events(h)] == ["received", "accept"]


async def test_double_press_acts_once(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    if h.zalo:  # the same command sent twice
        await h.say(OFFICER, "tiepnhan 1", settle=False)
        await h.say(OFFICER, "tiepnhan 1")
    else:  # the same button pressed twice before the card changes
        card = (await h.bot_messages(OFFICER.id))[-1]
        await h.press(OFFICER, data="t|1.accept", message_id=card["message_id"], force=True,
                      settle=False)
        await h.press(OFFICER, data="t|1.accept", message_id=card["message_id"], force=True)
    assert [e.kind for e in await events(h)].count("accept") == 1
    assert await h.last_text(OFFICER) == words.NOT_ALLOWED_NOW.format(
        ref=1, status="Đã tiếp nhận", action="Tiếp nhận")


async def test_transfer_keeps_history_and_moves_access(harness: Harness) -> None:
    h = harness
    await police(h)
    await second_commune(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER, "DEMO-XA-2")
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "chuyenxa 1")
    await h.say(OFFICER, "hoa binh")
    assert (await h.last_text(OFFICER)).startswith("Đã chuyển tin #1 sang Xã Hòa Bình")
    assert (await h.seen(OFFICER_OTHER))[-1].startswith("📥 Tin báo #1")
    await h.say(OFFICER, "tiepnhan 1")
    assert await h.last_text(OFFICER) == words.NO_RIGHT
    await h.say(OFFICER_OTHER, "tiepnhan 1")
    tip = await the_tip(h)
    assert tip.status == "accepted"
    kinds = [e.kind for e in await events(h)]
    assert kinds == ["received", "transfer", "accept"]


async def revoke(h: Harness, user: User) -> None:
    """`binhyen roles revoke` for every role `user` holds."""
    rt = h.app.rt
    async with rt.transaction() as session:
        person = (await session.scalars(select(Person).where(
            Person.user_ref == people.user_ref(rt, h.channel, str(user.id))))).one()
        for grant in await people.active_roles(session, person.id, h.clock.now()):
            await people.revoke_role(session, grant.id, now=h.clock.now(), by="test")


async def card_of(h: Harness, user: User, ref: int = 1) -> str:
    """On Telegram: what the officer's first card of the tip shows now (edits included)."""
    messages = await h.bot_messages(user.id)
    first = next(i for i, m in enumerate(messages) if f"#{ref}" in m["text"]
                 and (m["text"].startswith("📥") or m["text"] == words.CARD_WITHDRAWN.format(
                     ref=ref)))
    return str(messages[first]["text"])


async def test_a_revoked_officer_hears_no_more_of_the_tip(harness: Harness) -> None:
    """Notices go only to those who hold the tip now. Zalo cannot edit, so a colleague's action
    is a one-line notice to the other officers — not to one whose role was revoked. Telegram
    closes that officer's card once, to a line without the tip's details."""
    h = harness
    await police(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER)
    await file_report(h, RESIDENT)
    for user in (OFFICER, OFFICER_OTHER, CHIEF):
        await h.seen(user)
    await revoke(h, OFFICER_OTHER)
    await h.act(OFFICER, 1, "Tiếp nhận")
    await h.act(OFFICER, 1, "Đang xác minh")
    assert await h.seen(OFFICER_OTHER) == []
    if h.zalo:
        assert [t for t in await h.seen(CHIEF) if t.startswith("Đã ghi nhận: tin #1")] == [
            "Đã ghi nhận: tin #1 — Tiếp nhận.", "Đã ghi nhận: tin #1 — Đang xác minh."]
    else:
        assert await card_of(h, OFFICER_OTHER) == words.CARD_WITHDRAWN.format(ref=1)
        assert "Đang xác minh" in await card_of(h, CHIEF)
        transcript = " ".join(m["text"] for m in await h.bot_messages(OFFICER_OTHER.id))
        assert DESCRIPTION not in transcript and "Hẻm 12" not in transcript


async def test_after_a_transfer_the_old_commune_hears_no_more(harness: Harness) -> None:
    h = harness
    await police(h)
    await second_commune(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER, "DEMO-XA-2")
    await file_report(h, RESIDENT)
    for user in (OFFICER, CHIEF):
        await h.seen(user)
    await h.say(OFFICER, "chuyenxa 1")
    await h.say(OFFICER, "hoa binh")
    assert (await h.seen(OFFICER))[-1].startswith("Đã chuyển tin #1 sang Xã Hòa Bình")
    await h.act(OFFICER_OTHER, 1, "Tiếp nhận")
    assert await h.seen(OFFICER) == [] and await h.seen(CHIEF) == []
    if not h.zalo:  # the old commune's cards were closed, their details gone
        for user in (OFFICER, CHIEF):
            assert await card_of(h, user) == words.CARD_WITHDRAWN.format(ref=1)
    assert (await the_tip(h)).status == "accepted"


async def test_on_zalo_officers_are_told_to_write_daily(harness: Harness) -> None:
    """In the welcome of a police invite and in /help: on Zalo (its 48-hour window), writing
    to the bot daily keeps the cards coming; elsewhere, and to residents, nothing is said."""
    h = harness
    note = "\n\n" + words.KEEP_IN_TOUCH.format(hours=48)
    await police(h)
    welcome = [m["text"] for m in await h.bot_messages(h.chat_of(CHIEF))
               if m["text"].startswith("Xong! Bạn đã nhận vai trò")]
    await h.say(OFFICER, "/help")
    told = await h.last_text(OFFICER)
    await h.say(RESIDENT, "/help")
    assert await h.last_text(RESIDENT) == HELP
    if h.zalo:
        assert welcome[0].endswith(note) and told == HELP + note
        assert "Zalo" in note and "mỗi ngày" in note
    else:
        assert not welcome[0].endswith(note) and told == HELP


@pytest.mark.pg
async def test_deadlines_remind_then_escalate(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.seen(OFFICER), await h.seen(CHIEF)
    h.clock.advance(timedelta(hours=1, minutes=31))
    await _tick(h)
    assert (await h.seen(OFFICER))[-1].startswith("⏰ Đồng chí lưu ý: tin #1")
    h.clock.advance(timedelta(minutes=30))
    await _tick(h)
    assert (await h.seen(CHIEF))[-1].startswith("🚨 Tin #1 (Ma túy) đã quá hạn tiếp nhận")
    if not h.zalo:
        assert "ĐÃ QUÁ HẠN" in (await h.bot_messages(OFFICER.id))[1]["text"]
    await h.say(OFFICER, "/hopthu quahan")
    assert "#1 · Ma túy · Mới — ĐÃ QUÁ HẠN" in await h.last_text(OFFICER)
    # accepting sets the next deadline: forward within 24 hours of receipt
    await h.say(OFFICER, "tiepnhan 1")
    tip = await the_tip(h)
    assert not tip.overdue and tip.deadline_at == tip.created_at + timedelta(hours=24)


@pytest.mark.parametrize("path", ["forward", "forward_remote", "decide", "decide_complex",
                                  "decide_extended"])
async def test_each_deadline_reminds_the_assignee_then_escalates_to_the_chief(
        harness: Harness, path: str) -> None:
    """The deadline table with the fake clock: a reminder at three quarters of the span to the
    officer in charge only, then at the deadline an escalation to the chief only."""
    h = harness
    if h.zalo and path != "forward":
        pytest.skip("the table is the channel's business only in its texts: one path on Zalo")
    await police(h)
    await enrol(h, OFFICER_OTHER, Role.POLICE_OFFICER)  # a second officer of the same commune
    if path == "forward_remote":
        async with h.app.rt.transaction() as session:
            (await areas.by_code(session, demo.DEMO_COMMUNE)).is_remote = True
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "tiepnhan 1")
    span, what = timedelta(hours=48 if path == "forward_remote" else 24), "forward"
    if path.startswith("decide"):
        await h.act(CHIEF, 1, "Giải quyết tại xã")
        await h.choose(CHIEF, name(h, OFFICER))
        complex_case = path == "decide_complex"
        await h.choose(CHIEF, words.COMPLEX_YES if complex_case else words.COMPLEX_NO)
        span, what = timedelta(days=60 if complex_case else 20), "decide"
        if path == "decide_extended":
            await h.say(OFFICER, "giahan 1")
            await h.choose(OFFICER, words.EXTENSION_BASES["complex"])
            span += timedelta(days=60)
    tip = await the_tip(h)
    assert tip.deadline_at == tip.created_at + span
    for user in (OFFICER, OFFICER_OTHER, CHIEF):
        await h.seen(user)
    h.clock.advance(tip.created_at + span * 0.75 + timedelta(minutes=1) - h.clock.now())
    await _tick(h)
    [reminder] = await h.seen(OFFICER)
    assert reminder.startswith(f"⏰ Đồng chí lưu ý: tin #1 (Ma túy) cần {words.DEADLINE_WHAT[what]}")
    assert await h.seen(OFFICER_OTHER) == [] and await h.seen(CHIEF) == []
    h.clock.advance(tip.created_at + span + timedelta(minutes=1) - h.clock.now())
    await _tick(h)
    escalation = [t for t in await h.seen(CHIEF) if t.startswith("🚨")]
    assert escalation and f"đã quá hạn {words.DEADLINE_WHAT[what]}" in escalation[0]
    assert not [t for t in await h.seen(OFFICER_OTHER) if t.startswith(("🚨", "⏰"))]
    assert (await the_tip(h)).overdue
    assert "escalation" in [e.kind for e in await events(h)]


async def test_follow_up_both_ways_for_a_linked_reporter(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.seen(RESIDENT)
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, "Người bán thường đi xe máy màu gì?")
    assert await h.last_text(OFFICER) == words.QUESTION_SENT.format(ref=1)
    [question] = await h.seen(RESIDENT)
    assert "«Người bán thường đi xe máy màu gì?»" in question and "Trần" not in question
    if h.zalo:
        await h.say(RESIDENT, "traloi")  # no button on a text-only messenger
    else:
        await h.choose(RESIDENT, "Trả lời")
    await h.say(RESIDENT, "Xe Wave màu đỏ, biển số mờ.")
    assert await h.last_text(RESIDENT) == words.ANSWER_SENT
    assert (await h.seen(OFFICER))[-1] == words.REPORTER_ANSWERED.format(
        ref=1, words=cards.reporter_words("Xe Wave màu đỏ, biển số mờ."))
    await h.say(RESIDENT, "/traloi")
    assert await h.last_text(RESIDENT) == words.NO_QUESTION


async def test_follow_up_for_a_fully_anonymous_reporter(harness: Harness) -> None:
    h = harness
    await police(h)
    receipt = await file_report(h, RESIDENT, identity="Giấu tên tuyệt đối")
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, "Bạn có thấy biển số xe không?")
    assert await h.last_text(OFFICER) == words.QUESTION_QUEUED.format(ref=1)
    await h.say(RESIDENT, f"/tracuu {receipt.code}")
    assert await h.last_text(RESIDENT) == words.ASK_PIN
    await h.say(RESIDENT, receipt.pin or "")
    view = await h.last_text(RESIDENT)
    assert "Trạng thái: Đã tiếp nhận" in view and "«Bạn có thấy biển số xe không?»" in view
    await h.choose(RESIDENT, "Trả lời")
    await h.say(RESIDENT, "Không thấy rõ.")
    assert (await h.seen(OFFICER))[-1].endswith("\n│ Không thấy rõ.\n—— Hết lời người báo ——")


async def test_a_photo_answers_a_question_and_joins_the_tip(harness: Harness) -> None:
    """Media answers too, from a fully anonymous reporter: the file joins the tip's thread,
    reaches the officer with the rest of the evidence, and ties back to no account."""
    h = harness
    await police(h)
    receipt = await file_report(h, RESIDENT, identity="Giấu tên tuyệt đối")
    await h.say(OFFICER, "hoithem 1")
    await h.say(OFFICER, "Bạn chụp được ảnh chiếc xe không?")
    await h.say(RESIDENT, f"/tracuu {receipt.code}")
    await h.say(RESIDENT, receipt.pin or "")
    await h.choose(RESIDENT, "Trả lời")
    await h.seen(OFFICER)
    await h.send_photo(RESIDENT)
    assert await h.last_text(RESIDENT) == words.ANSWER_SENT
    assert words.REPORTER_ANSWERED_MEDIA.format(ref=1, count=1) in await h.seen(OFFICER)
    async with h.app.rt.db.reading() as session:
        [row] = (await session.scalars(select(Evidence))).all()
        answer = next(e for e in await events(h) if e.kind == "answer")
    assert (row.tip_id, row.event_id, row.owner_ref) == (1, answer.id, "")
    await h.say(OFFICER, "bangchung 1")
    if not h.zalo:
        assert [m["media"]["kind"] for m in await h.bot_messages(OFFICER.id)
                if m.get("media")] == ["photo"]


async def test_a_mistyped_code_is_explained_and_asked_again(harness: Harness) -> None:
    """Only the shape is judged (no code has it), so nothing is told about any tip."""
    h = harness
    await police(h)
    receipt = await file_report(h, RESIDENT)
    await h.say(RESIDENT, "/tracuu abc")
    assert (await h.seen(RESIDENT))[-2:] == [words.CODE_MALFORMED.format(typed="abc"),
                                             words.ASK_CODE]
    await h.say(RESIDENT, receipt.code + " thừa")
    assert (await h.last_text(RESIDENT)).startswith(
        words.CODE_MALFORMED.format(typed=receipt.code + " thừa"))
    await h.say(RESIDENT, receipt.code)
    assert "Trạng thái: Đã tiếp nhận" in await h.last_text(RESIDENT)


@pytest.mark.pg
async def test_status_right_wrong_other_account_and_guessing(harness: Harness) -> None:
    h = harness
    await police(h)
    receipt = await file_report(h, RESIDENT)
    await h.say(RESIDENT, f"/tracuu {receipt.code.lower()}")
    view = await h.last_text(RESIDENT)
    assert view.startswith("Tin báo gửi lúc") and "Trạng thái: Đã tiếp nhận" in view
    assert DESCRIPTION not in view
    # someone else holding the code: asked for a PIN, then the same answer as a wrong code
    await h.say(RESIDENT_2, f"/tracuu {receipt.code}")
    assert await h.last_text(RESIDENT_2) == words.ASK_PIN
    await h.say(RESIDENT_2, "123456")
    other = await h.last_text(RESIDENT_2)
    await h.say(RESIDENT_2, "/tracuu TB-22222-22222")
    await h.say(RESIDENT_2, "123456")
    assert await h.last_text(RESIDENT_2) == other == words.NOT_FOUND
    for attempt in range(8):  # ten wrong lookups in all lock the account out
        await h.say(RESIDENT_2, f"/tracuu TB-33333-{attempt:05d}")
        await h.say(RESIDENT_2, "000000")
    await h.say(RESIDENT_2, f"/tracuu {receipt.code}")
    assert await h.last_text(RESIDENT_2) == words.LOCKED.format(minutes=30)
    # the reporter is not locked out by someone else's guessing
    await h.say(RESIDENT, f"/tracuu {receipt.code}")
    assert (await h.last_text(RESIDENT)).startswith("Tin báo gửi lúc")


async def test_mailbox_filters_pages_and_views_are_recorded(harness: Harness) -> None:
    h = harness
    await police(h)
    for _ in range(3):
        await file_report(h, RESIDENT, address=None)
    for _ in range(2):
        await file_report(h, RESIDENT_2, address=None)
    await h.say(OFFICER, "tiepnhan 2")
    await h.say(OFFICER, "/hopthu")
    listing = await h.last_text(OFFICER)
    assert listing.startswith("📬 Hộp thư tin báo — đang mở (trang 1/1)")
    # the most urgent deadline first: #2 was accepted, its next deadline is later
    lines = [line.split(" ·")[0] for line in listing.splitlines()[1:6]]
    assert lines == ["#1", "#3", "#4", "#5", "#2"]
    await h.say(OFFICER, "/hopthu moi")
    assert "#2 ·" not in await h.last_text(OFFICER)
    await h.say(OFFICER, "/hopthu cuatoi")
    assert "#2 · Ma túy · Đã tiếp nhận" in await h.last_text(OFFICER)
    await h.say(OFFICER, "/hopthu")
    await h.choose(OFFICER, "#4")
    detail = await h.last_text(OFFICER)
    assert detail.startswith("📥 Tin báo #4") and "Lịch sử:" in detail
    async with h.app.rt.db.reading() as session:
        views = (await session.scalars(select(TipEvent).where(
            TipEvent.kind == "view", TipEvent.tip_id == 4))).all()
    assert len(views) == 1 and views[0].actor_person_id is not None
    await h.say(RESIDENT, "/hopthu")
    assert (await h.last_text(RESIDENT)).startswith(words.NOT_POLICE)  # and the menu
    await h.say(OFFICER, "/thongke")
    stats = await h.last_text(OFFICER)
    assert "• Tiếp nhận: 5 (chưa có xã nhận: 0)" in stats
    assert "Mới: 4" in stats and "Đã tiếp nhận: 1" in stats
    assert "Thời gian tiếp nhận (trung vị): 0,0 giờ" in stats
    await h.say(OFFICER, "/thongke 31/02/2026")
    assert await h.last_text(OFFICER) == words.STATS_BAD_DATE.format(first=2000, last=2100)
    await h.say(OFFICER, "/hopthu quá hạn")  # with diacritics and a space
    assert (await h.last_text(OFFICER)).startswith("📬 Hộp thư tin báo — quá hạn")
    await h.say(OFFICER, "/hopthu xyz")
    assert await h.last_text(OFFICER) == words.MAILBOX_UNKNOWN_FILTER.format(typed="xyz")


async def test_internal_notes_stay_with_the_police(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await h.seen(RESIDENT)
    await h.say(OFFICER, "ghichu 1")
    await h.say(OFFICER, "Đã hỏi tổ trưởng, xác nhận có người lạ ra vào.")
    assert await h.last_text(OFFICER) == words.DONE_ACTION.format(ref=1,
                                                                  action="Ghi chú nội bộ")
    note = [e for e in await events(h) if e.kind == "note"]
    assert len(note) == 1 and not note[0].public and note[0].body_enc is not None
    await h.say(CHIEF, "/hopthu 1")
    assert "Đã hỏi tổ trưởng" in await h.last_text(CHIEF)
    assert await h.seen(RESIDENT) == []  # the reporter hears nothing of it


@pytest.mark.parametrize("outcome", [k for k in words.OUTCOMES if k != "duplicate"])
async def test_every_outcome_closes_the_tip_and_tells_the_reporter_in_plain_words(
        harness: Harness, outcome: str) -> None:
    h = harness
    if h.zalo and outcome != "prosecuted":
        pytest.skip("outcomes are the channel's business only in their texts: one on Zalo")
    await police(h)
    await file_report(h, RESIDENT)
    await h.say(OFFICER, "tiepnhan 1")
    await h.seen(RESIDENT)
    await h.say(OFFICER, "ketthuc 1")
    await h.choose(OFFICER, words.OUTCOMES[outcome])
    await h.choose(OFFICER, words.NO_NOTE)
    tip = await the_tip(h)
    assert tip.status == "closed" and tip.outcome == outcome and tip.next_due is None
    [notice] = await h.seen(RESIDENT)
    assert words.OUTCOMES_FOR_RESIDENT[outcome] in notice


async def test_a_duplicate_names_another_tip_of_the_same_commune(harness: Harness) -> None:
    h = harness
    await police(h)
    await second_commune(h)
    await file_report(h, RESIDENT)  # 1
    await file_report(h, RESIDENT, commune="Xã Hòa Bình", village="Không rõ")  # 2, next door
    await file_report(h, RESIDENT)  # 3
    await h.say(OFFICER, "tiepnhan 3")
    await h.say(OFFICER, "ketthuc 3")
    await h.choose(OFFICER, words.OUTCOMES["duplicate"])
    assert await h.last_text(OFFICER) == words.ASK_DUPLICATE.format(ref=3)
    for typed in ("3", "2", "99", "mười"):  # itself, another commune's, unknown, not a number
        await h.say(OFFICER, typed)
        assert (await h.last_text(OFFICER)).startswith(
            words.DUPLICATE_INVALID.format(typed=typed))
    assert (await the_tip(h, 3)).status == "accepted"
    await h.say(OFFICER, "#1")
    await h.choose(OFFICER, words.NO_NOTE)
    tip = await the_tip(h, 3)
    assert tip.status == "closed" and tip.outcome == "duplicate"
    assert [e for e in await events(h, 3) if e.kind == "close"]


async def more_tips(h: Harness, count: int) -> None:
    """Tips straight through the service, for tests about many of them (a report's own steps
    are tested in test_tips_report.py, and ten of them cost a test ten seconds)."""
    rt = h.app.rt
    async with rt.transaction() as session:
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        ref = people.user_ref(rt, h.channel, str(RESIDENT.id))  # a resident who has reported
        reporter = (await session.scalars(select(Person).where(Person.user_ref == ref))).one()
        for index in range(count):
            draft = sealed.Draft("drugs", f"Tin thử số {index}: có người lạ mặt.", "Hôm qua",
                               IdentityMode.LINKED, incident_area_id=commune.id)
            h.clock.advance(timedelta(hours=1, seconds=1))  # the hourly limit
            await intake.submit(session, rt, draft, reporter, reporter.user_ref)


async def test_the_mailbox_pages_through_many_tips(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT)
    await more_tips(h, 9)
    await h.say(OFFICER, "/hopthu")
    first = await h.last_text(OFFICER)
    assert first.startswith("📬 Hộp thư tin báo — đang mở (trang 1/2)")
    listed = [line.split(" ·")[0] for line in first.splitlines()[1:] if line.startswith("#")]
    assert len(listed) == 8
    await h.choose(OFFICER, words.NEXT_PAGE)
    second = await h.last_text(OFFICER)
    assert second.startswith("📬 Hộp thư tin báo — đang mở (trang 2/2)")
    rest = [line.split(" ·")[0] for line in second.splitlines()[1:] if line.startswith("#")]
    assert sorted(listed + rest) == sorted(f"#{n}" for n in range(1, 11))
    await h.choose(OFFICER, words.PREV_PAGE)
    assert await h.last_text(OFFICER) == first


async def test_statistics_count_what_happened_in_the_period(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT, category="Trộm cắp, cướp giật")  # 1: accepted, forwarded
    await file_report(h, RESIDENT)  # 2: accepted, closed
    await file_report(h, RESIDENT)  # 3: left waiting, so overdue
    h.clock.advance(timedelta(hours=1))
    await h.say(OFFICER, "tiepnhan 1")
    h.clock.advance(timedelta(hours=2))
    await h.say(OFFICER, "tiepnhan 2")
    await h.say(OFFICER, "chuyencqdt 1")
    await h.choose(OFFICER, words.INVESTIGATION_BODIES["csdt"])
    await h.say(OFFICER, "ketthuc 2")
    await h.choose(OFFICER, words.OUTCOMES["unfounded"])
    await h.choose(OFFICER, words.NO_NOTE)
    await _tick(h)  # #3 is past its two hours
    today = h.clock.now().astimezone(h.app.rt.settings.tz).strftime("%d/%m/%Y")
    await h.say(OFFICER, f"/thongke {today} {today}")
    stats = await h.last_text(OFFICER)
    assert "• Tiếp nhận: 3 (chưa có xã nhận: 0)" in stats
    assert "Trộm cắp, cướp giật: 1" in stats and "Ma túy: 2" in stats
    assert "• Đang quá hạn: 1" in stats
    assert "• Chuyển CQĐT trong hạn: 1/1" in stats
    assert "• Tỉ lệ giải quyết: 33%" in stats
    assert "• Thời gian tiếp nhận (trung vị): 2,0 giờ" in stats  # 1 h and 3 h
    assert "• Thời gian chuyển CQĐT (trung vị): 3,0 giờ" in stats
    later = (h.clock.now() + timedelta(days=30)).astimezone(h.app.rt.settings.tz)
    await h.say(OFFICER, f"/thongke {later:%d/%m/%Y} {today}")  # the other way round
    assert f"{today} – {later:%d/%m/%Y}" in (swapped := await h.last_text(OFFICER))
    assert "• Tiếp nhận: 3" in swapped
    tomorrow = (h.clock.now() + timedelta(days=1)).astimezone(h.app.rt.settings.tz)
    await h.say(OFFICER, f"/thongke {tomorrow:%d/%m/%Y}")
    assert "• Tiếp nhận: 0" in await h.last_text(OFFICER)
