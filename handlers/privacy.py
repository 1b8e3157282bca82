"""`/dulieu` in private: what Bình Yên holds about me, and, as a choice in the same
conversation, «Xóa dữ liệu của tôi» with a confirmation that says plainly what cannot be
erased. The rules are `bot.services.privacy`; every sentence is `content.privacy`."""

from __future__ import annotations

from bot.flows import Answer, Command, Ctx, Finish, Flow, Goto, Outcome, Registry, StartFlow
from bot.messages import Choice, Outgoing, Prompt
from bot.models import Role
from bot.services import privacy as service
from bot.services.errors import DomainError
from content import people as people_words
from content import privacy as words
from content import tips as tip_words

FORGET, KEEP, CONFIRM, CANCEL = "forget", "keep", "yes", "no"

flow = Flow("privacy")


async def start(ctx: Ctx, args: str) -> Outcome:
    return StartFlow(flow.name, args)


@flow.begin
async def _begin(ctx: Ctx, args: str) -> Outcome:
    await service.asked(ctx.session, ctx.channel, ctx.now)
    return Goto("overview")


def _overview(ctx: Ctx, held: service.Held) -> str:
    lines = [words.TITLE, words.SINCE.format(first=held.first_seen.strftime("%d/%m/%Y"),
                                             last=held.last_seen.strftime("%d/%m/%Y"))]
    lines.append(words.NAME.format(name=held.name) if held.name else words.NO_NAME)
    official = [f"{people_words.ROLE_NAMES[Role(role)]} ({area})"
                for role, area in held.official_roles]
    lines.append(words.ROLES.format(roles=", ".join(official)) if official else words.NO_ROLES)
    lines.append(words.GROUPS.format(groups=", ".join(held.groups)) if held.groups
                 else words.NO_GROUPS)
    lines.append(words.HOUSEHOLD.format(label=held.household[0], group=held.household[1])
                 if held.household else words.NO_HOUSEHOLD)
    if held.tips:
        tips = "\n".join(words.TIP_LINE.format(
            category=tip_words.CATEGORIES.get(tip.category, tip.category),
            filed=tip.filed.strftime("%d/%m/%Y"),
            status=tip_words.STATUS_FOR_RESIDENT[tip.status].format(police=words.POLICE))
            for tip in held.tips)
        lines.append(words.TIPS.format(count=len(held.tips), lines=tips))
    else:
        lines.append(words.NO_TIPS)
    lines.append(words.ANONYMOUS_NOTE)
    lines.append(words.WAITING.format(count=held.waiting))
    lines.append({True: words.CONSENT_YES, False: words.CONSENT_NO,
                  None: words.CONSENT_UNASKED}[held.consent])
    lines.append(words.ACKS.format(count=held.acknowledgements))
    return "\n".join([*lines, "", words.ASK])


@flow.ask("overview")
async def _ask_overview(ctx: Ctx) -> Prompt:
    held = await service.held(ctx.session, ctx.rt, ctx.person, ctx.now)
    return Prompt(_overview(ctx, held), (Choice(FORGET, words.FORGET_LABEL),
                                         Choice(KEEP, words.KEEP_LABEL)))


@flow.answer("overview")
async def _answer_overview(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is None or answer.choice.id != FORGET:
        return Finish(words.KEPT)
    try:
        await service.check_can_forget(ctx.session, ctx.person, ctx.now)
    except DomainError as problem:
        return Finish(str(problem))
    return Goto("confirm")


@flow.ask("confirm")
async def _ask_confirm(ctx: Ctx) -> Prompt:
    return Prompt(words.CONFIRM, (Choice(CONFIRM, words.CONFIRM_LABEL),
                                  Choice(CANCEL, words.CANCEL_LABEL)))


@flow.answer("confirm")
async def _answer_confirm(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is None or answer.choice.id != CONFIRM:
        return Finish(words.KEPT)
    try:
        await service.forget(ctx.session, ctx.rt, ctx.person, ctx.now, via="chat",
                             farewell=Outgoing(words.DONE))
    except DomainError as problem:
        return Finish(str(problem))
    return Finish()  # the farewell is queued: the chat is being forgotten


def register(registry: Registry) -> None:
    registry.flow(flow)
    registry.command(Command("dulieu", start, words.COMMAND,
                             aliases=("dữ liệu của tôi", "xóa dữ liệu"), private_only=True))
