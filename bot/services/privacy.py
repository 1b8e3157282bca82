"""Residents' data rights (the Personal Data Protection Law): what the bot holds about a person
(`export`), and forgetting them (`forget`). Every request is recorded in `privacy_requests`
without its content: its kind, the messenger, how it came and the day.

What forgetting keeps, and why:
- A tip already with the police stays with the police: its content, its events and its files
  are the commune's case, not the reporter's account. The link to the person goes (the
  `tip_reporters` row: the keyed reference, the encrypted person id, a phone left for the
  officers), so the bot can no longer tell them about it and nobody can look it up by its code
  alone. A fully anonymous tip was never linked: there is nothing to remove.
- Coverage keeps only the anonymous fact that a household was reached (`household_reach`,
  `period_reach`, `group_tallies` hold no person); the person's acknowledgements and their
  link to the household go, and the household's member count is recounted.
- A broadcast or an activity a former leader wrote stays the commune's record: then the person
  row stays as a tombstone (random reference, no platform id, no name) so those rows keep a
  valid author, and nothing in it points at anyone. Otherwise the row is deleted.

Someone holding a role the commune granted (a leader, an officer, …) is refused
(`HoldsRole`): the role is the commune's to revoke first, and the records of their work are
the commune's.

Forgetting from the chat itself queues one farewell to the private chat, so that chat row
stays, with a random reference, until the farewell is delivered; `sweep` (run by the
housekeeping tick) deletes it then.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.models import (
    Acknowledgement,
    Area,
    Base,
    CampaignChoice,
    CampaignLocalDate,
    Chat,
    ChatKind,
    EvidenceLink,
    FileLink,
    FlowState,
    GuardCounter,
    Household,
    Invite,
    OutboxMessage,
    OutboxStatus,
    Person,
    PrivacyKind,
    PrivacyRequest,
    Role,
    RoleGrant,
    Tip,
    TipCard,
    TipReporter,
)
from bot.models import Evidence as EvidenceRow
from bot.runtime import Runtime
from bot.services import guards, outbox, people
from bot.services.coverage import reach
from bot.services.coverage.households import GUARD_KIND as HOUSEHOLD_GUARD
from bot.services.errors import DomainError
from bot.services.tips.codes import reporter_ref
from content import people as people_words
from content import privacy as words

FORGOTTEN = "forgotten"  # Chat.purpose of a private chat kept only for the farewell
PENDING = (OutboxStatus.QUEUED, OutboxStatus.WAITING)
# the guard counters keyed by a person's id (see `guards.guard_key` callers)
PERSON_GUARDS = ("tips", "lookup-acct", "lookup-pace", HOUSEHOLD_GUARD)


class HoldsRole(DomainError):
    """The person holds a role the commune granted: it must be revoked before forgetting."""


@dataclass(frozen=True)
class TipHeld:
    category: str
    status: str
    filed: date


@dataclass(frozen=True)
class Held:
    """What the bot holds about one person, as the person is shown it (`as_dict` for JSON)."""

    channel: str
    name: str | None
    first_seen: date
    last_seen: date
    roles: list[tuple[str, str]]  # (Role value, area name), active grants
    groups: list[str]  # the groups they joined (as residents)
    household: tuple[str, str] | None  # (label, group name)
    tips: list[TipHeld]  # linked tips, which they can look up by their code alone
    waiting: int  # messages waiting for their private chat
    consent: bool | None  # campaign messages in private
    acknowledgements: int
    conversation: bool  # a conversation under way is stored (besides this one)

    @property
    def official_roles(self) -> list[tuple[str, str]]:
        return [(role, area) for role, area in self.roles if role != Role.RESIDENT]

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel, "name": self.name,
            "first_seen": self.first_seen.isoformat(), "last_seen": self.last_seen.isoformat(),
            "roles": [{"role": role, "area": area} for role, area in self.roles],
            "groups": self.groups,
            "household": None if self.household is None else {
                "label": self.household[0], "group": self.household[1]},
            "tips": [{"category": t.category, "status": t.status, "filed": t.filed.isoformat()}
                     for t in self.tips],
            "messages_waiting": self.waiting, "campaign_consent": self.consent,
            "acknowledgements": self.acknowledgements,
            "conversation_stored": self.conversation,
        }


async def record(session: AsyncSession, kind: PrivacyKind, channel: str, via: str,
                 now: datetime) -> None:
    """The request, without its content (see `PrivacyRequest`)."""
    session.add(PrivacyRequest(kind=kind, channel=channel, via=via, on=now.date()))
    await session.flush()


async def find(session: AsyncSession, rt: Runtime, channel: str, user_id: str) -> Person | None:
    """The person of a messenger's user id (for the operator's CLI)."""
    return await session.scalar(select(Person).where(
        Person.channel == channel, Person.user_ref == people.user_ref(rt, channel, user_id)))


async def held(session: AsyncSession, rt: Runtime, person: Person, now: datetime) -> Held:
    """Everything the bot holds about `person`, read only."""
    grants = await people.held_roles(session, person.id, now)
    roles = [(grant.role, area.name) for grant, area in grants]
    groups = [area.name for grant, area in grants if grant.role == Role.RESIDENT]
    household = None
    if person.household_id is not None:
        found = (await session.execute(
            select(Household.label, Area.name).join(Area, Area.id == Household.area_id)
            .where(Household.id == person.household_id))).first()
        household = None if found is None else (found[0], found[1])
    tips = [TipHeld(tip.category, tip.status, tip.created_at.astimezone(rt.settings.tz).date())
            for tip in (await session.scalars(
                select(Tip).join(TipReporter, TipReporter.tip_id == Tip.id)
                .where(TipReporter.person_ref == reporter_ref(rt, person))
                .order_by(Tip.id))).all()]
    waiting = 0
    if person.private_chat_id is not None:
        waiting = int(await session.scalar(
            select(func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.chat_id == person.private_chat_id,
                   OutboxMessage.status.in_(PENDING))) or 0)
    acks = int(await session.scalar(select(func.count()).select_from(Acknowledgement)
                                    .where(Acknowledgement.person_id == person.id)) or 0)
    states = int(await session.scalar(select(func.count()).select_from(FlowState)
                                      .where(FlowState.person_id == person.id)) or 0)
    name = people.display_name(rt, person) if person.name_enc is not None else None
    return Held(person.channel, name, person.created_at.date(), person.last_seen_at.date(),
                roles, groups, household, tips, waiting, person.campaign_consent, acks,
                states > 0)


async def export(session: AsyncSession, rt: Runtime, person: Person, *, via: str = "cli"
                 ) -> dict[str, Any]:
    """What the bot holds about `person`, as plain JSON-ready data; the request recorded."""
    now = rt.clock.now()
    found = await held(session, rt, person, now)
    await record(session, PrivacyKind.EXPORT, person.channel, via, now)
    return found.as_dict()


async def asked(session: AsyncSession, channel: str, now: datetime) -> None:
    """A person asked in the chat what the bot holds about them (`/dulieu`): recorded once per
    asking, however often the answer is shown again."""
    await record(session, PrivacyKind.EXPORT, channel, "chat", now)


async def check_can_forget(session: AsyncSession, person: Person, now: datetime) -> None:
    """`HoldsRole` while the person holds a role the commune granted (anything but resident)."""
    official = [(grant, area) for grant, area in await people.held_roles(session, person.id, now)
                if grant.role != Role.RESIDENT]
    if official:
        names = ", ".join(f"{people_words.ROLE_NAMES[Role(grant.role)]} ({area.name})"
                          for grant, area in official)
        raise HoldsRole(words.HOLDS_ROLE.format(roles=names))


async def _references(session: AsyncSession, person_id: int) -> int:
    """How many rows anywhere still point at the person row (by a foreign key)."""
    total = 0
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "persons" for fk in column.foreign_keys):
                total += int(await session.scalar(
                    select(func.count()).select_from(table).where(column == person_id)) or 0)
    return total


async def _forget_private_chat(session: AsyncSession, chat: Chat, keep: bool) -> None:
    """Drop what waits for the person's private chat; delete the chat, or (`keep`, a farewell
    follows) leave it under a random reference until `sweep` finds it delivered."""
    await session.execute(delete(TipCard).where(TipCard.chat_id == chat.id))
    await session.execute(delete(OutboxMessage).where(
        OutboxMessage.chat_id == chat.id, OutboxMessage.status != OutboxStatus.IN_FLIGHT))
    await session.execute(delete(FlowState).where(FlowState.chat_id == chat.id))
    in_flight = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.chat_id == chat.id))
    if keep or in_flight:
        chat.chat_ref = f"{FORGOTTEN}:{secrets.token_hex(16)}"
        chat.purpose, chat.title, chat.waiting_contact = FORGOTTEN, None, False
    else:
        await session.delete(chat)
    await session.flush()


async def forget(session: AsyncSession, rt: Runtime, person: Person, now: datetime, *,
                 via: str = "cli", farewell: Outgoing | None = None) -> bool:
    """Erase or anonymise everything about `person` (see the module's note for what stays).
    `farewell` is queued to their private chat last, the one thing the bot still says to
    them. True when the person row was deleted, False when it stays as a tombstone. Raises
    `HoldsRole` first, changing nothing, while they hold a role the commune granted."""
    await check_can_forget(session, person, now)
    pid, ref = person.id, person.user_ref
    household_id = person.household_id
    # tips: the link goes, the tip stays with the police
    await session.execute(delete(TipReporter).where(
        TipReporter.person_ref == reporter_ref(rt, person)))
    # coverage: their acknowledgements and household link go; the household is recounted
    await session.execute(delete(Acknowledgement).where(Acknowledgement.person_id == pid))
    person.household_id = None
    await session.flush()
    if household_id is not None:
        await reach.count_linked(session, rt.settings, reach.local_day(rt.settings, now),
                                 [household_id])
    # roles (residency in groups, revoked grants of a past role), conversations, links
    await session.execute(delete(RoleGrant).where(RoleGrant.person_id == pid))
    await session.execute(update(Invite).where(Invite.used_by == pid).values(used_by=None))
    await session.execute(delete(FlowState).where(FlowState.person_id == pid))
    await session.execute(delete(EvidenceLink).where(EvidenceLink.person_id == pid))
    await session.execute(delete(FileLink).where(FileLink.person_id == pid))
    # files they sent that no tip took (a draft, an abandoned roster)
    await session.execute(delete(EvidenceRow).where(EvidenceRow.owner_ref == ref,
                                                    EvidenceRow.tip_id.is_(None)))
    await session.execute(delete(GuardCounter).where(GuardCounter.key.in_(
        [guards.guard_key(rt, kind, str(pid)) for kind in PERSON_GUARDS])))
    # "person:<id>" in the records of what they did to others (a member removed, a campaign
    # day changed): a deleted row's id may be given to someone new on SQLite
    by = f"person:{pid}"
    for column in (RoleGrant.revoked_by, CampaignChoice.changed_by,
                   CampaignLocalDate.changed_by):
        await session.execute(update(column.class_).where(column == by)
                              .values({column.key: FORGOTTEN}))
    chat = (await session.get(Chat, person.private_chat_id)
            if person.private_chat_id is not None else None)
    person.private_chat_id = None
    person.user_ref = f"{FORGOTTEN}:{secrets.token_hex(16)}"
    person.external_id_enc, person.name_enc, person.campaign_consent = b"", None, None
    await session.flush()
    deleted = await _references(session, pid) == 0
    if deleted:
        await session.delete(person)
        await session.flush()
    if chat is not None and chat.kind == ChatKind.PRIVATE:
        await _forget_private_chat(session, chat, keep=farewell is not None)
        if farewell is not None:
            await outbox.enqueue(session, rt, chat, farewell)
    await record(session, PrivacyKind.FORGET, person.channel, via, now)
    return deleted


async def sweep(session: AsyncSession) -> int:
    """Delete the private chats of forgotten people once nothing waits for them (the farewell
    delivered, or failed). Returns how many went."""
    gone = 0
    for chat in (await session.scalars(select(Chat).where(Chat.purpose == FORGOTTEN))).all():
        left = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.chat_id == chat.id,
            or_(OutboxMessage.status.in_(PENDING),
                OutboxMessage.status == OutboxStatus.IN_FLIGHT)))
        if left:
            continue
        await session.execute(delete(TipCard).where(TipCard.chat_id == chat.id))
        await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == chat.id))
        await session.delete(chat)
        gone += 1
    await session.flush()
    return gone
