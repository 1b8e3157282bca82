"""People, their chats, their roles, and the invites that grant roles.

Platform ids are never stored in clear: a keyed digest finds the row, an encrypted copy lets the
delivery worker address the chat. Roles are per area, expire, and can be revoked; an invite is a
one-time token stored only as a keyed hash. Every sentence is in `content.people`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.crypto import normalize_code, random_code
from bot.messages import ChatType, Incoming, Outgoing
from bot.models import (
    Area,
    Chat,
    ChatKind,
    Invite,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    RoleGrant,
)
from bot.runtime import Runtime
from bot.services import areas, outbox
from bot.services.errors import DomainError, NotFound
from content import people as words

INVITE_TOKEN_LENGTH = 16  # 80 random bits
DEFAULT_INVITE_DAYS = 7


# built once: these run for every update, and building a statement costs more than running it
CHAT_BY_REF = select(Chat).where(Chat.channel == bindparam("channel"),
                                 Chat.chat_ref == bindparam("ref"))
PERSON_BY_REF = select(Person).where(Person.channel == bindparam("channel"),
                                     Person.user_ref == bindparam("ref"))
# most updates come from someone writing in their own private chat: both rows in one query
PERSON_AND_PRIVATE_CHAT = (
    select(Person, Chat).outerjoin(Chat, Chat.id == Person.private_chat_id)
    .where(Person.channel == bindparam("channel"), Person.user_ref == bindparam("ref")))
# in a group chat (a button pressed under a broadcast by any member): the chat, and the
# person if the bot knows them, in one query
GROUP_CHAT_AND_PERSON = (
    select(Chat, Person).outerjoin(Person, and_(Person.channel == bindparam("channel"),
                                                Person.user_ref == bindparam("ref")))
    .where(Chat.channel == bindparam("channel"), Chat.chat_ref == bindparam("chat_ref")))


def user_ref(rt: Runtime, channel: str, user_id: str) -> str:
    return rt.digest(user_id, f"user:{channel}")


def chat_ref(rt: Runtime, channel: str, chat_id: str) -> str:
    return rt.digest(chat_id, f"chat:{channel}")


async def ensure_chat(
    session: AsyncSession,
    rt: Runtime,
    channel: str,
    external_id: str,
    kind: ChatKind,
    title: str | None = None,
) -> Chat:
    ref = chat_ref(rt, channel, external_id)
    chat = await session.scalar(CHAT_BY_REF, {"channel": channel, "ref": ref})
    if chat is None:
        chat = Chat(
            channel=channel,
            chat_ref=ref,
            external_id_enc=rt.keyring.encrypt_text(external_id, "chat.external_id"),
            kind=kind,
            title=title if kind is ChatKind.GROUP else None,
            created_at=seen_day(rt.clock.now()),
            active=True,
        )
        session.add(chat)
        await session.flush()
    else:
        _retitle(chat, kind, title)
    return chat


def _retitle(chat: Chat, kind: ChatKind, title: str | None) -> None:
    """A group chat renamed on its messenger is renamed here (reports name groups)."""
    if kind is ChatKind.GROUP and title and chat.title != title:
        chat.title = title


async def mark_chat_gone(session: AsyncSession, rt: Runtime, chat: Chat, reason: str) -> bool:
    """The bot can no longer write to this chat (blocked, removed from the group). Mark it
    inactive, fail what still waits for it, and tell the group's leaders — once, on the change.
    Returns True when the chat was active until now."""
    if not chat.active:
        return False
    chat.active, chat.inactive_reason, chat.waiting_contact = False, reason[:200], False
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat.id,
               OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.WAITING]))
        .values(status=OutboxStatus.FAILED, error="chat inactive", payload_enc=None)
    )
    if chat.kind != ChatKind.GROUP or chat.area_id is None:
        return True
    for leader in await holders(session, {Role.GROUP_LEADER}, chat.area_id, rt.clock.now()):
        private = await session.get(Chat, leader.private_chat_id) if leader.private_chat_id \
            else None
        if private is not None and private.active:
            notice = words.BOT_REMOVED.format(title=chat.title or words.UNTITLED_GROUP)
            await outbox.enqueue(session, rt, private, Outgoing(notice))
    return True


async def move_chat(session: AsyncSession, rt: Runtime, chat: Chat, new_external_id: str) -> None:
    """Follow a chat whose id changed (a Telegram group upgraded to a supergroup).

    If the bot already met the new id (someone wrote there first), that row takes over what
    the old one was bound to and the messages still waiting for it."""
    new_ref = chat_ref(rt, chat.channel, new_external_id)
    if new_ref == chat.chat_ref:
        return
    twin = await session.scalar(select(Chat).where(Chat.channel == chat.channel,
                                                   Chat.chat_ref == new_ref))
    if twin is None:
        chat.chat_ref = new_ref
        chat.external_id_enc = rt.keyring.encrypt_text(new_external_id, "chat.external_id")
        return
    twin.area_id = twin.area_id or chat.area_id
    twin.purpose = twin.purpose or chat.purpose
    twin.active, twin.inactive_reason = True, None
    chat.active, chat.inactive_reason = False, "upgraded to a supergroup"
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat.id,
               OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT]))
        .values(chat_id=twin.id)
    )


def seen_day(now: datetime) -> datetime:
    """When a person or chat was first or last seen, kept to the day. To the minute, a fully
    anonymous reporter's last visit would sit beside their tip's time and point at them."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


