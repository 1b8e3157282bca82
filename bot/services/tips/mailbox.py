"""The police mailbox: an officer's list of open tips (new, overdue, their own) and the full
view of one tip, recorded as a view. Only the tips of the communes the officer polices, and
the fallback mailbox's for a dispatcher (`access.mailbox_scope`)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.models import Chat, Person, Tip, TipStatus
from bot.runtime import Runtime
from bot.services.errors import NotAllowed
from bot.services.tips import cards
from bot.services.tips.access import MailboxScope, get_for_officer
from bot.services.tips.codes import receipt_hash
from bot.services.tips.events import record_view
from content import tips as words


async def listing(session: AsyncSession, scope: MailboxScope, person: Person,
                  kind: str) -> list[Tip]:
    """The open tips in `scope`, by deadline: all, new (`new`), overdue (`overdue`), or
    those given to `person` (`mine`)."""
    query = select(Tip).where(Tip.status != TipStatus.CLOSED)
    in_scope = Tip.commune_id.in_(scope.communes) & Tip.routed_to_fallback.is_(False)
    if scope.dispatcher:
        in_scope = in_scope | Tip.routed_to_fallback.is_(True)
    query = query.where(in_scope)
    if kind == "new":
        query = query.where(Tip.status == TipStatus.RECEIVED)
    elif kind == "overdue":
        query = query.where(Tip.overdue.is_(True))
    elif kind == "mine":
        query = query.where(Tip.assigned_officer_id == person.id)
    return list((await session.scalars(query.order_by(Tip.deadline_at, Tip.id))).all())


async def detail(session: AsyncSession, rt: Runtime, person: Person, chat: Chat, *,
                 ref: int | None = None, canonical: str | None = None) -> list[Outgoing]:
    """One tip in full for an officer, by its number or its receipt code: the card and the
    latest history, in as many messages as they take, the buttons on the last. The look is
    recorded. NotAllowed, with the same answer, for a tip that does not exist or is not
    theirs to see."""
    if ref is None and canonical is not None:
        ref = await session.scalar(select(Tip.id).where(
            Tip.receipt_hash == receipt_hash(rt, canonical)))
    if ref is None:
        raise NotAllowed(words.NO_RIGHT)
    tip, role = await get_for_officer(session, ref, person, rt.clock.now())
    await record_view(session, rt, tip, person, role)
    card = await cards.card_messages(session, rt, tip, chat)
    history = await cards.history(session, rt, tip)
    last = replace(card.card, text=card.card.text + ("\n\n" + history if history else ""))
    return [*card.story, last]
