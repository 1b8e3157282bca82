"""Joining a neighbourhood group by code, for groups the bot cannot see (Zalo bots are never in
group chats); the same on Telegram.

A group leader issues a code (`issue`) and pastes the bot's invitation into the group's own
chat; each resident sends the code to the bot privately (`redeem`) and becomes a `resident` of
that group, and the leader who issued the code is told. The leader sees who joined (`roster`)
and can undo a mistake (`remove`).

Unlike an invite (`people.redeem_invite`), a join code is not spent: the whole group uses it
until it expires or the leader asks for a new one, which revokes the old. Codes are stored only
as keyed hashes. Every refusal is a `DomainError` worded in `content.groups`; this module never
words anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import normalize_code, random_code
from bot.messages import Outgoing
from bot.models import Area, Chat, JoinCode, Person, Role, RoleGrant
from bot.runtime import Runtime
from bot.services import outbox, people
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from content import groups as words

CODE_LENGTH = 8
CODE_DAYS = 30


@dataclass(frozen=True)
class IssuedCode:
    group: Area
    code: str  # shown once to the leader, never stored
    valid_until: datetime


@dataclass(frozen=True)
class Joined:
    """What redeeming a code did, so the caller can answer (and ask a newcomer more)."""

    group: Area
    newly_joined: bool  # False: they were a member already, nothing changed


@dataclass(frozen=True)
class Member:
    name: str
    since: datetime


@dataclass(frozen=True)
class Roster:
    """A group's members who joined through the bot, numbered from 1 in this order."""

    group: Area
    members: list[Member]


@dataclass(frozen=True)
class Removed:
    group: Area
    name: str


def _code_hash(rt: Runtime, code: str) -> str:
    return rt.digest(normalize_code(code), "join")


async def led_group(session: AsyncSession, person: Person, now: datetime) -> Area:
    """The group this person leads (the first granted, when several); `NotAllowed` for
    anyone who leads none."""
    for grant in await people.active_roles(session, person.id, now):
        if Role(grant.role) is Role.GROUP_LEADER:
            area = await session.get(Area, grant.area_id)
            if area is not None:
                return area
    raise NotAllowed(words.NOT_LEADER)


async def issue(session: AsyncSession, rt: Runtime, leader: Person) -> IssuedCode:
    """A new code for the group `leader` leads, valid `CODE_DAYS`; the group's older codes
    stop working."""
    now = rt.clock.now()
    group = await led_group(session, leader, now)
    await session.execute(update(JoinCode)
                          .where(JoinCode.area_id == group.id, JoinCode.revoked_at.is_(None))
                          .values(revoked_at=now))
    code = random_code(CODE_LENGTH)
    until = now + timedelta(days=CODE_DAYS)
    session.add(JoinCode(code_hash=_code_hash(rt, code), area_id=group.id, created_by=leader.id,
                         created_at=now, expires_at=until))
    return IssuedCode(group, code, until)


async def redeem(session: AsyncSession, rt: Runtime, code: str, person: Person) -> Joined:
    """Make `person` a resident of the code's group, however the code is typed (case, spaces),
    and tell the leader who issued it; `NotFound` for a code unknown, revoked or expired. A
    member already stays one, and nobody is told."""
    now = rt.clock.now()
    found = await session.scalar(select(JoinCode).where(JoinCode.code_hash
                                                        == _code_hash(rt, code)))
    if found is None or found.revoked_at is not None or found.expires_at <= now:
        raise NotFound(words.BAD_CODE)
    group = await session.get(Area, found.area_id)
    assert group is not None
    if await people.has_role(session, person.id, {Role.RESIDENT}, now, group.id):
        return Joined(group, newly_joined=False)
    await people.grant_role(session, person, Role.RESIDENT, group, now=now,
                            granted_by=f"join:{found.id}")
    await _tell_leader(session, rt, found.created_by, person, group)
    return Joined(group, newly_joined=True)


async def _tell_leader(session: AsyncSession, rt: Runtime, leader_id: int, newcomer: Person,
                       group: Area) -> None:
    leader = await session.get(Person, leader_id)
    chat = await session.get(Chat, leader.private_chat_id) \
        if leader is not None and leader.private_chat_id else None
    if chat is None:
        return
    count = len(await people.holders(session, {Role.RESIDENT}, group.id, rt.clock.now()))
    notice = words.LEADER_TOLD.format(name=people.display_name(rt, newcomer), group=group.name,
                                      count=count)
    await outbox.enqueue(session, rt, chat, Outgoing(notice))


async def _members(session: AsyncSession, rt: Runtime, group: Area
                   ) -> list[tuple[RoleGrant, str]]:
    """The group's residents (as `people.holders` counts them) with their names."""
    rows = (await session.execute(
        select(RoleGrant, Person).join(Person, Person.id == RoleGrant.person_id)
        .where(RoleGrant.area_id == group.id, RoleGrant.role == Role.RESIDENT,
               *people.grant_active(rt.clock.now()))
        .order_by(RoleGrant.id))).all()
    return [(grant, people.display_name(rt, person)) for grant, person in rows]


async def roster(session: AsyncSession, rt: Runtime, leader: Person) -> Roster:
    """The members of the group `leader` leads, in the order they joined."""
    group = await led_group(session, leader, rt.clock.now())
    members = [Member(name, grant.granted_at) for grant, name in
               await _members(session, rt, group)]
    return Roster(group, members)


async def remove(session: AsyncSession, rt: Runtime, leader: Person, number: int | None
                 ) -> Removed:
    """Take back the resident role of the `number`th member of `roster` (from 1);
    `InvalidInput` for a number not on the list (None: not a number at all)."""
    now = rt.clock.now()
    group = await led_group(session, leader, now)
    members = await _members(session, rt, group)
    if number is None or not 1 <= number <= len(members):
        raise InvalidInput(words.BAD_NUMBER)
    grant, name = members[number - 1]
    await people.revoke_role(session, grant.id, now=now, by=f"person:{leader.id}")
    return Removed(group, name)
