"""What became of a broadcast or a campaign message: the report its author gets once when it
finishes, and the same figures on demand (`/lich <số>`), fresh each time they are asked.

A broadcast finishes when none of its rows is still queued or being sent (rows waiting for a
silent person to write — Zalo's window — count as "waiting for contact", not as unfinished)
and, for a campaign message, when its fan-out is over. The report is taken by one conditional
UPDATE of `broadcasts.reported_at`, so it goes once even when two delivery workers (one per
messenger) finish their last rows at the same moment.

Who reads it: the broadcast's author; for a campaign message (no author: the calendar wrote it)
the commune's admins (`commune_admin`), or, if it has none, its police chiefs. `/lich <số>`
shows it to them, and to the commune's other managers.

The figures come from the outbox (per chat, its message's worst state), the relays of a
campaign message (confirmed by the leaders' «đã chuyển») and the acknowledgements (households
where the people are linked to one, else people — the sentence says which). Every word is in
`content/broadcasts.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import format_local
from bot.messages import Outgoing
from bot.models import (
    Broadcast,
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    Chat,
    ChatKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
)
from bot.runtime import Runtime
from bot.services import acknowledgements, outbox, people
from bot.services.acknowledgements import Tally
from bot.services.campaigns import calendar
from bot.services.campaigns.agenda import split_parts
from bot.services.campaigns.choices import MANAGERS
from bot.services.errors import NotFound
from content import broadcasts as words

NAMED_FAILURES = 10  # the report names this many failed groups, then counts the rest
RELAY = "relay"  # a group leader's private chat that got a campaign message's relay copy


@dataclass
class Reach:
    """One kind of recipient (group chats, people in private, leaders' relay copies): how many
    chats, and where each one's message is (its worst part)."""

    total: int = 0
    sent: int = 0
    pending: int = 0  # queued (perhaps until quiet hours end) or being sent
    waiting: int = 0  # for the person to write (Zalo's window)
    failed: int = 0


@dataclass
class Figures:
    broadcast_id: int
    title: str
    groups: Reach = field(default_factory=Reach)
    persons: Reach = field(default_factory=Reach)
    leaders: Reach = field(default_factory=Reach)  # relay copies delivered to group leaders
    relays: int = 0  # groups whose leader got a relay copy to paste (Zalo)
    relayed: int = 0  # … and said «đã chuyển»
    failures: list[tuple[str, str]] = field(default_factory=list)  # failed group chats
    acks: Tally = field(default_factory=lambda: Tally(0, 0))


# a chat's message is as far as its least advanced part
_RANK = {OutboxStatus.SENT: 0, OutboxStatus.WAITING: 1, OutboxStatus.QUEUED: 2,
         OutboxStatus.IN_FLIGHT: 3, OutboxStatus.FAILED: 4}
_STATE_OF_RANK = {rank: status for status, rank in _RANK.items()}
_ROW_RANK = case(*((OutboxMessage.status == status, rank) for status, rank in _RANK.items()),
                 else_=0)


def _count(reach: Reach, status: OutboxStatus, chats: int) -> None:
    reach.total += chats
    if status == OutboxStatus.SENT:
        reach.sent += chats
    elif status == OutboxStatus.WAITING:
        reach.waiting += chats
    elif status == OutboxStatus.FAILED:
        reach.failed += chats
    else:
        reach.pending += chats


async def campaign_of(session: AsyncSession, broadcast_id: int) -> CampaignSend | None:
    return await session.scalar(select(CampaignSend).where(
        CampaignSend.broadcast_id == broadcast_id))


def _campaign_title(send: CampaignSend) -> str:
    names = {day.id: day.name for day in calendar.load().days}
    days = dict.fromkeys(names.get(day_id, day_id) for day_id, _ in split_parts(send.parts))
    return words.CAMPAIGN_TITLE.format(names=" + ".join(days),
                                       on=date.fromisoformat(send.on).strftime("%d/%m/%Y"))


async def figures(session: AsyncSession, broadcast_id: int) -> Figures:
    """Where a broadcast stands now: a handful of grouped queries, whatever its size."""
    record = await session.get(Broadcast, broadcast_id)
    if record is None:
        raise LookupError(broadcast_id)
    send = await campaign_of(session, broadcast_id)
    found = Figures(broadcast_id, _campaign_title(send) if send else record.label)
    relay_chats = (select(Person.private_chat_id)
                   .join(CampaignRelay, CampaignRelay.leader_id == Person.id)
                   .where(CampaignRelay.send_id == (send.id if send else -1)))
    per_chat = (select(OutboxMessage.chat_id, func.max(_ROW_RANK).label("rank"))
                .where(OutboxMessage.broadcast_id == broadcast_id)
                .group_by(OutboxMessage.chat_id).subquery())
    who = case((per_chat.c.chat_id.in_(relay_chats), literal(RELAY)), else_=Chat.kind)
    rows = await session.execute(
        select(who, per_chat.c.rank, func.count()).join(Chat, Chat.id == per_chat.c.chat_id)
        .group_by(who, per_chat.c.rank))
    kinds = {ChatKind.GROUP: found.groups, ChatKind.PRIVATE: found.persons,
             RELAY: found.leaders}
    for kind, rank, chats in rows:
        _count(kinds[kind], _STATE_OF_RANK[int(rank)], int(chats))
    if found.groups.failed:
        failed = await session.execute(
            select(Chat.id, Chat.title, func.min(OutboxMessage.error))
            .join(Chat, Chat.id == OutboxMessage.chat_id)
            .where(OutboxMessage.broadcast_id == broadcast_id,
                   OutboxMessage.status == OutboxStatus.FAILED, Chat.kind == ChatKind.GROUP)
            .group_by(Chat.id, Chat.title).order_by(Chat.id).limit(NAMED_FAILURES))
        found.failures = [(title or f"#{chat_id}", error or "")
                          for chat_id, title, error in failed]
    if send is not None:
        relays, relayed = (await session.execute(
            select(func.count(CampaignRelay.id), func.count(CampaignRelay.confirmed_at))
            .where(CampaignRelay.send_id == send.id))).one()
        found.relays, found.relayed = int(relays), int(relayed)
    found.acks = await acknowledgements.tally(session, broadcast_id)
    return found


# ---- in words --------------------------------------------------------------------------------

def _reason(error: str) -> str:
    for prefix, reason in words.FAILURE_REASONS.items():
        if error.startswith(prefix):
            return reason
    return error[:80]


def _groups_line(reach: Reach, failures: list[tuple[str, str]]) -> str:
    line = words.GROUPS.format(sent=reach.sent, total=reach.total)
    if reach.failed:
        names = "; ".join(words.FAILED_NAME.format(title=title, reason=_reason(error))
                          for title, error in failures)
        unnamed = reach.failed - len(failures)
        line += words.GROUPS_FAILED.format(
            failed=reach.failed,
            names=names + (words.MORE_FAILED.format(count=unnamed) if unnamed > 0 else ""))
    if reach.pending:
        line += words.PENDING.format(count=reach.pending)
    return line


def _persons_line(reach: Reach) -> str:
    line = words.PERSONS.format(sent=reach.sent, total=reach.total)
    if reach.waiting:
        line += words.WAITING.format(count=reach.waiting)
    if reach.failed:
        line += words.PERSONS_FAILED.format(count=reach.failed)
    if reach.pending:
        line += words.PENDING.format(count=reach.pending)
    return line


def _acks_line(acks: Tally) -> str:
    if acks.households and acks.unlinked:
        return words.ACKS_BOTH.format(households=acks.households, persons=acks.unlinked)
    if acks.households:
        return words.ACKS_HOUSEHOLDS.format(households=acks.households)
    if acks.unlinked:
        return words.ACKS_PERSONS.format(persons=acks.unlinked)
    return words.ACKS_NONE


def describe(found: Figures) -> list[str]:
    """The figures as lines: group chats, relays, people in private, acknowledgements."""
    lines = []
    if found.groups.total:
        lines.append(_groups_line(found.groups, found.failures))
    if found.relays:
        line = words.RELAYS.format(relayed=found.relayed, total=found.relays)
        if found.leaders.waiting:
            line += words.LEADERS_WAITING.format(count=found.leaders.waiting)
        lines.append(line)
    if found.persons.total:
        lines.append(_persons_line(found.persons))
    if not lines:
        lines.append(words.NOTHING_REACHED)
    lines.append(_acks_line(found.acks))
    return lines


def report_text(found: Figures) -> str:
    return "\n".join([words.REPORT_TITLE.format(title=found.title, number=found.broadcast_id),
                      *describe(found),
                      words.REPORT_MORE.format(number=found.broadcast_id)])


def status_text(found: Figures, now: datetime, rt: Runtime) -> str:
    return "\n".join([words.STATUS_TITLE.format(title=found.title, number=found.broadcast_id,
                                                at=format_local(now, rt.settings.tz)),
                      *describe(found)])


# ---- the report, once ------------------------------------------------------------------------

_UNFINISHED = select(OutboxMessage.id).where(
    OutboxMessage.broadcast_id == Broadcast.id,
    OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT])).exists()
