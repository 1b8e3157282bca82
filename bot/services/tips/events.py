"""A tip's record: every action, note, relayed message and view is a `TipEvent` with actor and
time; what it says (a note, a question, an answer) is sealed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Person, Tip, TipEvent
from bot.runtime import Runtime
from bot.services.tips.sealed import EVENT_CONTEXT


async def record(session: AsyncSession, rt: Runtime, tip: Tip, actor: Person | None,
                 role: str, kind: str, *, body: str | None = None, public: bool = False,
                 from_status: str | None = None, to_status: str | None = None) -> TipEvent:
    event = TipEvent(tip_id=tip.id, at=rt.clock.now(),
                     actor_person_id=actor.id if actor else None, actor_role=role, kind=kind,
                     from_status=from_status, to_status=to_status, public=public,
                     body_enc=rt.seal(body, EVENT_CONTEXT) if body else None)
    session.add(event)
    await session.flush()
    return event


def event_body(rt: Runtime, event: TipEvent) -> str | None:
    return rt.open(event.body_enc, EVENT_CONTEXT) if event.body_enc else None


async def record_view(session: AsyncSession, rt: Runtime, tip: Tip, viewer: Person,
                      role: str, what: str = "view") -> None:
    """Every look at a tip's details is on record."""
    await record(session, rt, tip, viewer, role, what)
