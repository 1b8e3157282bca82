"""The conversation engine on a text-only messenger (as Zalo will be): numbered choices,
answers typed as numbers or labels without diacritics, commands without a slash, and input
Telegram cannot even send (empty text)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.flows import Engine
from bot.messages import ChatType, Incoming, InputKind
from bot.models import OutboxMessage, Role
from bot.runtime import Runtime
from bot.services import areas, demo, outbox, people
from content import people as people_words
from content import start, texts
from handlers import build_registry
from tests.services.conftest import TEXT_CHANNEL

pytestmark = pytest.mark.pg
_keys = itertools.count(1)


class TextUser:
    """A person on a text-only messenger, talking to the real engine."""

    def __init__(self, rt: Runtime, engine: Engine, user_id: str) -> None:
        self.rt, self.engine, self.user_id = rt, engine, user_id

    async def says(self, text: str, kind: InputKind = InputKind.TEXT) -> list[str]:
        command = args = None
        if text.startswith("/"):
            word, _, rest = text[1:].partition(" ")
            command, args, kind = word, rest, InputKind.COMMAND
        incoming = Incoming(
            channel=TEXT_CHANNEL, update_key=str(next(_keys)), chat_id=self.user_id,
            chat_type=ChatType.PRIVATE, user_id=self.user_id, kind=kind, text=text,
            command=command, args=args or "", user_name="Người dùng thử",
        )
        async with self.rt.transaction() as session:
            ctx = await self.engine.handle(session, incoming)
            await session.flush()
            rows = (await session.scalars(
                select(OutboxMessage).where(OutboxMessage.chat_id == ctx.chat.id)
                .order_by(OutboxMessage.id))).all()
            replies = [outbox.open_payload(self.rt, row).params["text"] for row in rows
                       if row.payload_enc is not None]
            for row in rows:
                row.payload_enc = None  # consumed: only new replies are returned next time
        return replies


@pytest.fixture
def engine(rt: Runtime) -> Engine:
    return Engine(rt, build_registry())


async def test_menu_is_numbered_and_answered_by_number_or_label(rt: Runtime,
                                                                engine: Engine) -> None:
    user = TextUser(rt, engine, "u1")
    [menu] = await user.says("/start")
    assert ("1. 📝 Báo tin cho công an\n2. 🔎 Tra cứu tin báo\n3. ☎️ Số khẩn cấp\n"
            "4. ❓ Hướng dẫn\n5. 👤 Vai trò của tôi") in menu
    assert "Trả lời bằng số thứ tự" in menu
    [hotline] = await user.says("3.")
    assert "113" in hotline
    await user.says("batdau")
    [roles] = await user.says("vai tro cua toi")
    assert roles.startswith(start.NO_ROLES)


async def test_commands_without_slash_or_diacritics(rt: Runtime, engine: Engine) -> None:
    user = TextUser(rt, engine, "u2")
    assert "113" in (await user.says("số khẩn cấp"))[0]
    assert (await user.says("HUONG DAN"))[0] == start.HELP
    assert (await user.says("gì vậy"))[0].startswith(texts.NOT_UNDERSTOOD)


async def test_empty_and_other_kinds_outside_a_flow(rt: Runtime, engine: Engine) -> None:
    user = TextUser(rt, engine, "u3")
    assert (await user.says(""))[0].startswith(start.WELCOME)  # a first message ever
    assert (await user.says(""))[0].startswith(texts.NOT_UNDERSTOOD)
    assert (await user.says("", InputKind.STICKER))[0].startswith(texts.NOT_UNDERSTOOD)


async def test_invite_by_typed_start_command(rt: Runtime, engine: Engine) -> None:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        _, token = await people.create_invite(session, rt, role=Role.POLICE_CHIEF,
                                              area=commune, created_by="test")
    user = TextUser(rt, engine, "u4")
    [reply] = await user.says(f"batdau {token}")
    assert reply.startswith("Xong!") and "lãnh đạo Công an xã" in reply
    [again] = await user.says(f"/start {token}")
    assert again == people_words.INVITE_USED


async def test_roles_expire_and_do_not_inherit(rt: Runtime) -> None:
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        commune = await areas.by_code(session, demo.DEMO_COMMUNE)
        village = await areas.by_code(session, "DEMO-THON-DONG")
        person, _ = await people.touch(session, rt, Incoming(
            channel=TEXT_CHANNEL, update_key="x", chat_id="p1", chat_type=ChatType.PRIVATE,
            user_id="p1", kind=InputKind.TEXT))
        now = rt.clock.now()
        grant = await people.grant_role(session, person, Role.POLICE_OFFICER, commune, now=now,
                                        granted_by="test", expires_at=now + timedelta(days=1))
        assert await people.has_role(session, person.id, {Role.POLICE_OFFICER}, now, commune.id)
        assert not await people.has_role(session, person.id, {Role.POLICE_OFFICER}, now,
                                         village.id)
        assert [p.id for p in await people.holders(session, {Role.POLICE_OFFICER},
                                                   commune.id, now)] == [person.id]
        later = now + timedelta(days=2)
        assert not await people.has_role(session, person.id, {Role.POLICE_OFFICER}, later)
        await people.revoke_role(session, grant.id, now=now, by="test")
        assert not await people.has_role(session, person.id, {Role.POLICE_OFFICER}, now)
        with pytest.raises(people.DomainError):
            await people.revoke_role(session, grant.id, now=now, by="test")


async def test_platform_ids_are_not_stored_in_clear(rt: Runtime, engine: Engine) -> None:
    user = TextUser(rt, engine, "84901234567")
    await user.says("/start")
    async with rt.db.reading() as session:
        person = (await session.scalars(select(people.Person))).one()
    assert "84901234567" not in person.user_ref
    assert b"84901234567" not in person.external_id_enc


async def test_my_roles_show_the_expiry_day_in_vietnam(rt: Runtime, engine: Engine) -> None:
    """A role ending at 20:00 UTC ends on the next day in Vietnam (UTC+7): that day is shown
    (the UTC day was shown before)."""
    user = TextUser(rt, engine, "u5")
    await user.says("/start")
    ends = rt.clock.now().replace(hour=20, minute=0)
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        village = await areas.by_code(session, "DEMO-THON-DONG")
        person = (await session.scalars(select(people.Person))).one()
        await people.grant_role(session, person, Role.SECURITY_MEMBER, village,
                                now=rt.clock.now(), granted_by="test", expires_at=ends)
    [roles] = await user.says("/vaitro")
    assert roles == "\n".join([start.ROLES_TITLE, start.ROLE_LINE.format(
        role=people_words.ROLE_NAMES[Role.SECURITY_MEMBER], area="Thôn Đông",
        expiry=start.ROLE_EXPIRY.format(date=f"{ends.day + 1:02d}/{ends:%m/%Y}"))])
