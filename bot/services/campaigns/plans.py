"""Each commune's campaign plan in the database: its choices about the calendar, its villages'
own festival dates, and the plan's entries as `CampaignSend` rows.

The rows are written again whenever a choice changes (and once a day by the campaign job, so
a new year and a new commune get theirs): entries still to come are replaced, what has gone
(sending, sent, missed) stays as it was — so changing a time never sends a day twice. Who may
change a commune's plan is checked by the caller (`bot.services.campaigns.admin`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Area,
    CampaignChoice,
    CampaignLocalDate,
    CampaignSend,
    CampaignSendStatus,
)
from bot.runtime import Runtime
from bot.services.campaigns import calendar
from bot.services.campaigns.calendar import Calendar, LocalRule
from bot.services.campaigns.plan import Choices, Entry, Plan, Rules, plan

OFF, ON = "off", "on"
PARTS_SEPARATOR = "+"


def rules_of(rt: Runtime) -> Rules:
    start, end = rt.settings.quiet_hours
    return Rules(quiet_start=start, quiet_end=end,
                 group_per_week=rt.settings.campaign_group_per_week,
                 person_per_week=rt.settings.campaign_person_per_week)


async def choices_of(session: AsyncSession, commune_id: int) -> Choices:
    rows = (await session.scalars(select(CampaignChoice).where(
        CampaignChoice.commune_id == commune_id))).all()
    off = frozenset(r.day_id for r in rows if not r.message_key and r.switch == OFF)
    on = frozenset(r.day_id for r in rows if not r.message_key and r.switch == ON)
    times = {(r.day_id, r.message_key): time.fromisoformat(r.send_time)
             for r in rows if r.message_key and r.send_time}
    texts = {(r.day_id, r.message_key): r.text for r in rows if r.message_key and r.text}
    return Choices(off, on, times, texts)


@dataclass(frozen=True)
class LocalDate:
    """A village's own date for a local day, with how residents should read when and where."""

    village_id: int
    on: date
    when_text: str | None
    place: str | None


async def local_dates(session: AsyncSession, commune_id: int, year: int
                      ) -> dict[str, list[LocalDate]]:
    """Per local day, the villages of the commune that set their own date for `year`."""
    villages = select(Area.id).where(Area.parent_id == commune_id)
    rows = (await session.scalars(select(CampaignLocalDate).where(
        CampaignLocalDate.area_id.in_(villages), CampaignLocalDate.year == year))).all()
    found: dict[str, list[LocalDate]] = {}
    for row in rows:
        found.setdefault(row.day_id, []).append(LocalDate(
            row.area_id, date.fromisoformat(row.on), row.when_text, row.place))
    return found


@dataclass(frozen=True)
class CommunePlan:
    """The commune's plan, and for each village with its own date for a local day, that
    day's entries on the village's date."""

    year: int
    main: Plan
    villages: dict[int, list[Entry]]


async def plan_of(session: AsyncSession, rt: Runtime, commune_id: int, year: int,
                  book: Calendar | None = None, taken: Sequence[date] = ()) -> CommunePlan:
    book = book or calendar.load()
    choices = await choices_of(session, commune_id)
    rules = rules_of(rt)
    main = plan(calendar.dated(book, year), choices, rules, taken)
    villages: dict[int, list[Entry]] = {}
    for day_id, places in (await local_dates(session, commune_id, year)).items():
        day = next((d for d in book.days if d.id == day_id), None)
        if day is None or not isinstance(day.rule, LocalRule) or day_id in choices.off:
            continue
        for place in places:
            own = plan(calendar.dated(book, year, local={day_id: place.on}),
                       choices, rules, taken)
            villages[place.village_id] = [*villages.get(place.village_id, ()),
                                          *(e for e in own.entries if e.day_id == day_id)]
    return CommunePlan(year, main, villages)


def parts_key(entry: Entry) -> str:
    return PARTS_SEPARATOR.join(f"{day}/{key}" for day, key in entry.parts)


def local_moment(rt: Runtime, on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=rt.settings.tz)


_INSERT = {on_postgresql: (postgresql.insert if on_postgresql else sqlite.insert)(
    CampaignSend.__table__).on_conflict_do_nothing(
        index_elements=["commune_id", "scope", "on", "parts"])
    for on_postgresql in (False, True)}


async def write_plan(session: AsyncSession, rt: Runtime, commune_id: int, year: int,
                     book: Calendar | None = None) -> int:
    """The commune's plan for `year` as `CampaignSend` rows: what is still to come is
    replaced; what went, is going or is due now stays, so no entry is ever sent twice or
    lost. Returns how many entries are planned ahead."""
    now = rt.clock.now()
    found = await plan_of(session, rt, commune_id, year, book)
    await session.execute(delete(CampaignSend).where(  # what is due now stays, to be sent
        CampaignSend.commune_id == commune_id, CampaignSend.year == year,
        CampaignSend.status == CampaignSendStatus.PLANNED, CampaignSend.send_at > now))
    gone = set((await session.execute(select(CampaignSend.scope, CampaignSend.on,
                                             CampaignSend.parts).where(
        CampaignSend.commune_id == commune_id, CampaignSend.year == year))).all())
    rows = []
    for village_id, entries in [(None, found.main.entries), *found.villages.items()]:
        for entry in entries:
            send_at = local_moment(rt, entry.on, entry.at)
            scope = village_id or 0
            if send_at <= now or (scope, entry.on.isoformat(), parts_key(entry)) in gone:
                continue  # the past is not planned again (a missed entry stays missed)
            rows.append({"commune_id": commune_id, "village_id": village_id, "scope": scope,
                         "year": year,
                         "on": entry.on.isoformat(), "send_at": send_at,
                         "parts": parts_key(entry), "text": entry.text,
                         "to_persons": entry.to_persons,
                         "status": CampaignSendStatus.PLANNED, "broadcast_id": None,
                         "groups_done": 0, "created_at": now, "done_at": None})
    if rows:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        await session.execute(_INSERT[dialect == "postgresql"], rows)
    return len(rows)


async def communes(session: AsyncSession) -> list[int]:
    return list((await session.scalars(select(Area.id).where(Area.level == "commune")
                                       .order_by(Area.id))).all())


async def due(session: AsyncSession, now: datetime, grace: timedelta) -> tuple[list[int], int]:
    """Planned entries whose time has come and that are still within the grace period (their
    ids, oldest first); those later than it are marked missed here, all at once — a
    drug-prevention day's message a day late does more harm than good. Returns the ids and
    how many were missed."""
    missed = await session.execute(
        update(CampaignSend).where(CampaignSend.status == CampaignSendStatus.PLANNED,
                                   CampaignSend.send_at < now - grace)
        .values(status=CampaignSendStatus.MISSED, done_at=now))
    ids = list((await session.scalars(select(CampaignSend.id).where(
        CampaignSend.status == CampaignSendStatus.PLANNED, CampaignSend.send_at <= now)
        .order_by(CampaignSend.send_at, CampaignSend.id))).all())
    return ids, int(missed.rowcount or 0)  # type: ignore[attr-defined]
