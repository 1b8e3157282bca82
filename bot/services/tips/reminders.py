"""Deadlines coming and gone (run by the scheduler): a reminder to whoever must act when most
of the time has passed, an escalation to the commune's chiefs at the deadline, gentle
follow-ups on a forwarded tip's result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import format_local
from bot.models import Person, Tip, TipStatus
from bot.runtime import Runtime
from bot.services.tips import lifecycle
from bot.services.tips.access import chiefs_of, responsible_officers
from bot.services.tips.events import record
from content import tips as words


@dataclass(frozen=True)
class Reminder:
    tip: Tip
    to: list[Person]
    text: str


async def due_reminders(session: AsyncSession, rt: Runtime, now: datetime) -> list[Reminder]:
    """Advance every tip whose reminder or deadline has come; returns what to tell whom."""
    tz = rt.settings.tz
    due = (await session.scalars(
        select(Tip).where(Tip.next_due.is_not(None), Tip.next_due <= now,
                          Tip.status != TipStatus.CLOSED).order_by(Tip.next_due)
    )).all()
    reminders: list[Reminder] = []
    for tip in due:
        remote = await lifecycle.is_remote(session, tip)
        deadline = lifecycle.deadline_for(tip, rt.settings, remote=remote)
        if deadline is None:
            tip.next_due = None
            continue
        category = words.CATEGORIES.get(tip.category, tip.category)
        what = words.DEADLINE_WHAT[deadline.what]
        when = format_local(deadline.at, tz)
        responsible = await responsible_officers(session, tip, now)
        if deadline.what == "followup":
            body = tip.forwarded_to or words.FOLLOWUP_BODY
            reminders.append(Reminder(tip, responsible, words.FOLLOWUP.format(
                ref=tip.id, body=body, when=format_local(tip.forwarded_at or tip.created_at, tz))))
            tip.next_due = now + timedelta(days=rt.settings.tip_followup_days)
            continue
        if tip.reminder_stage == 0 and now < deadline.at:
            reminders.append(Reminder(tip, responsible, words.REMINDER.format(
                ref=tip.id, category=category, what=what, when=when)))
            tip.reminder_stage, tip.next_due = 1, deadline.at
            continue
        tip.overdue = True
        tip.reminder_stage, tip.next_due = 2, None
        if deadline.escalate:
            chiefs = await chiefs_of(session, tip.commune_id, now) if tip.commune_id else []
            targets = chiefs or responsible
            reminders.append(Reminder(tip, targets, words.ESCALATION.format(
                ref=tip.id, category=category, what=what, when=when)))
            await record(session, rt, tip, None, "system", "escalation", body=deadline.what)
    return reminders
