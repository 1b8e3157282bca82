"""A month before each report's deadline (`periods.deadline`: the six-month report for the
first half, the annual report for the year), the villages still below the target are told,
with their numbers: the leaders of their groups (there is no village-level role: `Role`), and
the commune's admins get the list (coverage is theirs; the police are not asked).

A commune where no household at all was reached in the period yet is not reminded (it is not
measuring coverage: no member linked to a household acknowledged anything, no activity was
logged; «0%» everywhere would tell its leaders nothing): it is looked at again the next day.

Taken once: a `CoverageReminder` row for the commune and period is inserted first (insert or
ignore: whoever inserts it sends), then one per village below target. A village with no
household count is not judged (its share is unknown). Messages go through the outbox like any
scheduled message, in the broadcast lane (after what a person is doing with the bot). `run_due` handles at most `BATCH` communes a tick and notes the day once
every commune is done, so a quiet day costs it one read.
"""

from __future__ import annotations

import calendar as months
import math
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import Integer, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_for
from bot.messages import Outgoing
from bot.models import (
    Area,
    Chat,
    CoverageReminder,
    Lane,
    Person,
    Role,
    RoleGrant,
    UTCDateTime,
)
from bot.runtime import Runtime
from bot.services import meta, outbox, people
from bot.services.coverage import compute, periods
from bot.services.coverage.figures import AreaCoverage
from bot.services.coverage.periods import Period, PeriodKind
from content import coverage as words

BATCH = 100  # communes a tick
REMINDED_ON = "coverage.reminders_done_on"  # meta: the local day every commune was done
COMMUNE, VILLAGE, GROUP = "commune", "village", "group"

_TABLE = CoverageReminder.__table__


def month_before(day: date) -> date:
    """The same day a month earlier (the month's last day when it has no such day)."""
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return day.replace(year=year, month=month, day=min(day.day, months.monthrange(year,
                                                                                   month)[1]))


def due(rt: Runtime, today: date) -> list[tuple[Period, date]]:
    """The report periods whose reminder is due today, with their deadline: from a month
    before the deadline until the day before it."""
    settings = rt.settings
    found = []
    this_year = periods.report_year(settings, today)
    for year in (this_year - 1, this_year, this_year + 1):
        for period in (periods.half_periods(settings, year)[0],
                       periods.year_period(settings, year)):
            deadline = periods.deadline(settings, period)
            if deadline is not None and month_before(deadline) <= today < deadline:
                found.append((period, deadline))
    return found


def _walk(tree: AreaCoverage) -> Iterator[AreaCoverage]:
    yield tree
    for child in tree.children:
        yield from _walk(child)


def to_go(area: AreaCoverage, target: float) -> int:
    """Households still to reach for `target` percent."""
    return max(0, math.ceil(target * (area.households or 0) / 100 - 1e-9) - area.reached)


def _percent(area: AreaCoverage) -> str:
    return str(math.floor(area.percent or 0))  # 74.9 is not yet 75


async def _take(session: AsyncSession, area_ids: list[int], period: Period,
                now: datetime) -> set[int]:
    """Insert the reminder rows not there yet; the areas whose row this call inserted."""
    if not area_ids:
        return set()
    insert = insert_for(session)
    taken = set()
    for area_id in area_ids:
        row = (await session.execute(
            insert(_TABLE).values(area_id=bindparam("area", type_=Integer()),
                                  period=bindparam("period", type_=String()),
                                  sent_at=bindparam("at", type_=UTCDateTime()))
            .on_conflict_do_nothing().returning(_TABLE.c.area_id),
            {"area": area_id, "period": period.key, "at": now})).first()
        if row is not None:
            taken.add(row[0])
    return taken


def _period_words(period: Period) -> str:
    year = period.last.year
    return (words.PERIOD_HALF if period.kind is PeriodKind.FIRST_HALF
            else words.PERIOD_YEAR).format(year=year)


def _village_line(village: AreaCoverage, target: float) -> str:
    return words.REMINDER_VILLAGE.format(
        village=village.name, reached=village.reached, households=village.households,
        percent=_percent(village), to_go=to_go(village, target), target=f"{target:g}")


