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

from sqlalchemy import CTE, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Chat, ChatKind, Person, Role, RoleGrant


def groups_below(area_id: int) -> Select[tuple[int]]:
    """The ids of the areas of level `group` in the subtree of `area_id` (itself included)."""
    tree = select(Area.id, Area.level).where(Area.id == area_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Area.id, Area.level).join(tree, Area.parent_id == tree.c.id))
    return select(tree.c.id).where(tree.c.level == "group")


def groups_by_commune() -> CTE:
    """(group id, commune id) for every group under a commune, at any depth."""
    down = (select(Area.id.label("id"), Area.level.label("level"), Area.id.label("commune_id"))
            .where(Area.level == "commune").cte("down", recursive=True))
    down = down.union_all(select(Area.id, Area.level, down.c.commune_id)
                          .join(down, Area.parent_id == down.c.id))
    return select(down.c.id, down.c.commune_id).where(down.c.level == "group").cte("groups")


def _held(role: Role, now: datetime) -> list[object]:
    return [RoleGrant.role == role, RoleGrant.revoked_at.is_(None),
            or_(RoleGrant.expires_at.is_(None), RoleGrant.expires_at > now)]


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


async def count_by_commune(session: AsyncSession, now: datetime, relay_channels: Iterable[str]
                           ) -> dict[int, Audience]:
    """`count` for every commune of the deployment at once: three grouped queries, where one
    set per commune took a second each on a province's PostgreSQL."""
    groups = groups_by_commune()
    relay = sorted(relay_channels)
    found: dict[int, Audience] = {}

    def of(commune_id: int) -> Audience:
        return found.setdefault(commune_id, Audience())

    rows = await session.execute(
        select(groups.c.commune_id, Chat.channel, func.count())
        .join(groups, groups.c.id == Chat.area_id)
        .where(Chat.kind == ChatKind.GROUP, Chat.active.is_(True))
        .group_by(groups.c.commune_id, Chat.channel))
    for commune_id, channel, n in rows:
        of(commune_id).group_chats[channel] = n
    leaders = await session.execute(
        select(groups.c.commune_id, Chat.channel, func.count(func.distinct(RoleGrant.area_id)))
        .select_from(RoleGrant)
        .join(groups, groups.c.id == RoleGrant.area_id)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.GROUP_LEADER, now), Chat.active.is_(True), Chat.channel.in_(relay))
        .group_by(groups.c.commune_id, Chat.channel))
    for commune_id, channel, n in leaders:
        of(commune_id).relays[channel] = n
    residents = await session.execute(
        select(groups.c.commune_id, Chat.channel, func.count(func.distinct(Person.id)))
        .select_from(RoleGrant)
        .join(groups, groups.c.id == RoleGrant.area_id)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.RESIDENT, now), Person.campaign_consent.is_(True),
               Chat.active.is_(True))
        .group_by(groups.c.commune_id, Chat.channel))
    for commune_id, channel, n in residents:
        of(commune_id).persons[channel] = n
    return found


async def count(session: AsyncSession, area_id: int, now: datetime,
                relay_channels: Iterable[str]) -> Audience:
    """How many messages one campaign message makes in the area, per messenger."""
    groups = groups_below(area_id)
    relay = sorted(relay_channels)
    audience = Audience()
    rows = await session.execute(
        select(Chat.channel, func.count()).where(
            Chat.kind == ChatKind.GROUP, Chat.active.is_(True), Chat.area_id.in_(groups))
        .group_by(Chat.channel))
    audience.group_chats = {channel: n for channel, n in rows}
    leaders = await session.execute(
        select(Chat.channel, func.count(func.distinct(RoleGrant.area_id)))
        .select_from(RoleGrant)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.GROUP_LEADER, now), RoleGrant.area_id.in_(groups),
               Chat.active.is_(True), Chat.channel.in_(relay))
        .group_by(Chat.channel))
    audience.relays = {channel: n for channel, n in leaders}
    residents = await session.execute(
        select(Chat.channel, func.count(func.distinct(Person.id)))
        .select_from(RoleGrant)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.RESIDENT, now), RoleGrant.area_id.in_(groups),
               Person.campaign_consent.is_(True), Chat.active.is_(True))
        .group_by(Chat.channel))
    audience.persons = {channel: n for channel, n in residents}
    return audience