class Touched(NamedTuple):
    person: Person
    chat: Chat
    first: bool  # the person's first message ever: the bot did not know them


async def touch(session: AsyncSession, rt: Runtime, incoming: Incoming) -> tuple[Person, Chat]:
    """Find or create the person and the chat an incoming event came from (see `arrive`)."""
    person, chat, _ = await arrive(session, rt, incoming)
    return person, chat


async def arrive(session: AsyncSession, rt: Runtime, incoming: Incoming) -> Touched:
    """Find or create the person and the chat an incoming event came from, and say whether
    the person is new. Whatever waited for them to write (`OutboxStatus.WAITING`) is queued
    again, in this transaction."""
    now = rt.clock.now()
    kind = ChatKind.PRIVATE if incoming.chat_type is ChatType.PRIVATE else ChatKind.GROUP
    ref = user_ref(rt, incoming.channel, incoming.user_id)
    params = {"channel": incoming.channel, "ref": ref}
    person: Person | None
    chat: Chat | None = None
    if kind is ChatKind.PRIVATE:
        found = (await session.execute(PERSON_AND_PRIVATE_CHAT, params)).first()
        person, chat = found if found is not None else (None, None)
        if chat is not None and chat.chat_ref != chat_ref(rt, incoming.channel, incoming.chat_id):
            chat = None  # written from a private chat the bot did not know as theirs
    else:
        found = (await session.execute(GROUP_CHAT_AND_PERSON, {
            **params, "chat_ref": chat_ref(rt, incoming.channel, incoming.chat_id)})).first()
        if found is not None:
            chat, person = found
            _retitle(chat, kind, incoming.chat_title)
        else:
            person = await session.scalar(PERSON_BY_REF, params)
    if chat is None:
        chat = await ensure_chat(
            session, rt, incoming.channel, incoming.chat_id, kind, incoming.chat_title
        )
    first = person is None
    if person is None:
        person = Person(
            channel=incoming.channel,
            user_ref=ref,
            external_id_enc=rt.keyring.encrypt_text(incoming.user_id, "person.external_id"),
            created_at=seen_day(now),
            last_seen_at=seen_day(now),
        )
        session.add(person)
    # write only what changed: most updates come from people the bot already knows
    if seen_day(now) > person.last_seen_at:
        person.last_seen_at = seen_day(now)
    if incoming.user_name and (person.name_enc is None or display_name(rt, person)
                               != incoming.user_name):
        person.name_enc = rt.keyring.encrypt_text(incoming.user_name, "person.name")
    if kind is ChatKind.PRIVATE:
        if person.id is None or chat.id is None:
            await session.flush()
        if person.private_chat_id != chat.id:
            person.private_chat_id = chat.id
        if not chat.active:
            chat.active, chat.inactive_reason = True, None
    if chat.waiting_contact:  # they wrote: what waited for them goes now, before the reply
        from bot.services.tips import cards  # here: the cards build on this module

        await cards.withdraw_lost(session, rt, chat)  # not the cards of a lost role
        await outbox.release_waiting(session, {chat.id}, chat.channel)
        set_committed_value(chat, "waiting_contact", False)
    if person.id is None:
        await session.flush()
    return Touched(person, chat, first)


