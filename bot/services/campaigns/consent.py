"""A resident's agreement to receive campaign messages in private.

Asked once, when they join a group (`thamgia`); changed at any time with `tatthongbao` /
`batthongbao` (or the words people type for them). `None` means never asked: such a person
gets nothing in private, only what their group's chat carries. Saying no also lets go of the
campaign messages already waiting for them (Zalo's window), so an opt-out is never followed by
one more message the moment they next write.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Broadcast, OutboxMessage, OutboxStatus, Person

LET_GO = "the person said no to campaign messages"


async def set_consent(session: AsyncSession, person: Person, agree: bool) -> bool:
    """Record the answer; True when it changed what they had said before."""
    changed = person.campaign_consent is not agree
    person.campaign_consent = agree
    if not agree and person.private_chat_id is not None:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == person.private_chat_id,
                   OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.WAITING]),
                   OutboxMessage.broadcast_id.in_(
                       select(Broadcast.id).where(Broadcast.latest_only.is_(True))))
            .values(status=OutboxStatus.FAILED, payload_enc=None, error=LET_GO))
    return changed
