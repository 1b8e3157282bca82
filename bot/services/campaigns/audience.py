"""Who a campaign message reaches in an area: the groups' own chats where the bot can post
(Telegram groups bound to a group), a relay copy for each group leader on a messenger where
no bot can post in a group (Zalo), and the residents who agreed to campaign messages in private.

Areas are a tree of any depth (older data still has districts), so a group is any area of level
`group` below the one asked for, found by one recursive query. Counting happens in SQL (the
plan's capacity asks it for a whole province); the fan-out reads the same sets group by group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Chat, ChatKind, Person, Role, RoleGrant


def groups_below(area_id: int) -> Select[tuple[int]]:
    """The ids of the areas of level `group` in the subtree of `area_id` (itself included)."""
    tree = select(Area.id, Area.level).where(Area.id == area_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Area.id, Area.level).join(tree, Area.parent_id == tree.c.id))
    return select(tree.c.id).where(tree.c.level == "group")


async def group_communes(session: AsyncSession) -> dict[int, int]:
    """Every group's commune (group id → commune id), at any depth."""
    down = (select(Area.id.label("id"), Area.level.label("level"), Area.id.label("commune_id"))
            .where(Area.level == "commune").cte("down", recursive=True))
    down = down.union_all(select(Area.id, Area.level, down.c.commune_id)
                          .join(down, Area.parent_id == down.c.id))
    rows = await session.execute(select(down.c.id, down.c.commune_id)
                                 .where(down.c.level == "group"))
    return {group_id: commune_id for group_id, commune_id in rows}


def _held(role: Role, now: datetime) -> list[object]:
    return [RoleGrant.role == role, RoleGrant.revoked_at.is_(None),
            or_(RoleGrant.expires_at.is_(None), RoleGrant.expires_at > now)]


# a relay is two messages to the leader: what to do with it, then the copy to paste
RELAY_MESSAGES = 2


@dataclass
class Audience:
    """Per messenger: group chats posted into, relay copies to leaders, people in private."""

    group_chats: dict[str, int] = field(default_factory=dict)
    relays: dict[str, int] = field(default_factory=dict)
    persons: dict[str, int] = field(default_factory=dict)

    def messages(self, channel: str) -> int:
        return (self.group_chats.get(channel, 0) + self.relays.get(channel, 0)
                + self.persons.get(channel, 0))

    @property
    def channels(self) -> set[str]:
        return set(self.group_chats) | set(self.relays) | set(self.persons)

    def add(self, other: Audience) -> None:
        for mine, theirs in ((self.group_chats, other.group_chats),
                             (self.relays, other.relays), (self.persons, other.persons)):
            for channel, count in theirs.items():
                mine[channel] = mine.get(channel, 0) + count


async def per_group(session: AsyncSession, now: datetime, relay_channels: Iterable[str],
                    group_ids: list[int] | None = None) -> dict[int, Audience]:
    """Each group's audience (all groups, or those named): three plain grouped queries. A
    recursive query joined to the people's tables instead took PostgreSQL 90 s on a province
    (it guessed the tree small and walked every role for every area)."""
    relay = sorted(relay_channels)
    found: dict[int, Audience] = {}

    def of(group_id: int) -> Audience:
        return found.setdefault(group_id, Audience())

    def only(column: object, query: Select[Any]) -> Select[Any]:
        return query if group_ids is None else query.where(column.in_(group_ids))  # type: ignore[attr-defined]

    rows = await session.execute(only(Chat.area_id, select(Chat.area_id, Chat.channel,
                                                           func.count())
        .where(Chat.kind == ChatKind.GROUP, Chat.active.is_(True), Chat.area_id.is_not(None))
        .group_by(Chat.area_id, Chat.channel)))
    for group_id, channel, n in rows:
        of(group_id).group_chats[channel] = n
    leaders = await session.execute(only(RoleGrant.area_id, select(
        RoleGrant.area_id, Chat.channel, func.count(func.distinct(Person.id)))
        .select_from(RoleGrant)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.GROUP_LEADER, now), Chat.active.is_(True), Chat.channel.in_(relay))
        .group_by(RoleGrant.area_id, Chat.channel)))
    for group_id, channel, _n in leaders:
        of(group_id).relays[channel] = RELAY_MESSAGES  # one relay a group, whoever leads it
    residents = await session.execute(only(RoleGrant.area_id, select(
        RoleGrant.area_id, Chat.channel, func.count(func.distinct(Person.id)))
        .select_from(RoleGrant)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.RESIDENT, now), Person.campaign_consent.is_(True),
               Chat.active.is_(True))
        .group_by(RoleGrant.area_id, Chat.channel)))
    for group_id, channel, n in residents:
        of(group_id).persons[channel] = n
    return found


async def count_by_commune(session: AsyncSession, now: datetime, relay_channels: Iterable[str]
                           ) -> dict[int, Audience]:
    """`count` for every commune of the deployment at once."""
    communes = await group_communes(session)
    found: dict[int, Audience] = {}
    for group_id, reach in (await per_group(session, now, relay_channels)).items():
        commune_id = communes.get(group_id)
        if commune_id is not None:
            found.setdefault(commune_id, Audience()).add(reach)
    return found


async def count(session: AsyncSession, area_id: int, now: datetime,
                relay_channels: Iterable[str]) -> Audience:
    """How many messages one campaign message makes in the area, per messenger (a resident
    in two groups of the area is counted in each: a rare case, and the bound stays safe)."""
    groups = list((await session.scalars(groups_below(area_id))).all())
    total = Audience()
    for reach in (await per_group(session, now, relay_channels, groups)).values():
        total.add(reach)
    return total