def display_name(rt: Runtime, person: Person) -> str:
    if person.name_enc is None:
        return f"#{person.id}"
    return rt.keyring.decrypt_text(person.name_enc, "person.name")


# ---- roles -------------------------------------------------------------------------------------

def grant_active(now: Any) -> tuple[ColumnElement[bool], ...]:
    """What makes a role grant count at `now` (a time or a bind parameter): not revoked, not
    expired. Every "who holds this role" question asks this, and nothing else."""
    return (
        RoleGrant.revoked_at.is_(None),
        or_(RoleGrant.expires_at.is_(None), RoleGrant.expires_at > now),
    )


async def active_roles(session: AsyncSession, person_id: int, now: datetime) -> list[RoleGrant]:
    query = select(RoleGrant).where(RoleGrant.person_id == person_id, *grant_active(now))
    return list((await session.scalars(query.order_by(RoleGrant.id))).all())


async def held_roles(session: AsyncSession, person_id: int, now: datetime
                     ) -> list[tuple[RoleGrant, Area]]:
    """The person's active roles with their areas, in the order they were granted."""
    query = (select(RoleGrant, Area).join(Area, Area.id == RoleGrant.area_id)
             .where(RoleGrant.person_id == person_id, *grant_active(now)).order_by(RoleGrant.id))
    return [(grant, area) for grant, area in (await session.execute(query)).all()]


async def communes_of(session: AsyncSession, person_id: int, chat: Chat, now: datetime
                      ) -> list[Area]:
    """The communes a person is tied to, by a role in or below them or by the area of the chat
    they write from (for the commune police's number): each once."""
    area_ids = {grant.area_id for grant in await active_roles(session, person_id, now)}
    if chat.area_id:
        area_ids.add(chat.area_id)
    found: dict[int, Area] = {}
    for area in (await session.scalars(select(Area).where(Area.id.in_(area_ids))
                                       .order_by(Area.id))).all():
        commune = await areas.enclosing(session, area, "commune")
        if commune is not None:
            found[commune.id] = commune
    return list(found.values())


async def has_role(
    session: AsyncSession,
    person_id: int,
    roles: set[Role],
    now: datetime,
    area_id: int | None = None,
) -> bool:
    """Whether the person holds one of `roles`, in exactly `area_id` when given (no inheritance)."""
    for grant in await active_roles(session, person_id, now):
        if grant.role in roles and (area_id is None or grant.area_id == area_id):
            return True
    return False


HOLDERS = (  # built once: every tip asks it
    select(Person)
    .join(RoleGrant, RoleGrant.person_id == Person.id)
    .where(RoleGrant.area_id == bindparam("area_id"),
           RoleGrant.role.in_(bindparam("roles", expanding=True)), *grant_active(bindparam("now")))
    .distinct()
    .order_by(Person.id)
)


async def holders(
    session: AsyncSession, roles: set[Role], area_id: int, now: datetime
) -> list[Person]:
    """People holding one of `roles` in exactly this area."""
    params = {"area_id": area_id, "roles": sorted(roles), "now": now}
    return list((await session.scalars(HOLDERS, params)).all())


async def grant_role(
    session: AsyncSession,
    person: Person,
    role: Role,
    area: Area,
    *,
    now: datetime,
    granted_by: str,
    expires_at: datetime | None = None,
    invite_id: int | None = None,
) -> RoleGrant:
    grant = RoleGrant(
        person_id=person.id,
        role=role,
        area_id=area.id,
        granted_at=now,
        granted_by=granted_by,
        expires_at=expires_at,
        invite_id=invite_id,
    )
    session.add(grant)
    await session.flush()
    return grant


