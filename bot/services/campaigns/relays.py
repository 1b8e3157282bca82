"""Relay copies for messengers whose bots cannot post in a group (Zalo): the group leader
confirms with one word («đã chuyển») that they pasted the copy into the group's chat, and is
reminded once, politely, if they have not.

The reminder goes only for a relay that reached the leader (none of its rows still waits or is
queued) and while their 48-hour window is likely still open: after `CHASE_AFTER` and before
`CHASE_UNTIL`, outside quiet hours. Each relay is chased at most once (`chased_at`, set in the
same UPDATE that takes it, so two processes never remind twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.models import (
    Area,
    CampaignRelay,
    CampaignSend,
    Chat,
    OutboxMessage,
    OutboxStatus,
    Person,
)
from bot.runtime import Runtime
from bot.services import outbox
from bot.services.campaigns import plans
from content import campaigns as words

CHASE_AFTER = timedelta(hours=20)
CHASE_UNTIL = timedelta(hours=44)  # Zalo lets a bot write for 48 hours after a person's message
CONFIRM_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class Confirmed:
    groups: list[str]  # the groups whose relays this confirmed, in order


async def confirm(session: AsyncSession, leader: Person, now: datetime) -> Confirmed:
    """The leader's relays of the last week not yet confirmed: confirmed now."""
    rows = (await session.execute(
        select(CampaignRelay, Area.name).join(Area, Area.id == CampaignRelay.group_id)
        .where(CampaignRelay.leader_id == leader.id, CampaignRelay.confirmed_at.is_(None),
               CampaignRelay.created_at > now - CONFIRM_WITHIN)
        .order_by(CampaignRelay.id))).all()
    for relay, _name in rows:
        relay.confirmed_at = now
    return Confirmed(list(dict.fromkeys(name for _relay, name in rows)))


_PENDING = (select(OutboxMessage.id)
            .join(CampaignSend, CampaignSend.broadcast_id == OutboxMessage.broadcast_id)
            .join(Person, Person.private_chat_id == OutboxMessage.chat_id)
            .where(CampaignSend.id == CampaignRelay.send_id,
                   Person.id == CampaignRelay.leader_id,
                   OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.WAITING,
                                             OutboxStatus.IN_FLIGHT])))


async def chase(rt: Runtime, now: datetime) -> int:
    """Remind each leader, once, of the relays they have not confirmed; returns how many
    leaders were reminded."""
    if plans.rules_of(rt).quiet(now.astimezone(rt.settings.tz).time()):
        return 0
    async with rt.transaction() as session:
        taken = (await session.execute(
            update(CampaignRelay)
            .where(CampaignRelay.confirmed_at.is_(None), CampaignRelay.chased_at.is_(None),
                   CampaignRelay.created_at <= now - CHASE_AFTER,
                   CampaignRelay.created_at > now - CHASE_UNTIL,
                   ~_PENDING.exists())
            .values(chased_at=now)
            .returning(CampaignRelay.leader_id, CampaignRelay.group_id,
                       CampaignRelay.send_id))).all()
        by_leader: dict[int, list[tuple[int, int]]] = {}
        for leader_id, group_id, send_id in taken:
            by_leader.setdefault(leader_id, []).append((group_id, send_id))
        for leader_id, relays in sorted(by_leader.items()):
            chat = await _private_chat(session, leader_id)
            if chat is not None:
                await outbox.enqueue(session, rt, chat,
                                     Outgoing(await _reminder(session, relays)))
        return len(by_leader)


async def _private_chat(session: AsyncSession, person_id: int) -> Chat | None:
    person = await session.get(Person, person_id)
    if person is None or person.private_chat_id is None:
        return None
    chat = await session.get(Chat, person.private_chat_id)
    return chat if chat is not None and chat.active else None


async def _reminder(session: AsyncSession, relays: list[tuple[int, int]]) -> str:
    lines = []
    for group_id, send_id in relays:
        group = await session.get(Area, group_id)
        send = await session.get(CampaignSend, send_id)
        on = date.fromisoformat(send.on) if send is not None else None
        lines.append(words.CHASE_LINE.format(
            group=group.name if group else "", on=on.strftime("%d/%m") if on else ""))
    return words.CHASE.format(lines="\n".join(lines))