def _group_line(group: AreaCoverage) -> str:
    if group.households is None:
        return words.REMINDER_GROUP_NO_COUNT.format(group=group.name)
    return words.REMINDER_GROUP.format(group=group.name, reached=group.reached,
                                       households=group.households, percent=_percent(group))


async def _private_chat(session: AsyncSession, person: Person) -> Chat | None:
    if person.private_chat_id is None:
        return None
    chat = await session.get(Chat, person.private_chat_id)
    return chat if chat is not None and chat.active else None


async def remind(session: AsyncSession, rt: Runtime, commune_id: int, period: Period,
                 deadline: date, now: datetime) -> int:
    """Remind the commune's villages below target for `period`, once; how many messages were
    queued (0 when it was done before)."""
    coverage = await compute.coverage(session, rt.settings, commune_id, period)
    if coverage.root.reached == 0:  # not measuring yet: asked again tomorrow
        return 0
    if not await _take(session, [commune_id], period, now):
        return 0
    target = rt.settings.coverage_target
    below = [area for area in _walk(coverage.root)
             if area.level == VILLAGE and area.percent is not None and area.percent < target]
    taken = await _take(session, [village.area_id for village in below], period, now)
    below = [village for village in below if village.area_id in taken]
    if not below:
        return 0
    head = {"period": _period_words(period), "deadline": deadline.strftime("%d/%m/%Y"),
            "target": f"{target:g}"}
    lines: dict[int, list[str]] = {}  # person → their lines, village by village
    for village in below:
        groups = {area.area_id: area for area in _walk(village) if area.level == GROUP}
        leaders = (await session.execute(
            select(RoleGrant.person_id, RoleGrant.area_id)
            .where(RoleGrant.role == Role.GROUP_LEADER, RoleGrant.area_id.in_(sorted(groups)),
                   *people.grant_active(now))
            .order_by(RoleGrant.person_id, RoleGrant.area_id))).all()
        led: dict[int, list[int]] = {}
        for person_id, group_id in leaders:
            led.setdefault(person_id, [])
            if group_id not in led[person_id]:
                led[person_id].append(group_id)
        for person_id, group_ids in led.items():
            lines.setdefault(person_id, []).extend(
                [_village_line(village, target), *(_group_line(groups[g]) for g in group_ids)])
    messages: list[tuple[Chat, Outgoing]] = []
    for person_id, said in sorted(lines.items()):
        person = await session.get(Person, person_id)
        chat = await _private_chat(session, person) if person is not None else None
        if chat is not None:
            messages.append((chat, Outgoing(words.REMINDER_LEADER.format(
                **head, lines="\n".join(said)))))
    summary = words.REMINDER_ADMIN.format(
        **head, lines="\n".join(_village_line(village, target) for village in below))
    for reader in await people.holders(session, {Role.COMMUNE_ADMIN}, commune_id, now):
        if (chat := await _private_chat(session, reader)) is not None:
            messages.append((chat, Outgoing(summary)))
    if messages:
        await outbox.enqueue_many(session, rt, messages, lane=Lane.BROADCAST)
    return len(messages)


async def _untaken(session: AsyncSession, period: Period, most: int) -> list[int]:
    taken = select(CoverageReminder.area_id).where(CoverageReminder.area_id == Area.id,
                                                   CoverageReminder.period == period.key)
    return list((await session.scalars(
        select(Area.id).where(Area.level == COMMUNE, ~taken.exists())
        .order_by(Area.id).limit(most))).all())


async def run_due(rt: Runtime, now: datetime) -> None:
    """A month before a report's deadline, remind every commune's villages below target
    (each commune in its own transaction, at most `BATCH` a tick)."""
    today = now.astimezone(rt.settings.tz).date()
    async with rt.db.reading() as session:
        if await meta.get(session, REMINDED_ON) == today.isoformat():
            return
    budget = BATCH
    for period, deadline in due(rt, today):
        async with rt.db.reading() as session:
            communes = await _untaken(session, period, budget)
        for commune_id in communes:
            async with rt.transaction() as session:
                await remind(session, rt, commune_id, period, deadline, now)
        budget -= len(communes)
        if budget == 0:  # maybe more: the next tick goes on
            return
    async with rt.transaction() as session:
        await meta.put(session, REMINDED_ON, today.isoformat())