_FANNING_OUT = select(CampaignSend.id).where(
    CampaignSend.broadcast_id == Broadcast.id,
    CampaignSend.status != CampaignSendStatus.SENT).exists()


async def take_report(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Mark the broadcast finished and reported if it is finished and nobody reported it yet:
    one conditional UPDATE, so exactly one caller gets True."""
    taken = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.reported_at.is_(None),
               ~_UNFINISHED, ~_FANNING_OUT)
        .values(finished_at=now, reported_at=now)
        .returning(Broadcast.id).execution_options(synchronize_session=False))
    return taken.first() is not None


async def readers(session: AsyncSession, broadcast_id: int, now: datetime) -> list[Person]:
    """Who gets the report: its author; for a campaign message the commune's admins, else its
    police chiefs."""
    record = await session.get(Broadcast, broadcast_id)
    if record is None:
        return []
    if record.author_person_id is not None:
        author = await session.get(Person, record.author_person_id)
        return [author] if author is not None else []
    send = await campaign_of(session, broadcast_id)
    if send is None:
        return []
    for role in (Role.COMMUNE_ADMIN, Role.POLICE_CHIEF):
        found = await people.holders(session, {role}, send.commune_id, now)
        if found:
            return found
    return []


async def report_if_done(session: AsyncSession, rt: Runtime, broadcast_id: int) -> bool:
    """When the broadcast has finished, tell its readers once; True if it reported now."""
    now = rt.clock.now()
    if not await take_report(session, broadcast_id, now):
        return False
    text = report_text(await figures(session, broadcast_id))
    for person in await readers(session, broadcast_id, now):
        chat = await session.get(Chat, person.private_chat_id) if person.private_chat_id \
            else None
        if chat is not None and chat.active:
            await outbox.enqueue(session, rt, chat, Outgoing(text))
    return True


# ---- on demand: /lich <số> -------------------------------------------------------------------

async def status_for(session: AsyncSession, rt: Runtime, person: Person, broadcast_id: int,
                     now: datetime) -> str:
    """The figures of a broadcast as they are now, for its author or, for a campaign message,
    a manager of its commune; anyone else (or a number that is no broadcast) hears the same
    `NotFound`, so numbers reveal nothing."""
    record = await session.get(Broadcast, broadcast_id) if 0 < broadcast_id < 2**31 else None
    allowed = record is not None and record.author_person_id == person.id
    if record is not None and not allowed:
        send = await campaign_of(session, broadcast_id)
        allowed = send is not None and await people.has_role(
            session, person.id, set(MANAGERS), now, send.commune_id)
    if not allowed:
        raise NotFound(words.STATUS_NOT_FOUND.format(number=broadcast_id))
    return status_text(await figures(session, broadcast_id), now, rt)
