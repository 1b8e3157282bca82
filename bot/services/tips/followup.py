"""After the receipt: the reporter's own tips, the officers' open questions and the
reporter's answer, which joins the tip's thread. Neither side learns who the other is."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Person, Tip, TipEvent, TipReporter
from bot.runtime import Runtime
from bot.services import evidence
from bot.services.tips.codes import reporter_ref
from bot.services.tips.events import record


async def tips_of_reporter(session: AsyncSession, rt: Runtime, person: Person) -> list[Tip]:
    query = (select(Tip).join(TipReporter, TipReporter.tip_id == Tip.id)
             .where(TipReporter.person_ref == reporter_ref(rt, person)).order_by(Tip.id))
    return list((await session.scalars(query)).all())


async def open_questions(session: AsyncSession, tip: Tip) -> list[TipEvent]:
    query = (select(TipEvent).where(TipEvent.tip_id == tip.id, TipEvent.kind == "ask",
                                    TipEvent.answered.is_(False)).order_by(TipEvent.id))
    return list((await session.scalars(query)).all())


async def answer(session: AsyncSession, rt: Runtime, tip: Tip, text: str | None,
                 evidence_ids: list[int], owner_ref: str) -> TipEvent:
    """The reporter's answer (text or media) joins the tip's thread; open questions close."""
    event = await record(session, rt, tip, None, "reporter", "answer", body=text or None)
    await evidence.attach(session, evidence_ids, owner_ref, tip.id, event.id)
    await session.execute(update(TipEvent).where(TipEvent.tip_id == tip.id,
                                                 TipEvent.kind == "ask")
                          .values(answered=True))
    return event
