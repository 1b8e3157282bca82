"""Acknowledgements: «✅ Nhà tôi đã nhận» under every campaign message and broadcast, the raw
material of outreach coverage.

Three ways in, one store:
- the button (Telegram, in a private chat or a group chat: any member may press it): its data
  names the broadcast, and counts only in a chat that broadcast was sent to — a stale or forged
  button changes nothing (`press`);
- its number typed on a text-only messenger (Zalo), while that message is the newest numbered
  one the person got (`standing_offer`, asked by the flow engine before a number goes to an
  older prompt);
- «đã nhận» written to the bot: it counts for the newest broadcast that reached the person in
  the last `WITHIN` — in their private chat, in their group's chat, or through their group
  leader's relay copy on Zalo (`by_words`).

Each is stored raw (person, broadcast, messenger, chat kind, time) by one INSERT … ON CONFLICT
DO NOTHING, once per (broadcast, person): a repeat changes nothing and is answered as one. A
new one by a person linked to a household reaches that household on the day it was said
(`coverage.reach.mark_linked`, two more statements in the same transaction; none for a person
not linked, whose acknowledgements count for their household once they link: `reach.replay`).
`tally` counts households where people are linked. Writing to the bot reopens the person's
Zalo window like any message (`people.touch`), so what waited for them follows.

Never words anything: the sentences are in `content/acknowledgements.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Integer, Select, String, bindparam, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.messages import Choice, Outgoing
from bot.models import (
    Acknowledgement,
    CampaignRelay,
    CampaignSend,
    Chat,
    ChatKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    ReachSource,
    Role,
    RoleGrant,
    UTCDateTime,
)
from bot.services import people
from bot.services.coverage import reach
from content import acknowledgements as words

ACK_TOKEN = "a"  # the ✅ button's token; its choice id is the broadcast's id
WITHIN = timedelta(days=30)  # «đã nhận» speaks of a message of the last month, not of last year
MEMBER_ROLES = (Role.RESIDENT, Role.GROUP_LEADER)  # who a group's messages reach
_MAX_ID = 2**31 - 1


class Said(StrEnum):
    """What an acknowledgement did."""

    NEW = "new"
    REPEAT = "repeat"  # this person had acknowledged this message already: nothing changed
    NOTHING = "nothing"  # no message of theirs to acknowledge (or a stale, forged button)


@dataclass(frozen=True)
class Tally:
    """Who acknowledged one broadcast: households where the people are linked to one, and the
    people not linked yet (each counted as themselves until coverage links them)."""

    households: int
    unlinked: int

    @property
    def total(self) -> int:
        return self.households + self.unlinked


@dataclass(frozen=True)
class Offered:
    """The newest broadcast with a ✅ that reached a private chat, and when."""

    broadcast_id: int
    at: datetime


def ack_choice(broadcast_id: int) -> Choice:
    return Choice(str(broadcast_id), words.ACK_LABEL)


def offer(content: Outgoing, broadcast_id: int) -> Outgoing:
    """`content` with the ✅ choice naming its broadcast (a button on Telegram, a numbered line
    on Zalo); a message with choices of its own keeps them and offers none."""
    if content.choices or content.edit_of is not None:
        return content
    return replace(content, choices=(ack_choice(broadcast_id),), token=ACK_TOKEN)


# ---- storing ---------------------------------------------------------------------------------

_TABLE = Acknowledgement.__table__
_VALUES = (bindparam("broadcast", type_=Integer()), bindparam("person", type_=Integer()),
           bindparam("channel", type_=String()), bindparam("kind", type_=String()),
           bindparam("at", type_=UTCDateTime()))
_COLUMNS = ["broadcast_id", "person_id", "channel", "chat_kind", "at"]
_SENT_HERE = (select(literal(1)).select_from(OutboxMessage.__table__)
              .where(OutboxMessage.broadcast_id == bindparam("broadcast"),
                     OutboxMessage.chat_id == bindparam("chat")).exists())


def _statements(on_postgresql: bool) -> tuple[object, object]:
    """(store, store if the broadcast was sent to this chat), each one statement returning the
    new row's id, or nothing for a repeat (or, the second, a chat it was never sent to)."""
    insert = postgresql.insert if on_postgresql else sqlite.insert
    plain = (insert(_TABLE).values(dict(zip(_COLUMNS, _VALUES, strict=True)))
             .on_conflict_do_nothing(index_elements=["broadcast_id", "person_id"])
             .returning(_TABLE.c.id))
    checked = (insert(_TABLE).from_select(_COLUMNS, select(*_VALUES).where(_SENT_HERE))
               .on_conflict_do_nothing(index_elements=["broadcast_id", "person_id"])
               .returning(_TABLE.c.id))
    return plain, checked


