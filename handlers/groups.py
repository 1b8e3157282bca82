"""Joining a neighbourhood group without a bot in it (Zalo bots cannot see group chats).

The group leader asks for a join code (/manhom) and pastes the bot's short invitation into the
group's Zalo chat; each resident sends `thamgia <mã>` to the bot privately and becomes a member
of that group. The leader sees who joined (/thanhvien) and can remove a mistake (`xoa 3`).
Works the same on Telegram.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.clock import format_local
from bot.flows import Command, Ctx, Finish, Outcome, Registry
from bot.models import Role
from bot.parse import parse_int
from bot.services import join_codes
from content import groups as words
from handlers import campaigns


def _day(ctx: Ctx, when: datetime) -> str:
    return format_local(when, ctx.rt.settings.tz, with_time=False)


async def join_code(ctx: Ctx, _args: str) -> Outcome:
    issued = await join_codes.issue(ctx.session, ctx.rt, ctx.person)
    ctx.say(words.CODE_READY.format(group=issued.group.name, code=issued.code,
                                    until=_day(ctx, issued.valid_until)))
    notice = words.GROUP_NOTICE.format(group=issued.group.name, code=issued.code)
    link = ctx.rt.settings.zalo_bot_link
    return Finish(notice + (words.GROUP_NOTICE_LINK.format(link=link) if link else ""))


async def join(ctx: Ctx, args: str) -> Outcome:
    if not args.strip():
        return Finish(words.ASK_CODE)
    joined = await join_codes.redeem(ctx.session, ctx.rt, args, ctx.person)
    if not joined.newly_joined:
        return Finish(words.ALREADY.format(group=joined.group.name))
    welcome = words.JOINED.format(group=joined.group.name)
    if ctx.person.campaign_consent is None:  # asked once, when they first join a group
        question = campaigns.consent_question(ctx)
        return Finish(replace(question, text=f"{welcome}\n\n{question.text}"))
    return Finish(welcome)


async def members(ctx: Ctx, _args: str) -> Outcome:
    roster = await join_codes.roster(ctx.session, ctx.rt, ctx.person)
    group = roster.group.name
    if not roster.members:
        return Finish(words.MEMBERS_EMPTY.format(group=group))
    lines = [words.MEMBERS_TITLE.format(group=group, count=len(roster.members))]
    lines += [words.MEMBER_LINE.format(number=number, name=member.name,
                                       since=_day(ctx, member.since))
              for number, member in enumerate(roster.members, start=1)]
    lines.append(words.MEMBERS_HINT)
    return Finish("\n".join(lines))


async def remove(ctx: Ctx, args: str) -> Outcome:
    removed = await join_codes.remove(ctx.session, ctx.rt, ctx.person, parse_int(args))
    return Finish(words.REMOVED.format(name=removed.name, group=removed.group.name))


LEADERS = frozenset({Role.GROUP_LEADER})


def register(registry: Registry) -> None:
    registry.command(Command("manhom", join_code, words.CODE_COMMAND, aliases=("mã nhóm",),
                             private_only=True, menu_label=words.CODE_LABEL, menu_roles=LEADERS,
                             menu_rank=40))
    registry.command(Command("thamgia", join, words.JOIN_COMMAND, aliases=("join", "tham gia"),
                             private_only=True))
    registry.command(Command("thanhvien", members, words.MEMBERS_COMMAND,
                             aliases=("thành viên",), private_only=True,
                             menu_label=words.MEMBERS_LABEL, menu_roles=LEADERS, menu_rank=41))
    registry.command(Command("xoa", remove, words.REMOVE_COMMAND, aliases=("xóa",),
                             private_only=True, public=False))
