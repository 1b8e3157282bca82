"""Changing a commune's campaign plan: a day off (or an optional day on), a message at another
time, a message in the commune's own words, a village's own festival date.

Only the commune's admin (`commune_admin`) or its police chief may change the plan, from the
chat or — as the operator — from `binhyen campaigns`. Every change is checked before it is
kept (a time in quiet hours, a text Zalo could not carry, a placeholder nobody fills) and the
plan's coming entries are written again at once. A refusal is a `DomainError` whose words
are in `content/campaigns.py`.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, CampaignChoice, CampaignLocalDate, Person, Role
from bot.runtime import Runtime
from bot.services import people
from bot.services.campaigns import calendar, plans
from bot.services.campaigns.calendar import Calendar, LocalRule
from bot.services.errors import DomainError, NotAllowed
from content import campaigns as words

MANAGERS = frozenset({Role.COMMUNE_ADMIN, Role.POLICE_CHIEF})


async def may_manage(session: AsyncSession, person: Person, commune_id: int, now: datetime
                     ) -> bool:
    return await people.has_role(session, person.id, set(MANAGERS), now, commune_id)


async def _allowed(session: AsyncSession, rt: Runtime, commune_id: int, by: Person | None
                   ) -> str:
    """Who is changing the plan, for the record; refuses anyone but its managers (None is
    the operator at the command line)."""
    if by is None:
        return "cli"
    if not await may_manage(session, by, commune_id, rt.clock.now()):
        raise NotAllowed(words.NOT_MANAGER)
    return f"person:{by.id}"


def _day(book: Calendar, day_id: str) -> calendar.Day:
    found = next((d for d in book.days if d.id == day_id), None)
    if found is None:
        raise DomainError(words.UNKNOWN_DAY.format(day=day_id))
    return found


async def _choice(session: AsyncSession, commune_id: int, day_id: str, key: str
                  ) -> CampaignChoice:
    row = await session.scalar(select(CampaignChoice).where(
        CampaignChoice.commune_id == commune_id, CampaignChoice.day_id == day_id,
        CampaignChoice.message_key == key))
    if row is None:
        row = CampaignChoice(commune_id=commune_id, day_id=day_id, message_key=key)
        session.add(row)
    return row


async def _kept(session: AsyncSession, rt: Runtime, row: CampaignChoice, who: str,
                book: Calendar) -> None:
    row.changed_by, row.changed_at = who, rt.clock.now()
    await session.flush()
    await _replan(session, rt, row.commune_id, book)


async def _replan(session: AsyncSession, rt: Runtime, commune_id: int, book: Calendar) -> None:
    year = rt.clock.now().astimezone(rt.settings.tz).year
    for each in (year, year + 1):
        await plans.write_plan(session, rt, commune_id, each, book)


async def switch(session: AsyncSession, rt: Runtime, commune_id: int, day_id: str, on: bool,
                 by: Person | None, book: Calendar | None = None) -> None:
    """A day off, or back on; an optional day (children's month…) on, or off again."""
    book = book or calendar.load()
    who = await _allowed(session, rt, commune_id, by)
    day = _day(book, day_id)
    row = await _choice(session, commune_id, day.id, "")
    row.switch = (plans.ON if on else None) if day.optional else (None if on else plans.OFF)
    await _kept(session, rt, row, who, book)


async def set_time(session: AsyncSession, rt: Runtime, commune_id: int, day_id: str,
                   key: str, at: time, by: Person | None, book: Calendar | None = None) -> None:
    book = book or calendar.load()
    who = await _allowed(session, rt, commune_id, by)
    day = _day(book, day_id)
    if key not in {m.key for m in day.messages}:
        raise DomainError(words.UNKNOWN_MESSAGE.format(day=day.name, key=key))
    rules = plans.rules_of(rt)
    if rules.quiet(at):
        raise DomainError(words.TIME_IN_QUIET.format(
            at=at.strftime("%H:%M"), start=rules.quiet_start.strftime("%H:%M"),
            end=rules.quiet_end.strftime("%H:%M")))
    row = await _choice(session, commune_id, day.id, key)
    row.send_time = at.strftime("%H:%M")
    await _kept(session, rt, row, who, book)


async def set_text(session: AsyncSession, rt: Runtime, commune_id: int, day_id: str, key: str,
                   text: str | None, by: Person | None, book: Calendar | None = None) -> None:
    """The commune's own words for one message (None: the calendar's again)."""
    book = book or calendar.load()
    who = await _allowed(session, rt, commune_id, by)
    day = _day(book, day_id)
    if key not in {m.key for m in day.messages}:
        raise DomainError(words.UNKNOWN_MESSAGE.format(day=day.name, key=key))
    if text is not None:  # typed with a combining-accent keyboard, it is made whole here
        text = unicodedata.normalize("NFC", text.strip())
        problems = calendar.text_problems(text, calendar.placeholders(day.rule))
        if problems:
            raise DomainError("\n".join(
                words.TEXT_PROBLEMS[p.kind].format(
                    detail=p.detail, limit=calendar.MAX_TEXT,
                    allowed=", ".join("{" + n + "}" for n in sorted(
                        calendar.placeholders(day.rule))))
                for p in problems))
    row = await _choice(session, commune_id, day.id, key)
    row.text = text
    await _kept(session, rt, row, who, book)


async def set_local_date(session: AsyncSession, rt: Runtime, village_id: int, day_id: str,
                         on: date, when_text: str | None, place: str | None,
                         by: Person | None, book: Calendar | None = None) -> None:
    """A village's own date (and how to say when and where) for a local day this year."""
    book = book or calendar.load()
    village = await session.get(Area, village_id)
    if village is None or village.level != "village" or village.parent_id is None:
        raise DomainError(words.NOT_A_VILLAGE)
    who = await _allowed(session, rt, village.parent_id, by)
    day = _day(book, day_id)
    if not isinstance(day.rule, LocalRule):
        raise DomainError(words.NOT_LOCAL.format(day=day.name))
    row = await session.scalar(select(CampaignLocalDate).where(
        CampaignLocalDate.area_id == village.id, CampaignLocalDate.day_id == day.id,
        CampaignLocalDate.year == on.year))
    if row is None:
        row = CampaignLocalDate(area_id=village.id, day_id=day.id, year=on.year)
        session.add(row)
    row.on, row.when_text, row.place = on.isoformat(), when_text, place
    row.changed_by, row.changed_at = who, rt.clock.now()
    await session.flush()
    await _replan(session, rt, village.parent_id, book)