_STORE = {on_postgresql: _statements(on_postgresql) for on_postgresql in (False, True)}


def _postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _params(broadcast_id: int, person: Person, chat: Chat, now: datetime) -> dict[str, object]:
    return {"broadcast": broadcast_id, "person": person.id, "channel": chat.channel,
            "kind": chat.kind, "at": now, "chat": chat.id}


async def _repeat(session: AsyncSession, broadcast_id: int, person: Person) -> bool:
    return await session.scalar(select(literal(True)).where(select(_TABLE.c.id).where(
        _TABLE.c.broadcast_id == broadcast_id, _TABLE.c.person_id == person.id).exists())) \
        is True


async def _reached(session: AsyncSession, settings: Settings, person: Person,
                   now: datetime) -> Said:
    """A new acknowledgement: the person's household (if they are linked) reached today."""
    if person.household_id is not None:
        await reach.mark_linked(session, settings, person.household_id,
                                reach.local_day(settings, now), ReachSource.ACK)
    return Said.NEW


async def record(session: AsyncSession, settings: Settings, broadcast_id: int, person: Person,
                 chat: Chat, now: datetime) -> Said:
    """Store that `person` acknowledged a broadcast known to have reached them."""
    plain, _ = _STORE[_postgresql(session)]
    stored = (await session.execute(plain, _params(broadcast_id, person, chat, now))).first()
    if stored is not None:
        return await _reached(session, settings, person, now)
    return Said.REPEAT


async def press(session: AsyncSession, settings: Settings, data: str, person: Person, chat: Chat,
                now: datetime) -> Said:
    """The ✅ pressed (or its number typed) in `chat`: counts when the broadcast it names was
    sent to this chat; a button of anything else — stale, forged, garbled — changes nothing."""
    if not data.isdigit() or not 0 < int(data) <= _MAX_ID:
        return Said.NOTHING
    broadcast_id = int(data)
    _, checked = _STORE[_postgresql(session)]
    stored = (await session.execute(checked, _params(broadcast_id, person, chat, now))).first()
    if stored is not None:
        return await _reached(session, settings, person, now)
    return Said.REPEAT if await _repeat(session, broadcast_id, person) else Said.NOTHING


_PRIVATE_ACKS = (select(_TABLE.c.id).where(_TABLE.c.person_id == bindparam("person"),
                                           _TABLE.c.chat_kind == ChatKind.PRIVATE.value)
                 .limit(2).subquery())
_FIRST_IN_PRIVATE = select(func.count()).select_from(_PRIVATE_ACKS)


async def tell_how_to_register(session: AsyncSession, person: Person, chat: Chat) -> bool:
    """Whether the answer to a new acknowledgement should say how to link to a household
    (`/dangky`): only to someone not linked, in a private chat, and only for their first
    acknowledgement there — a hint, not a nag. Asked only in that case, so the acknowledgements
    of linked people and those in group chats cost no statement for it."""
    if person.household_id is not None or chat.kind != ChatKind.PRIVATE:
        return False
    return await session.scalar(_FIRST_IN_PRIVATE, {"person": person.id}) == 1


# ---- what reached a person -------------------------------------------------------------------

def _groups_of(person_id: int, now: datetime) -> Select[tuple[int]]:
    """The groups a person belongs to (a resident who joined, or its leader)."""
    return select(RoleGrant.area_id).where(RoleGrant.person_id == person_id,
                                           RoleGrant.role.in_(MEMBER_ROLES),
                                           *people.grant_active(now))


