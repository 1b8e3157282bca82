"""Broadcasts: one message to many chats, written as one outbox row per chat (and part) in one
transaction, each with its ✅ to acknowledge it. Where it stands, and the report to its author
when it is done, are `broadcast_reports`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.models import Broadcast, Chat, Lane, Person
from bot.runtime import Runtime
from bot.services import acknowledgements, outbox


async def broadcast(
    session: AsyncSession,
    rt: Runtime,
    content: Outgoing,
    chats: Sequence[Chat],
    author: Person | None,
    *,
    label: str,
    lane: Lane = Lane.BROADCAST,
) -> Broadcast:
    """Queue `content` for every chat, once each, in the caller's transaction, with the ✅ to
    acknowledge it (`acknowledgements.offer`)."""
    unique = list({chat.id: chat for chat in chats}.values())
    record = Broadcast(label=label[:200], author_person_id=author.id if author else None,
                       total_chats=len(unique), created_at=rt.clock.now())
    session.add(record)
    await session.flush()
    content = acknowledgements.offer(content, record.id)
    for chat in unique:
        requests = rt.parts(chat.channel).renderer.render(content)
        for part, request in enumerate(requests):
            await outbox.enqueue_request(session, rt, chat, request, lane=lane,
                                         broadcast_id=record.id, part=part)
    return record
