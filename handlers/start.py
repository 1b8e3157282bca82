"""Welcome, menu, help, emergency numbers, my roles, and invite redemption (`/start <mã mời>`).

Every sentence a user reads here is in `content.start` (role names in `content.people`), except
the note on Zalo's contact window for those who get tip cards (`content.tips.KEEP_IN_TOUCH`).
"""

from __future__ import annotations

from bot.clock import format_local
from bot.flows import Command, Ctx, Finish, Outcome, Registry, RunCommand, command_choice
from bot.messages import Prompt
from bot.models import Role
from bot.services import people
from content import people as people_words
from content import start as words
from content import tips as tip_words


def _menu_prompt(registry: Registry, roles: set[Role], title: str) -> Prompt:
    return Prompt(title, tuple(command_choice(c) for c in registry.menu(roles)))


def register(registry: Registry) -> None:
    async def start(ctx: Ctx, args: str) -> Outcome:
        if not ctx.incoming.is_private:
            return Finish(words.WELCOME_GROUP)
        payload = args.strip()
        linked = registry.find(payload) if payload else None
        if linked is not None and linked.name != "start":
            return RunCommand(linked.name)  # a deep link such as ?start=vaitro
        if payload:
            return await _redeem(ctx, payload)
        return Finish(_menu_prompt(registry, await ctx.roles(), words.WELCOME))

    async def menu(ctx: Ctx, _args: str) -> Outcome:
        return Finish(_menu_prompt(registry, await ctx.roles(), words.MENU_TITLE))

    async def help_(ctx: Ctx, _args: str) -> Outcome:
        return Finish(words.HELP + _keep_in_touch(ctx, await ctx.roles()))

    async def hotline(ctx: Ctx, _args: str) -> Outcome:
        communes = await people.communes_of(ctx.session, ctx.person.id, ctx.chat, ctx.now)
        lines = [words.HOTLINE] + [
            words.HOTLINE_COMMUNE.format(phone=area.police_phone, name=area.name)
            for area in communes if area.police_phone]
        return Finish("\n".join(lines))

    async def my_roles(ctx: Ctx, _args: str) -> Outcome:
        held = await people.held_roles(ctx.session, ctx.person.id, ctx.now)
        if not held:
            return Finish(words.NO_ROLES + "\n" + words.INVITE_HINT)
        lines = [words.ROLES_TITLE]
        for grant, area in held:
            expiry = "" if grant.expires_at is None else words.ROLE_EXPIRY.format(
                date=format_local(grant.expires_at, ctx.rt.settings.tz, with_time=False))
            lines.append(words.ROLE_LINE.format(role=people_words.ROLE_NAMES[Role(grant.role)],
                                                area=area.name, expiry=expiry))
        return Finish("\n".join(lines))

    registry.command(Command("start", start, words.START_COMMAND,
                             aliases=("batdau", "bắt đầu")))
    registry.command(Command("menu", menu, words.MENU_COMMAND, public=False))
    registry.command(Command("help", help_, words.HELP_COMMAND, aliases=("huongdan", "trogiup"),
                             keeps_flow=True, menu_label=words.HELP_LABEL, menu_rank=70))
    registry.command(Command("hotline", hotline, words.HOTLINE_COMMAND,
                             aliases=("khancap", "sokhancap"), keeps_flow=True,
                             menu_label=words.HOTLINE_LABEL, menu_rank=60))
    registry.command(Command("vaitro", my_roles, words.ROLES_COMMAND, aliases=("roles",),
                             private_only=True, menu_label=words.ROLES_LABEL, menu_rank=80))


async def _redeem(ctx: Ctx, token: str) -> Outcome:
    """An invite's refusal (`people.InviteProblem`) is a DomainError: the engine says it."""
    grant, area = await people.redeem_invite(ctx.session, ctx.rt, token, ctx.person)
    role = Role(grant.role)
    return Finish(words.INVITE_OK.format(role=people_words.ROLE_NAMES[role], area=area.name)
                  + _keep_in_touch(ctx, {role}))


# who gets tip cards, and so must keep a messenger's contact window open to keep getting them
CARD_ROLES = frozenset({Role.POLICE_OFFICER, Role.POLICE_CHIEF, Role.DISPATCHER})


def _keep_in_touch(ctx: Ctx, roles: set[Role]) -> str:
    """On a messenger that stops delivering after some hours of silence (Zalo), those who get
    cards are told to write daily; elsewhere, nothing."""
    hours = ctx.rt.parts(ctx.channel).capabilities.contact_window_hours
    if hours is None or not roles & CARD_ROLES:
        return ""
    return "\n\n" + tip_words.KEEP_IN_TOUCH.format(hours=hours)

