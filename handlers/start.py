"""Welcome, menu, help, emergency numbers, my roles, invite redemption (`/start <mã mời>`), and
the answer to whatever else a person writes privately (`understand`): nothing is a dead end.

Every sentence a user reads here is in `content.start` (role names in `content.people`), except
the note on Zalo's contact window for those who get tip cards (`content.tips.KEEP_IN_TOUCH`)
and the emergency numbers of a report (`content.tips.EMERGENCY`).
"""

from __future__ import annotations

from bot.clock import format_local
from bot.flows import Command, Ctx, Finish, Outcome, Registry, RunCommand, command_choice
from bot.messages import MAX_CHOICE_ID_BYTES, Choice, Prompt
from bot.models import Role
from bot.services import areas, freetext, people
from bot.services.tips import intake
from content import people as people_words
from content import start as words
from content import texts
from content import tips as tip_words
from handlers import report


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
        return Finish(registry.menu_prompt(await ctx.roles(), words.WELCOME))

    async def menu(ctx: Ctx, _args: str) -> Outcome:
        return Finish(registry.menu_prompt(await ctx.roles(), words.MENU_TITLE))

    async def help_(ctx: Ctx, _args: str) -> Outcome:
        return Finish(words.HELP + _keep_in_touch(ctx, await ctx.roles()))

    async def hotline(ctx: Ctx, _args: str) -> Outcome:
        communes = await people.communes_of(ctx.session, ctx.person.id, ctx.chat, ctx.now)
        lines = [words.HOTLINE] + [
            words.HOTLINE_COMMUNE.format(phone=area.police_phone, police=areas.police_of(area.name))
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

    @registry.fallback
    async def understand(ctx: Ctx, text: str) -> Outcome:
        """In order: danger first (an emergency number alone, words of danger), a story kept
        as the start of a report, a command typed a little wrong, a greeting (or a first
        message ever), thanks; anything else is not understood. All but thanks end in the
        menu."""
        roles = await ctx.roles()
        if text.startswith("/"):
            typed, _, args = text[1:].partition(" ")
            meant = freetext.typo_of(typed, registry.keys_for(roles))
            if meant is not None:
                return _did_you_mean(registry, roles, registry.keys_for(roles)[meant], args)
            lead = words.UNKNOWN_COMMAND.format(typed=text.split()[0][:30])
            return Finish(registry.menu_prompt(roles, f"{lead}\n{texts.MENU_AFTER}"))
        if freetext.emergency_number(text):
            return await hotline(ctx, "")
        urgent = intake.sounds_urgent(text)
        if urgent or freetext.story(text):
            lead = (tip_words.EMERGENCY + "\n\n" + words.STORY_OFFER_AFTER_DANGER if urgent
                    else words.STORY_OFFER.format(label=words.STORY_LABEL))
            others = [command_choice(c) for c in registry.menu(roles) if c.name != report.NAME]
            offer = Prompt(lead, (Choice(f"/{report.NAME}", words.STORY_LABEL), *others))
            return Finish(offer, handover=report.story_handover(text, urgent=urgent))
        meant = _meant(text, registry.keys_for(roles))
        if meant is not None:
            command, args = meant
            return _did_you_mean(registry, roles, command, args)
        if freetext.greeting(text) or ctx.first_contact:
            return Finish(registry.menu_prompt(roles, words.WELCOME))
        if freetext.thanks(text):
            return Finish(words.THANKS_REPLY)
        return Finish(registry.menu_prompt(roles, f"{texts.NOT_UNDERSTOOD}\n{texts.MENU_AFTER}"))


def _meant(text: str, keys: dict[str, Command]) -> tuple[Command, str] | None:
    """The command a short message most likely means: its first word or two a slip away from
    one ("tracu TB-…", "bao tn"), or a command's words inside it ("làm sao để báo tin?")."""
    typed = text.split()
    if not typed or len(typed) >= freetext.STORY_WORDS:
        return None
    for count in (2, 1):
        if len(typed) >= count:
            key = freetext.typo_of("".join(typed[:count]), keys)
            if key is not None:
                return keys[key], " ".join(typed[count:])
    key = freetext.contained(text, keys)
    return (keys[key], "") if key is not None else None


def _did_you_mean(registry: Registry, roles: set[Role], command: Command, args: str
                  ) -> Finish:
    """Ask before running a guessed command: an officer's action must never run on a guess."""
    choice_id = f"/{command.name} {args}".strip()
    if len(choice_id.encode()) > MAX_CHOICE_ID_BYTES:
        choice_id = f"/{command.name}"
    guessed = Choice(choice_id, command.menu_label or f"/{command.name} {args}".strip()[:40])
    others = [command_choice(c) for c in registry.menu(roles) if c.name != command.name]
    return Finish(Prompt(words.DID_YOU_MEAN.format(what=command.description),
                         (guessed, *others)))


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