async def newest_reaching(session: AsyncSession, person: Person, chat: Chat, now: datetime
                          ) -> int | None:
    """The newest broadcast that reached the person within `WITHIN`: sent to the chat they
    write from or to their private chat, sent into a chat of a group they belong to, or relayed
    by the leader of such a group (a relay counts once the leader got the copy)."""
    since = now - WITHIN
    sent = (OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at > since,
            OutboxMessage.broadcast_id.is_not(None))
    groups = _groups_of(person.id, now)
    chats = sorted({chat.id, person.private_chat_id or chat.id})
    sources = [select(OutboxMessage.broadcast_id.label("id")).where(
        OutboxMessage.chat_id.in_(select(Chat.id).where(Chat.kind == ChatKind.GROUP,
                                                       Chat.area_id.in_(groups))), *sent),
        select(OutboxMessage.broadcast_id.label("id")).where(
            OutboxMessage.chat_id.in_(chats), *sent)]
    leader = Person.__table__.alias("leader")
    sources.append(
        select(CampaignSend.broadcast_id.label("id"))
        .join(CampaignRelay, CampaignRelay.send_id == CampaignSend.id)
        .join(leader, leader.c.id == CampaignRelay.leader_id)
        .where(CampaignRelay.group_id.in_(groups), CampaignRelay.created_at > since,
               select(OutboxMessage.id).where(
                   OutboxMessage.broadcast_id == CampaignSend.broadcast_id,
                   OutboxMessage.chat_id == leader.c.private_chat_id, *sent).exists()))
    found = union_all(*sources).subquery()
    return await session.scalar(select(func.max(found.c.id)))


async def by_words(session: AsyncSession, settings: Settings, person: Person, chat: Chat,
                   now: datetime) -> Said:
    """«Đã nhận» written: for the newest broadcast that reached the person."""
    broadcast_id = await newest_reaching(session, person, chat, now)
    if broadcast_id is None:
        return Said.NOTHING
    return await record(session, settings, broadcast_id, person, chat, now)


# the relay copy a leader got carries no ✅ (it is for pasting into the group)
_RELAYED_TO = (select(CampaignRelay.id)
               .join(CampaignSend, CampaignSend.id == CampaignRelay.send_id)
               .where(CampaignSend.broadcast_id == OutboxMessage.broadcast_id,
                      CampaignRelay.leader_id == bindparam("person")))
LAST_OFFER = (select(OutboxMessage.broadcast_id, OutboxMessage.sent_at)
              .where(OutboxMessage.chat_id == bindparam("chat"),
                     OutboxMessage.status == OutboxStatus.SENT,
                     OutboxMessage.sent_at > bindparam("since", type_=UTCDateTime()),
                     OutboxMessage.broadcast_id.is_not(None), ~_RELAYED_TO.exists())
              .order_by(OutboxMessage.broadcast_id.desc()).limit(1))


async def last_offer(session: AsyncSession, person: Person, chat: Chat, now: datetime
                     ) -> Offered | None:
    """The newest broadcast with a ✅ sent to this private chat within `WITHIN`, for a number
    typed on a text-only messenger (the engine compares its time with the open prompt's)."""
    if chat.kind != ChatKind.PRIVATE:
        return None
    found = (await session.execute(LAST_OFFER, {"chat": chat.id, "person": person.id,
                                                "since": now - WITHIN})).first()
    if found is None or found.sent_at is None:
        return None
    return Offered(found.broadcast_id, found.sent_at)


# ---- counting --------------------------------------------------------------------------------

async def tally(session: AsyncSession, broadcast_id: int) -> Tally:
    """Households (distinct, of the people linked to one) and people not linked yet who
    acknowledged a broadcast."""
    row = (await session.execute(
        select(func.count(func.distinct(Person.household_id)),
               func.count(Acknowledgement.id) - func.count(Person.household_id))
        .select_from(Acknowledgement).join(Person, Person.id == Acknowledgement.person_id)
        .where(Acknowledgement.broadcast_id == broadcast_id))).one()
    return Tally(int(row[0] or 0), int(row[1] or 0))
