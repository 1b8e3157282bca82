"""What is coming: the campaign entries of the next weeks for the communes a person looks
after, for `/lich` in the chat.

A commune's admin and its police chief see their commune's entries and may change them; a
group leader sees what their group will receive (read only). Entries come from the written
plan (`campaign_sends`), so what `/lich` shows is exactly what the scheduler will send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CampaignChoice, CampaignSend, CampaignSendStatus, Person, Role
from bot.runtime import Runtime
from bot.services import areas, people
from bot.services.campaigns import calendar, plans
from bot.services.campaigns.choices import MANAGERS
from bot.services.campaigns.plans import PARTS_SEPARATOR

AHEAD_DAYS = 120  # far enough to show the next few entries even in a quiet season
MAX_SHOWN = 8
SENT_DAYS = 14  # entries sent this long ago are listed with their numbers, at most MAX_SENT
MAX_SENT = 3


@dataclass(frozen=True)
class Coming:
    """One entry still to be sent, as its reader needs it."""

    commune_id: int
    commune: str
    village: str | None
    at: datetime  # local
    parts: tuple[tuple[str, str], ...]  # (day id, message key)
    names: tuple[str, ...]
    to_persons: bool

    @property
    def day_id(self) -> str:
        return self.parts[0][0]

    @property
    def key(self) -> str:
        return self.parts[0][1]


@dataclass(frozen=True)
class DayOff:
    commune_id: int
    day_id: str
    name: str


@dataclass(frozen=True)
class Sent:
    """An entry of a managed commune sent lately: its broadcast's number opens its figures
    (`/lich <số>`)."""

    broadcast_id: int
    on: date
    names: tuple[str, ...]


@dataclass(frozen=True)
class Agenda:
    managed: dict[int, str]  # commune id → name: plans this person may change
    followed: dict[int, str]  # commune id → name: communes of the groups they lead
    coming: list[Coming]
    days_off: list[DayOff]  # days a managed commune switched off
    sent: list[Sent] = field(default_factory=list)  # lately, in the managed communes

    @property
    def empty_handed(self) -> bool:
        return not self.managed and not self.followed


def split_parts(parts: str) -> tuple[tuple[str, str], ...]:
    found = []
    for part in parts.split(PARTS_SEPARATOR):
        day_id, _, key = part.partition("/")
        found.append((day_id, key))
    return tuple(found)


async def _communes(session: AsyncSession, person: Person, now: datetime
                    ) -> tuple[dict[int, str], dict[int, str]]:
    managed: dict[int, str] = {}
    followed: dict[int, str] = {}
    for grant in await people.active_roles(session, person.id, now):
        role = Role(grant.role)
        if role in MANAGERS:
            commune = await areas.info(session, grant.area_id)
            if commune is not None and commune.level == "commune":
                managed[commune.id] = commune.name
        elif role is Role.GROUP_LEADER:
            commune = await areas.enclosing_info(session, grant.area_id, "commune")
            if commune is not None:
                followed[commune.id] = commune.name
    return managed, {k: v for k, v in followed.items() if k not in managed}


async def agenda_of(session: AsyncSession, rt: Runtime, person: Person, now: datetime,
                    days: int = AHEAD_DAYS) -> Agenda:
    managed, followed = await _communes(session, person, now)
    names = {**followed, **managed}
    book = calendar.load()
    day_names = {day.id: day.name for day in book.days}
    rows = (await session.scalars(select(CampaignSend).where(
        CampaignSend.commune_id.in_(list(names)),
        CampaignSend.status == CampaignSendStatus.PLANNED,
        CampaignSend.send_at > now, CampaignSend.send_at <= now + timedelta(days=days))
        .order_by(CampaignSend.send_at, CampaignSend.id).limit(MAX_SHOWN))).all()
    coming = []
    for row in rows:
        parts = split_parts(row.parts)
        village = await areas.info(session, row.village_id) if row.village_id else None
        coming.append(Coming(
            row.commune_id, names[row.commune_id], village.name if village else None,
            row.send_at.astimezone(rt.settings.tz), parts,
            tuple(dict.fromkeys(day_names.get(day, day) for day, _ in parts)), row.to_persons))
    off = (await session.scalars(select(CampaignChoice).where(
        CampaignChoice.commune_id.in_(list(managed)), CampaignChoice.message_key == "",
        CampaignChoice.switch == plans.OFF).order_by(CampaignChoice.id))).all()
    days_off = [DayOff(row.commune_id, row.day_id, day_names.get(row.day_id, row.day_id))
                for row in off]
    done = (await session.scalars(select(CampaignSend).where(
        CampaignSend.commune_id.in_(list(managed)),
        CampaignSend.status == CampaignSendStatus.SENT, CampaignSend.broadcast_id.is_not(None),
        CampaignSend.send_at > now - timedelta(days=SENT_DAYS))
        .order_by(CampaignSend.send_at.desc(), CampaignSend.id.desc()).limit(MAX_SENT))).all()
    sent = [Sent(row.broadcast_id or 0, date.fromisoformat(row.on),
                 tuple(dict.fromkeys(day_names.get(day, day) for day, _ in split_parts(row.parts))))
            for row in done]
    return Agenda(managed, followed, coming, days_off, sent)


async def own_text(session: AsyncSession, commune_id: int, day_id: str, key: str
                   ) -> str | None:
    return await session.scalar(select(CampaignChoice.text).where(
        CampaignChoice.commune_id == commune_id, CampaignChoice.day_id == day_id,
        CampaignChoice.message_key == key))

