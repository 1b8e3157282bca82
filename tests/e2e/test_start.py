"""First conversations through the sandbox: welcome and menu, help, emergency numbers, roles,
invites, unknown input, groups, stale buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.models import Role, RoleGrant
from bot.services import areas, demo, people
from content import people as people_words
from content import start, texts
from tests.harness import CHIEF, GROUP_CHAT, OFFICER, RESIDENT, RESIDENT_2, Harness


async def _invite(h: Harness, role: Role = Role.POLICE_OFFICER,
                  valid_for: timedelta = timedelta(days=7)) -> tuple[int, str]:
    rt = h.app.rt
    async with rt.transaction() as session:
        if await session.scalar(select(func.count()).select_from(RoleGrant)) is None:
            pass
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        invite, token = await people.create_invite(
            session, rt, role=role, area=commune, created_by="test", valid_for=valid_for
        )
    return invite.id, token


async def _grants(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(RoleGrant)) or 0)


@pytest.mark.pg
async def test_start_shows_a_menu_whose_buttons_work(harness: Harness) -> None:
    await harness.send(RESIDENT, "/start")
    welcome = (await harness.bot_messages(RESIDENT.id))[-1]
    assert welcome["text"].startswith("Chào bạn, mình là Bình Yên")
    assert harness.buttons(welcome) == ["📝 Báo tin cho công an", "🔎 Tra cứu tin báo", "☎️ Số khẩn cấp",
                                        "❓ Hướng dẫn", "👤 Vai trò của tôi"]

    await harness.press(RESIDENT, "☎️ Số khẩn cấp")
    hotline = await harness.last_text(RESIDENT)
    for number in ("113", "114", "115", "111"):
        assert number in hotline
    answers = await harness.callback_answers(RESIDENT.id)
    assert len(answers) == 1


async def test_menu_answers_a_typed_number_too(harness: Harness) -> None:
    await harness.send(RESIDENT, "/start")
    await harness.send(RESIDENT, "3")
    assert "113" in await harness.last_text(RESIDENT)
    await harness.send(RESIDENT, "/start")
    await harness.send(RESIDENT, "huong dan")
    assert await harness.last_text(RESIDENT) == start.HELP


@pytest.mark.pg
async def test_invite_is_redeemed_once(harness: Harness) -> None:
    _, token = await _invite(harness)
    await harness.send(OFFICER, f"/start {token}")
    assert await harness.last_text(OFFICER) == start.INVITE_OK.format(
        role="cán bộ Công an xã", area="Xã Bình Yên"
    )
    assert await _grants(harness) == 1

    await harness.send(CHIEF, f"/start {token.lower()}")
    assert await harness.last_text(CHIEF) == people_words.INVITE_USED
    assert await _grants(harness) == 1

    await harness.send(OFFICER, "/vaitro")
    assert "cán bộ Công an xã — Xã Bình Yên" in await harness.last_text(OFFICER)
    await harness.send(OFFICER, "/hotline")
    assert "0123 456 789 — Công an xã Bình Yên" in await harness.last_text(OFFICER)


async def test_expired_revoked_and_unknown_invites_change_nothing(harness: Harness) -> None:
    _, expiring = await _invite(harness, valid_for=timedelta(hours=1))
    revoked_id, revoked = await _invite(harness)
    async with harness.app.rt.transaction() as session:
        await people.revoke_invite(session, revoked_id, harness.clock.now())
    harness.clock.advance(timedelta(hours=2))

    await harness.send(RESIDENT, f"/start {expiring}")
    assert await harness.last_text(RESIDENT) == people_words.INVITE_EXPIRED
    await harness.send(RESIDENT, f"/start {revoked}")
    assert await harness.last_text(RESIDENT) == people_words.INVITE_REVOKED
    await harness.send(RESIDENT, "/start ABCDEFGHJKMNPQRS")
    assert await harness.last_text(RESIDENT) == people_words.INVITE_UNKNOWN
    await harness.send(RESIDENT, "/start xin-chao")
    assert await harness.last_text(RESIDENT) == people_words.INVITE_UNKNOWN
    assert await _grants(harness) == 0
    await harness.send(RESIDENT, "/vaitro")
    assert (await harness.last_text(RESIDENT)).startswith(start.NO_ROLES)


async def test_unknown_input_in_private_gets_the_menu(harness: Harness) -> None:
    await harness.send(RESIDENT, "/khongcolenhnay")
    reply = (await harness.bot_messages(RESIDENT.id))[-1]
    assert reply["text"] == start.UNKNOWN_COMMAND.format(typed="/khongcolenhnay") + "\n" \
        + texts.MENU_AFTER
    assert harness.buttons(reply)[0] == "📝 Báo tin cho công an"
    await harness.send(RESIDENT, "x" * 4096)
    assert (await harness.last_text(RESIDENT)).startswith(texts.NOT_UNDERSTOOD)


async def test_commands_typed_without_slash_or_diacritics(harness: Harness) -> None:
    await harness.send(RESIDENT, "số khẩn cấp")
    assert "113" in await harness.last_text(RESIDENT)
    await harness.send(RESIDENT, "huongdan")
    assert await harness.last_text(RESIDENT) == start.HELP


@pytest.mark.pg
async def test_in_a_group_the_bot_speaks_only_when_addressed(harness: Harness) -> None:
    await harness.send(RESIDENT, "chào cả nhà", chat=GROUP_CHAT)
    await harness.send(RESIDENT, "/khongco", chat=GROUP_CHAT)
    await harness.send(RESIDENT, "/start@some_other_bot", chat=GROUP_CHAT)
    assert await harness.bot_messages(GROUP_CHAT) == []

    await harness.send(RESIDENT, "/start", chat=GROUP_CHAT)
    assert await harness.last_text(RESIDENT, chat=GROUP_CHAT) == start.WELCOME_GROUP
    await harness.send(RESIDENT, "/hotline@binhyen_bot", chat=GROUP_CHAT)
    assert "113" in await harness.last_text(RESIDENT, chat=GROUP_CHAT)


@pytest.mark.parametrize("admin", [True, False])
async def test_private_only_command_in_a_group_links_to_the_private_chat(
    harness: Harness, admin: bool
) -> None:
    sent = await harness.send(RESIDENT, "/vaitro", chat=GROUP_CHAT, admin=admin)
    message = (await harness.bot_messages(GROUP_CHAT))[-1]
    reply = message["text"]
    assert reply.startswith(texts.PRIVATE_ONLY)
    assert "https://t.me/" in reply and "?start=vaitro" in reply
    assert message["reply_to_message_id"] is None  # never quotes the sender
    assert "An" not in reply
    command = next(m for m in await harness.transcript(GROUP_CHAT)
                   if m["message_id"] == sent["message_id"])
    assert command["deleted"] is admin  # deleted where the bot may

    # the link opens the private chat and runs the command there
    await harness.send(RESIDENT, "/start vaitro")
    assert (await harness.last_text(RESIDENT)).startswith(start.NO_ROLES)


async def test_stale_and_forged_buttons_change_nothing(harness: Harness) -> None:
    await harness.send(RESIDENT, "/start")
    menu = await harness.last_with_buttons(RESIDENT.id)
    before = len(await harness.bot_messages(RESIDENT.id))
    await harness.press(RESIDENT, data="f999|drugs", message_id=menu["message_id"], force=True)
    await harness.press(RESIDENT, data="zz|anything", message_id=menu["message_id"], force=True)
    await harness.press(RESIDENT, data="c|/khongco", message_id=menu["message_id"], force=True)
    messages = await harness.bot_messages(RESIDENT.id)
    assert [m["text"] for m in messages[before:]] == [texts.STALE_BUTTON] * 3
    answers = await harness.callback_answers(RESIDENT.id)
    assert [a.get("text") for a in answers] == [texts.STALE_BUTTON_TOAST] * 3


async def test_someone_elses_button_in_a_group_is_stale_for_me(harness: Harness) -> None:
    await harness.send(RESIDENT, "/start", chat=GROUP_CHAT)
    await harness.send(RESIDENT_2, "/hotline", chat=GROUP_CHAT)
    assert len(await harness.bot_messages(GROUP_CHAT)) == 2
