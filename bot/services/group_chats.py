"""Binding a messenger group chat to the neighbourhood group it belongs to (`/gannhom`), so
campaign messages reach the group where the bot can post (Telegram groups).

Only the group's leader may bind it, from inside the group chat. A police team's chat
(`/setup`) stays what it is; a leader of several groups names the one with its code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import POLICE_TEAM, Area, Chat, ChatKind, Person, Role
from bot.services import people
from bot.services.errors import DomainError, NotAllowed
from content import campaigns as words


async def bind(session: AsyncSession, chat: Chat, person: Person, now: datetime,
               code: str = "") -> Area:
    if chat.kind != ChatKind.GROUP:
        raise DomainError(words.BIND_IN_GROUP)
    if chat.purpose == POLICE_TEAM:
        raise DomainError(words.BIND_POLICE_TEAM)
    led: list[Area] = []
    for grant in await people.active_roles(session, person.id, now):
        if Role(grant.role) is Role.GROUP_LEADER:
            area = await session.get(Area, grant.area_id)
            if area is not None:
                led.append(area)
    if not led:
        raise NotAllowed(words.BIND_NOT_LEADER)
    wanted = code.strip().upper()
    chosen = [a for a in led if a.code.upper() == wanted] if wanted else led
    if len(chosen) != 1:
        raise DomainError(words.BIND_WHICH.format(
            groups=", ".join(f"{a.name} ({a.code})" for a in led)))
    chat.area_id = chosen[0].id
    return chosen[0]