async def revoke_role(session: AsyncSession, grant_id: int, *, now: datetime, by: str) -> RoleGrant:
    grant = await session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound(words.NO_GRANT.format(number=grant_id))
    if grant.revoked_at is not None:
        raise DomainError(words.GRANT_ALREADY_REVOKED.format(number=grant_id))
    grant.revoked_at, grant.revoked_by = now, by
    return grant


@dataclass(frozen=True)
class GrantView:
    grant: RoleGrant
    area: Area
    person_name: str


async def list_grants(
    session: AsyncSession, rt: Runtime, *, include_inactive: bool = False
) -> list[GrantView]:
    query = select(RoleGrant, Area, Person).join(Area, Area.id == RoleGrant.area_id)
    query = query.join(Person, Person.id == RoleGrant.person_id)
    if not include_inactive:
        query = query.where(*grant_active(rt.clock.now()))
    rows = (await session.execute(query.order_by(RoleGrant.id))).all()
    return [GrantView(grant, area, display_name(rt, person)) for grant, area, person in rows]


# ---- invites -----------------------------------------------------------------------------------

class InviteProblem(DomainError):
    pass


def invite_hash(rt: Runtime, token: str) -> str:
    return rt.digest(normalize_code(token), "invite")


async def create_invite(
    session: AsyncSession,
    rt: Runtime,
    *,
    role: Role,
    area: Area,
    created_by: str,
    valid_for: timedelta = timedelta(days=DEFAULT_INVITE_DAYS),
) -> tuple[Invite, str]:
    """Returns the invite and its token; the token is shown once and never stored."""
    token = random_code(INVITE_TOKEN_LENGTH)
    now = rt.clock.now()
    invite = Invite(
        token_hash=invite_hash(rt, token),
        role=role,
        area_id=area.id,
        created_by=created_by,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invite)
    await session.flush()
    return invite, token


def looks_like_invite(text: str) -> bool:
    return len(normalize_code(text)) == INVITE_TOKEN_LENGTH


SPEND_INVITE = (
    update(Invite)
    .where(Invite.token_hash == bindparam("digest"), Invite.used_at.is_(None),
           Invite.revoked_at.is_(None), Invite.expires_at > bindparam("now"))
    .values(used_at=bindparam("spent_at"), used_by=bindparam("spender"))
    .returning(Invite.id, Invite.role, Invite.area_id)
)


async def redeem_invite(
    session: AsyncSession, rt: Runtime, token: str, person: Person
) -> tuple[RoleGrant, Area]:
    """Grant the invite's role to `person`, once; any problem changes nothing.

    The invite is spent by one conditional UPDATE (… WHERE used_at IS NULL … RETURNING), so
    of several people pasting it at the same moment exactly one gets the role: the others'
    UPDATE waits for the first to commit, then finds the invite used (PostgreSQL) or runs
    after it (SQLite). Only when nothing was spent is the invite read, to say why; a token
    that cannot be one is refused before any of it."""
    if not looks_like_invite(token):
        raise InviteProblem(words.INVITE_UNKNOWN)
    now = rt.clock.now()
    digest = invite_hash(rt, token)
    spent = (await session.execute(SPEND_INVITE, {
        "digest": digest, "now": now, "spent_at": now, "spender": person.id})).first()
    if spent is None:
        invite = await session.scalar(select(Invite).where(Invite.token_hash == digest)
                                      .execution_options(populate_existing=True))
        if invite is None:
            raise InviteProblem(words.INVITE_UNKNOWN)
        if invite.revoked_at is not None:
            raise InviteProblem(words.INVITE_REVOKED)
        if invite.used_at is not None:
            raise InviteProblem(words.INVITE_USED)
        raise InviteProblem(words.INVITE_EXPIRED)
    invite_id, role, area_id = spent
    area = await session.get(Area, area_id)
    assert area is not None
    grant = await grant_role(
        session, person, Role(role), area, now=now, granted_by=f"invite:{invite_id}",
        invite_id=invite_id,
    )
    return grant, area


async def revoke_invite(session: AsyncSession, invite_id: int, now: datetime) -> None:
    invite = await session.get(Invite, invite_id)
    if invite is None:
        raise NotFound(words.NO_INVITE.format(number=invite_id))
    invite.revoked_at = now
