"""Broadcasts: one message to many chats, written as one outbox row per chat (and part) in one
transaction, each with its ✅ to acknowledge it, and progress anyone can query. The report to
its author when it is done is `broadcast_reports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.models import Broadcast, Chat, Lane, OutboxMessage, OutboxStatus, Person
from bot.runtime import Runtime
from bot.services import acknowledgements, outbox


@dataclass
class Progress:
    total: int
    queued: int = 0
    in_flight: int = 0
    sent: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.queued == 0 and self.in_flight == 0


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


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    record = await session.get(Broadcast, broadcast_id)
    if record is None:
        raise LookupError(broadcast_id)
    result = Progress(total=record.total_chats)
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.error)
        .where(OutboxMessage.broadcast_id == broadcast_id)
    )
    per_chat: dict[int, tuple[str, str | None]] = {}
    rank = {OutboxStatus.FAILED: 3, OutboxStatus.IN_FLIGHT: 2, OutboxStatus.QUEUED: 1,
            OutboxStatus.WAITING: 1, OutboxStatus.SENT: 0}
    for chat_id, status, error in rows:
        current = per_chat.get(chat_id)
        if current is None or rank[OutboxStatus(status)] > rank[OutboxStatus(current[0])]:
            per_chat[chat_id] = (status, error)
    titles = dict((await session.execute(
        select(Chat.id, Chat.title).where(Chat.id.in_(per_chat)))).all())
    for chat_id, (status, error) in sorted(per_chat.items()):
        if status in (OutboxStatus.QUEUED, OutboxStatus.WAITING):  # waiting goes later too
            result.queued += 1
        elif status == OutboxStatus.IN_FLIGHT:
            result.in_flight += 1
        elif status == OutboxStatus.SENT:
            result.sent += 1
        else:
            result.failed += 1
            result.failures.append((titles.get(chat_id) or f"#{chat_id}", error or ""))
    return result
