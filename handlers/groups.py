"""Joining a neighbourhood group without a bot in it (Zalo bots cannot see group chats).

The group leader asks for a join code (/manhom) and pastes the bot's short invitation into the
group's Zalo chat; each resident sends `thamgia <mã>` to the bot privately and becomes a member
of that group. The leader sees who joined (/thanhvien) and can remove a mistake (`xoa 3`).
Works the same on Telegram.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.clock import format_local
from bot.crypto import normalize_code, random_code
from bot.flows import Command, Ctx, Finish, Outcome, Registry
from bot.messages import Outgoing
from bot.models import Area, Chat, JoinCode, Person, Role, RoleGrant
from bot.parse import parse_int
from bot.services import people
from bot.services.errors import NotAllowed
from handlers import campaigns

# ---- strings -------------------------------------------------------------------------------------
NOT_LEADER = "Chức năng này dành cho tổ trưởng."
CODE_READY = (
    "Mã tham gia {group}: {code} (dùng được đến {until}).\n"
    "Bạn chép nguyên tin nhắn dưới đây và dán vào nhóm Zalo của tổ:"
)
GROUP_NOTICE = (
    "Kính gửi bà con {group}: để nhận thông tin an ninh, trật tự từ Bình Yên, bà con nhắn riêng "
    "cho Bình Yên dòng chữ: thamgia {code}"
)
ASK_CODE = "Bạn gõ «thamgia» kèm mã tổ trưởng gửi trong nhóm (ví dụ: thamgia 7K3MQ9XP)."
BAD_CODE = "Mã tham gia chưa đúng hoặc đã hết hạn. Bạn hỏi lại tổ trưởng giúp mình nhé."
JOINED = "Chào mừng bạn đến với {group}! Từ nay Bình Yên sẽ gửi thông tin của tổ cho bạn."
ALREADY = "Bạn đã là thành viên của {group} rồi."
LEADER_TOLD = "👋 {name} vừa tham gia {group} (thành viên thứ {count})."
MEMBERS_TITLE = "Thành viên {group} qua Bình Yên ({count}):"
MEMBER_LINE = "{number}. {name} — từ {since}"
MEMBERS_EMPTY = "{group} chưa có ai tham gia qua Bình Yên. Gõ /manhom để lấy mã mời."
MEMBERS_HINT = "Gõ «xoa» kèm số thứ tự để bỏ một người tham gia nhầm (ví dụ: xoa 3)."
REMOVED = "Đã bỏ {name} khỏi danh sách thành viên {group}."
BAD_NUMBER = "Số thứ tự chưa đúng. Gõ /thanhvien để xem danh sách."

CODE_LENGTH = 8
CODE_DAYS = 30


async def _led_group(ctx: Ctx) -> Area:
    grants = await people.active_roles(ctx.session, ctx.person.id, ctx.now)
    for grant in grants:
        if Role(grant.role) is Role.GROUP_LEADER:
            area = await ctx.session.get(Area, grant.area_id)
            if area is not None:
                return area
    raise NotAllowed(NOT_LEADER)


def _code_hash(ctx: Ctx, code: str) -> str:
    return ctx.rt.digest(normalize_code(code), "join")


async def join_code(ctx: Ctx, _args: str) -> Outcome:
    group = await _led_group(ctx)
    for old in (await ctx.session.scalars(select(JoinCode).where(
            JoinCode.area_id == group.id, JoinCode.revoked_at.is_(None)))).all():
        old.revoked_at = ctx.now
    code = random_code(CODE_LENGTH)
    until = ctx.now + timedelta(days=CODE_DAYS)
    ctx.session.add(JoinCode(code_hash=_code_hash(ctx, code), area_id=group.id,
                             created_by=ctx.person.id, created_at=ctx.now, expires_at=until))
    ctx.say(CODE_READY.format(group=group.name, code=code,
                              until=format_local(until, ctx.rt.settings.tz, with_time=False)))
    return Finish(GROUP_NOTICE.format(group=group.name, code=code))


async def join(ctx: Ctx, args: str) -> Outcome:
    if not args.strip():
        return Finish(ASK_CODE)
    found = await ctx.session.scalar(select(JoinCode).where(
        JoinCode.code_hash == _code_hash(ctx, args)))
    if found is None or found.revoked_at is not None or found.expires_at <= ctx.now:
        return Finish(BAD_CODE)
    group = await ctx.session.get(Area, found.area_id)
    assert group is not None
    if await people.has_role(ctx.session, ctx.person.id, {Role.RESIDENT}, ctx.now, group.id):
        return Finish(ALREADY.format(group=group.name))
    await people.grant_role(ctx.session, ctx.person, Role.RESIDENT, group, now=ctx.now,
                            granted_by=f"join:{found.id}")
    members = await people.holders(ctx.session, {Role.RESIDENT}, group.id, ctx.now)
    leader = await ctx.session.get(Person, found.created_by)
    if leader is not None and leader.private_chat_id:
        chat = await ctx.session.get(Chat, leader.private_chat_id)
        if chat is not None:
            ctx.say(Outgoing(LEADER_TOLD.format(name=people.display_name(ctx.rt, ctx.person),
                                                group=group.name, count=len(members))), to=chat)
    joined = JOINED.format(group=group.name)
    if ctx.person.campaign_consent is None:
        question = campaigns.consent_question(ctx)
        return Finish(replace(question, text=f"{joined}\n\n{question.text}"))
    return Finish(joined)


async def _members(ctx: Ctx, group: Area) -> list[RoleGrant]:
    query = (select(RoleGrant).where(RoleGrant.area_id == group.id,
                                     RoleGrant.role == Role.RESIDENT,
                                     RoleGrant.revoked_at.is_(None)).order_by(RoleGrant.id))
    return list((await ctx.session.scalars(query)).all())


async def members(ctx: Ctx, _args: str) -> Outcome:
    group = await _led_group(ctx)
    grants = await _members(ctx, group)
    if not grants:
        return Finish(MEMBERS_EMPTY.format(group=group.name))
    lines = [MEMBERS_TITLE.format(group=group.name, count=len(grants))]
    for number, grant in enumerate(grants, start=1):
        person = await ctx.session.get(Person, grant.person_id)
        name = people.display_name(ctx.rt, person) if person else "?"
        lines.append(MEMBER_LINE.format(number=number, name=name, since=format_local(
            grant.granted_at, ctx.rt.settings.tz, with_time=False)))
    lines.append(MEMBERS_HINT)
    return Finish("\n".join(lines))


async def remove(ctx: Ctx, args: str) -> Outcome:
    group = await _led_group(ctx)
    grants = await _members(ctx, group)
    number = parse_int(args, high=len(grants))
    if number is None:
        return Finish(BAD_NUMBER)
    grant = grants[number - 1]
    await people.revoke_role(ctx.session, grant.id, now=ctx.now, by=f"person:{ctx.person.id}")
    person = await ctx.session.get(Person, grant.person_id)
    name = people.display_name(ctx.rt, person) if person else "?"
    return Finish(REMOVED.format(name=name, group=group.name))


LEADERS = frozenset({Role.GROUP_LEADER})


def register(registry: Registry) -> None:
    registry.command(Command("manhom", join_code, "Lấy mã tham gia cho nhóm của tổ",
                             aliases=("mã nhóm",), private_only=True,
                             menu_label="🔑 Mã tham gia nhóm", menu_roles=LEADERS, menu_rank=40))
    registry.command(Command("thamgia", join, "Tham gia tổ dân cư bằng mã",
                             aliases=("join", "tham gia"), private_only=True))
    registry.command(Command("thanhvien", members, "Thành viên của tổ",
                             aliases=("thành viên",), private_only=True,
                             menu_label="👥 Thành viên của tổ", menu_roles=LEADERS,
                             menu_rank=41))
    registry.command(Command("xoa", remove, "Bỏ một thành viên tham gia nhầm",
                             aliases=("xóa",), private_only=True, public=False))
