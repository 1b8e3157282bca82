"""The tip-offs' part of the scheduler's tick: reminders and escalations when deadlines come,
retention of closed tips, expired guard counters and abandoned evidence drafts."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.messages import Outgoing
from bot.models import Chat
from bot.runtime import Runtime
from bot.services import evidence, guards, outbox
from bot.services.tips import cards, reminders, retention


async def run_due(rt: Runtime, now: datetime) -> None:
    await cards.send_pending(rt)
    async with rt.transaction() as session:
        for reminder in await reminders.due_reminders(session, rt, now):
            for person in reminder.to:
                chat = await session.get(Chat, person.private_chat_id) \
                    if person.private_chat_id else None
                if chat is not None and chat.active:
                    await outbox.enqueue(session, rt, chat, Outgoing(reminder.text))
            if reminder.tip.overdue:
                await cards.refresh(session, rt, reminder.tip, actor=None)
        await retention.purge_closed(session, rt, now)
        await guards.purge(session, now)
        await evidence.purge_orphans(session, now - timedelta(days=1))
