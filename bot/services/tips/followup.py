"""After the receipt, the reporter's side: what they see when they look their tip up (public
events only, the officers' open questions), and their answer, which joins the tip's thread and
goes to the officers who may see it. Neither side learns who the other is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import IdentityMode, Person, Tip, TipEvent, TipReporter
from bot.runtime import Runtime
from bot.services import areas, evidence
from bot.services.tips import cards
from bot.services.tips.codes import reporter_ref
from bot.services.tips.events import event_body, record


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    kind: str
    to_status: str | None


@dataclass(frozen=True)
class StatusView:
    """A tip as its reporter sees it: when and what, where it stands, its public history, the
    result, and the questions the officers are waiting on."""

    tip_id: int
    created_at: datetime
    category: str
    status: str
    outcome: str | None
    history: list[PublicEvent]
    questions: list[str]
    police: str  # the unit that holds it («Công an xã Bình Yên»)


async def _open_questions(session: AsyncSession, tip_id: int) -> list[TipEvent]:
    query = (select(TipEvent).where(TipEvent.tip_id == tip_id, TipEvent.kind == "ask",
                                    TipEvent.answered.is_(False)).order_by(TipEvent.id))
    return list((await session.scalars(query)).all())


async def status_view(session: AsyncSession, rt: Runtime, tip: Tip) -> StatusView:
    """Only for a tip the reporter has proved is theirs (`lookup`)."""
    public = (await session.scalars(
        select(TipEvent).where(TipEvent.tip_id == tip.id, TipEvent.public.is_(True))
        .order_by(TipEvent.id))).all()
    questions = [event_body(rt, q) or "" for q in await _open_questions(session, tip.id)]
    return StatusView(tip.id, tip.created_at, tip.category, tip.status, tip.outcome,
                      [PublicEvent(e.at, e.kind, e.to_status) for e in public], questions,
                      await areas.police_for(session, tip.commune_id))


async def name_kept(session: AsyncSession, tip_id: int) -> bool:
    """Whether the officers do not know who reported this tip (they do when the reporter left
    a phone number): what a reporter is told only where it is true."""
    tip = await session.get(Tip, tip_id)
    return tip is not None and tip.identity_mode != IdentityMode.PHONE


async def status_of(session: AsyncSession, rt: Runtime, tip_id: int) -> StatusView | None:
    """The view of a tip looked up earlier in the conversation."""
    tip = await session.get(Tip, tip_id)
    return None if tip is None else await status_view(session, rt, tip)


async def asked_of(session: AsyncSession, rt: Runtime, person: Person,
                   tip_id: int | None = None) -> int | None:
    """The latest of a linked reporter's own tips with an open question (`tip_id`: only that
    one), or None. A fully anonymous reporter answers after a lookup with code and PIN."""
    query = (select(Tip.id).join(TipReporter, TipReporter.tip_id == Tip.id)
             .where(TipReporter.person_ref == reporter_ref(rt, person)).order_by(Tip.id))
    own = [t for t in (await session.scalars(query)).all()
           if await _open_questions(session, t)]
    if tip_id is not None:
        own = [t for t in own if t == tip_id]
    return own[-1] if own else None


async def answer(session: AsyncSession, rt: Runtime, tip_id: int, text: str | None,
                 evidence_ids: list[int], owner_ref: str) -> bool:
    """The reporter's answer (text or media) joins the tip's thread, the open questions close,
    and the officers who may see the tip get it, set apart as the reporter's words. False when
    there is nothing to pass on. The caller has proved the tip is the reporter's."""
    tip = await session.get(Tip, tip_id)
    if tip is None or (text is None and not evidence_ids):
        return False
    event = await record(session, rt, tip, None, "reporter", "answer", body=text)
    await evidence.attach(session, evidence_ids, owner_ref, tip.id, event.id)
    await session.execute(update(TipEvent).where(TipEvent.tip_id == tip.id,
                                                 TipEvent.kind == "ask")
                          .values(answered=True))
    await cards.relay_answer(session, rt, tip, text, len(evidence_ids))
    return True
