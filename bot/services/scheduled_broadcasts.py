"""Broadcasts scheduled for later (`broadcast_later`), sent by the scheduler's tick as due job
"scheduled_broadcasts" (`scheduler.jobs`). Not the tips' deadlines (`tip_lifecycle`) nor the
campaigns' plans (`bot.services.campaigns`).

What came due while everything was down is still sent on start if it is late by less than the
grace period (`BINHYEN_MISSED_GRACE_MINUTES`); later than that it is marked missed and its
author is told, because a drug-prevention reminder arriving a day late does more harm than good.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import format_local
from bot.messages import Choice, Media, Outgoing
from bot.models import Chat, Lane, Person, ScheduledMessage, ScheduledStatus
from bot.runtime import Runtime
from bot.services import broadcasts, leader_broadcasts, outbox
from content import broadcasts as words

log = logging.getLogger(__name__)

CONTENT_CONTEXT = "scheduled.content"  # the encryption context of stored contents: never change


def _dump(content: Outgoing) -> str:
    return json.dumps({"text": content.text, "choices": [[c.id, c.label] for c in content.choices],
                       "token": content.token,
                       "files": [[f.kind, f.evidence_id] for f in content.attachments]},
                      ensure_ascii=False)


def _load(raw: str) -> Outgoing:
    data = json.loads(raw)
    return Outgoing(data["text"], tuple(Choice(i, label) for i, label in data["choices"]),
                    data["token"],
                    attachments=tuple(Media(kind, ref) for kind, ref in data.get("files", ())))


async def broadcast_later(
    session: AsyncSession,
    rt: Runtime,
    content: Outgoing,
    chats: Sequence[Chat],
    author: Person | None,
    when: datetime,
    *,
    label: str,
    lane: Lane = Lane.BROADCAST,
) -> ScheduledMessage:
    item = ScheduledMessage(
        label=label[:200], author_person_id=author.id if author else None,
        content_enc=rt.seal(_dump(content), CONTENT_CONTEXT),
        chat_ids=json.dumps(sorted({chat.id for chat in chats})), lane=lane, next_due=when,
        status=ScheduledStatus.SCHEDULED, created_at=rt.clock.now(),
    )
    session.add(item)
    await session.flush()
    return item


def _grace_words(grace: timedelta) -> str:
    minutes = int(grace.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        return words.GRACE_HOURS.format(hours=minutes // 60)
    return words.GRACE_MINUTES.format(minutes=minutes)


async def run_due(rt: Runtime, now: datetime) -> None:
    """Send what is due; mark missed what is too late."""
    grace = timedelta(minutes=rt.settings.missed_grace_minutes)
    async with rt.transaction() as session:
        due = (await session.scalars(
            select(ScheduledMessage)
            .where(ScheduledMessage.status == ScheduledStatus.SCHEDULED,
                   ScheduledMessage.next_due <= now)
            .order_by(ScheduledMessage.next_due)
        )).all()
        for item in due:
            if now - item.next_due > grace:
                await _missed(session, rt, item, grace, now)
                following = leader_broadcasts.after(item.next_due, item.repeat,
                                                    rt.settings.tz, now)
                if following is not None:  # a repeating one goes on at its next time
                    item.status, item.next_due, item.done_at = (ScheduledStatus.SCHEDULED,
                                                                following, None)
                continue
            author = await session.get(Person, item.author_person_id) \
                if item.author_person_id else None
            content = _load(rt.open(item.content_enc, CONTENT_CONTEXT))
            if item.area_id is not None:  # a leader's own, to an area; may repeat
                await leader_broadcasts.deliver(session, rt, item, content, author, now)
                continue
            ids = json.loads(item.chat_ids)
            chats = (await session.scalars(select(Chat).where(Chat.id.in_(ids)))).all()
            record = await broadcasts.broadcast(session, rt, content, chats, author,
                                                label=item.label, lane=Lane(item.lane))
            item.status, item.broadcast_id, item.done_at = ScheduledStatus.SENT, record.id, now


async def _missed(session: AsyncSession, rt: Runtime, item: ScheduledMessage,
                  grace: timedelta, now: datetime) -> None:
    item.status, item.done_at = ScheduledStatus.MISSED, now
    log.warning("scheduled broadcast %s missed (due %s)", item.id, item.next_due.isoformat())
    if item.author_person_id is None:
        return
    author = await session.get(Person, item.author_person_id)
    chat = await session.get(Chat, author.private_chat_id) if author and \
        author.private_chat_id else None
    if chat is not None:
        text = words.MISSED.format(label=item.label, when=format_local(item.next_due, rt.settings.tz),
                             grace=_grace_words(grace))
        await outbox.enqueue(session, rt, chat, Outgoing(text))
