"""«✅ Nhà tôi đã nhận» under every campaign message and broadcast: the button (in a group chat
any member may press it; answered with a toast, nothing said in the group), its number typed on
a text-only messenger while that message is the newest numbered one the person got, and «đã
nhận» written to the bot (what the relay copy in a Zalo group asks for)."""

from __future__ import annotations

from bot.flows import Command, Ctx, Finish, Outcome, Registry, Standing
from bot.models import ChatKind
from bot.services import acknowledgements
from bot.services.acknowledgements import Said
from content import acknowledgements as words

REPLIES = {Said.NEW: words.ACK_THANKS, Said.REPEAT: words.ACK_AGAIN,
           Said.NOTHING: words.ACK_NOTHING}
TOASTS = {Said.NEW: words.ACK_TOAST, Said.REPEAT: words.ACK_TOAST_AGAIN,
          Said.NOTHING: words.ACK_TOAST_STALE}


async def _reply(ctx: Ctx, said: Said) -> str:
    """The private answer: thanks, and for a first acknowledgement by someone not linked to a
    household, how to link."""
    if said is Said.NEW and await acknowledgements.tell_how_to_register(
            ctx.session, ctx.person, ctx.chat):
        return f"{REPLIES[said]}\n\n{words.ACK_HOW_TO_REGISTER}"
    return REPLIES[said]


async def acknowledged(ctx: Ctx, _args: str) -> Outcome:
    """«Đã nhận» written: thanked in private, silent in a group chat."""
    said = await acknowledgements.by_words(ctx.session, ctx.rt.settings, ctx.person, ctx.chat,
                                           ctx.now)
    return Finish(await _reply(ctx, said) if ctx.chat.kind == ChatKind.PRIVATE else None)


async def ack_button(ctx: Ctx, value: str) -> None:
    """Answered beside whatever the person is doing (no outcome: a conversation in progress
    stays where it is)."""
    said = await acknowledgements.press(ctx.session, ctx.rt.settings, value, ctx.person,
                                        ctx.chat, ctx.now)
    if ctx.incoming.pressed is None:  # its number, typed
        ctx.say(await _reply(ctx, said))
        return
    ctx.toast = TOASTS[said]
    if said is Said.NOTHING and ctx.chat.kind == ChatKind.PRIVATE:
        ctx.say(words.ACK_STALE)
    elif said is Said.NEW and await acknowledgements.tell_how_to_register(
            ctx.session, ctx.person, ctx.chat):  # in private only: a toast is too short
        ctx.say(words.ACK_HOW_TO_REGISTER)


async def offered(ctx: Ctx) -> Standing | None:
    found = await acknowledgements.last_offer(ctx.session, ctx.person, ctx.chat, ctx.now)
    if found is None:
        return None
    return Standing((acknowledgements.ack_choice(found.broadcast_id),),
                    acknowledgements.ACK_TOKEN, found.at)


def register(registry: Registry) -> None:
    registry.command(Command(
        "danhan", acknowledged, words.ACK_COMMAND,
        aliases=("đã nhận", "nhà tôi đã nhận", "nhà mình đã nhận", "đã nhận tin",
                 "đã nhận rồi", "nhận rồi", "đã đọc", "đã đọc tin"), public=False))
    registry.callback(acknowledgements.ACK_TOKEN, ack_button)
    registry.standing_choices(offered)
