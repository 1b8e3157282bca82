"""The police team's group chat: a commune's officers in one group, where the bot posts only a
bare card of each new tip (internal reference, category, deadline — never the receipt code or
anything the reporter wrote). A chief binds the group with /setup; a commune's team groups are
its active chats bound so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import POLICE_TEAM, Area, Chat, ChatKind, Person, Role, Tip
from bot.services import people
from bot.services.errors import InvalidInput, NotAllowed
from content import tips as words


def team_of(tip: Tip) -> int | None:
    """The commune whose team group gets the tip's bare card: none for the fallback mailbox."""
    return tip.commune_id if not tip.routed_to_fallback else None


# the same rule as `is_team_group_of`, for a query (`team_of` bound to the commune's id)
TEAM_GROUP = and_(Chat.purpose == POLICE_TEAM, Chat.area_id == bindparam("team_of"))


def is_team_group_of(chat: Chat, commune_id: int | None) -> bool:
    """Is `chat` a team group of the commune (None: of none)? An inactive chat still is one:
    its cards are kept, and withdrawn when the tip leaves; nothing new is sent to it."""
    return commune_id is not None and chat.purpose == POLICE_TEAM and chat.area_id == commune_id


async def bind(session: AsyncSession, chat: Chat, person: Person, now: datetime) -> str:
    """Make the group `chat` the team group of the commune `person` is chief of (the first,
    for a chief of several); returns the commune's name. Only a chief may, and only a group."""
    if chat.kind == ChatKind.PRIVATE:
        raise InvalidInput(words.SETUP_PRIVATE)
    grants = await people.active_roles(session, person.id, now)
    chief_of = [g.area_id for g in grants if Role(g.role) is Role.POLICE_CHIEF]
    if not chief_of:
        raise NotAllowed(words.SETUP_NOT_CHIEF)
    commune = await session.get(Area, chief_of[0])
    assert commune is not None
    chat.purpose, chat.area_id = POLICE_TEAM, commune.id
    return commune.name
