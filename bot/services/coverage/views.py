"""`/baophu`: who may see the coverage of which area, for which period, and the view itself.

- A group leader sees their group, and the village it is in (one bar per group); a commune's
  admin or police see the commune (villages, and the groups under each) and anything in it.
  Anyone else — a resident, a leader naming another village — is refused politely.
- The period is an optional argument (`/baophu 2026H1`, `/baophu Thôn Đông 2026`); by default
  the current report year.
- For a period whose figures were frozen (a `CoverageSnapshot` of the area or of an area above
  it), the frozen figures are shown and dated; otherwise they are computed now.

The text is the command's answer; the chart is drawn after the answer is committed (in a
thread: matplotlib takes a moment, and no transaction waits for it) and sent as a photo where
the messenger sends files, else as a one-time link when the bot has a public address, else not
at all (the text carries every figure). A crash in between loses only the chart.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Media, Outgoing
from bot.models import Chat, CoverageSnapshot, Person, Role
from bot.runtime import Runtime
from bot.services import areas, file_links, outbox, people
from bot.services.coverage import chart, compute, periods, render
from bot.services.coverage.figures import AreaCoverage, Coverage
from bot.services.coverage.periods import Period, PeriodError, PeriodKind
from bot.services.errors import InvalidInput, NotAllowed
from bot.text import fold, shorten
from content import coverage_views as words

COMMUNE_ROLES = frozenset({Role.COMMUNE_ADMIN, Role.POLICE_CHIEF, Role.POLICE_OFFICER})
VIEWERS = frozenset({Role.GROUP_LEADER, *COMMUNE_ROLES})


@dataclass(frozen=True)
class Place:
    """An area the person may look at."""

    area_id: int
    code: str
    name: str
    level: str
    own: bool = True  # theirs directly (their group, their commune), not an area inside it


async def places_of(session: AsyncSession, person: Person, now: datetime,
                    roles: frozenset[Role] = VIEWERS) -> list[Place]:
    """What the person may look at, the default first: a commune's admin or police their
    commune and every village and group in it; a group leader their group and its village."""
    found: dict[int, Place] = {}
    held = await people.held_roles(session, person.id, now)
    for grant, area in held:
        if Role(grant.role) in COMMUNE_ROLES & roles and area.level == "commune":
            found.setdefault(area.id, Place(area.id, area.code, area.name, area.level))
            for village in await areas.children(session, area.id):
                found.setdefault(village.id, Place(village.id, village.code, village.name,
                                                   village.level, own=False))
                for group in await areas.children(session, village.id):
                    found.setdefault(group.id, Place(group.id, group.code, group.name,
                                                     group.level, own=False))
    for grant, area in held:
        if Role(grant.role) is Role.GROUP_LEADER and Role.GROUP_LEADER in roles \
                and area.level == "group":
            found.setdefault(area.id, Place(area.id, area.code, area.name, area.level))
            parent = await areas.info(session, area.parent_id) if area.parent_id else None
            if parent is not None and parent.level == "village":
                found.setdefault(parent.id, Place(parent.id, parent.code, parent.name,
                                                  parent.level, own=False))
    return list(found.values())


def _period_of(rt: Runtime, typed: str | None, today: date, default: DefaultPeriod) -> Period:
    if typed is None:
        return default(rt, today)
    try:
        return periods.parse(rt.settings, typed)
    except PeriodError as problem:
        raise InvalidInput(words.UNKNOWN_PERIOD.format(typed=shorten(typed, 30))) from problem


def default_period(rt: Runtime, today: date) -> Period:
    """The current report year."""
    return periods.current(rt.settings, today, PeriodKind.YEAR)


DefaultPeriod = Callable[[Runtime, date], Period]


def split_args(text: str) -> tuple[str, str | None]:
    """(the area's name, the period typed) from «Thôn Đông 2026H1», «2026», «Thôn Đông»: a
    period is the last word when it starts with a digit."""
    words_in = text.split()
    if words_in and words_in[-1][:1].isdigit():
        return " ".join(words_in[:-1]), words_in[-1]
    return " ".join(words_in), None


@dataclass(frozen=True)
class Asked:
    place: Place
    period: Period


async def ask(session: AsyncSession, rt: Runtime, person: Person, args: str, *,
              roles: frozenset[Role] = VIEWERS, refusal: str = words.VIEW_NO_ROLE,
              default: DefaultPeriod = default_period, today: date | None = None) -> Asked:
    """Which area and period the person asks for, or why not (NotAllowed, InvalidInput)."""
    now = rt.clock.now()
    places = await places_of(session, person, now, roles)
    if not places:
        raise NotAllowed(refusal)
    named, typed = split_args(args)
    day = today or now.astimezone(rt.settings.tz).date()
    period = _period_of(rt, typed, day, default)
    if not named:
        return Asked(places[0], period)
    wanted = fold(named)
    for place in places:
        if wanted in (fold(place.name), fold(place.code)):
            return Asked(place, period)
    allowed = ", ".join(place.name for place in places if place.own)
    raise NotAllowed(words.NOT_YOURS.format(allowed=allowed))


@dataclass(frozen=True)
class Figures:
    coverage: Coverage
    frozen_on: date | None = None  # the day the figures were frozen (a snapshot)


def _node(tree: AreaCoverage, area_id: int) -> AreaCoverage | None:
    if tree.area_id == area_id:
        return tree
    for child in tree.children:
        if (found := _node(child, area_id)) is not None:
            return found
    return None


def _from_snapshot(row: CoverageSnapshot, period: Period, target: float, area_id: int
                   ) -> Coverage | None:
    """The snapshot's tree (stored as a `Coverage` or as its root), cut to `area_id`."""
    data = json.loads(row.figures)
    stored_target = target
    if "root" in data:
        stored_target = float(data.get("target", target))
        data = data["root"]
    node = _node(AreaCoverage.from_dict(data), area_id)
    if node is None:
        return None
    return Coverage(period=period.key, first=period.first.isoformat(),
                    last=period.last.isoformat(), target=stored_target, root=node,
                    snapshot_number=row.number)


async def figures(session: AsyncSession, rt: Runtime, area_id: int, period: Period) -> Figures:
    """The frozen figures of the area (from its snapshot or one of an area above it), or the
    figures computed now."""
    if period.standard:
        chain = [info.id for info in await areas.chain(session, area_id)]
        rows = {row.area_id: row for row in (await session.scalars(
            select(CoverageSnapshot).where(CoverageSnapshot.area_id.in_(chain),
                                           CoverageSnapshot.period == period.key))).all()}
        for candidate in chain:  # the nearest first
            row = rows.get(candidate)
            if row is None:
                continue
            frozen = _from_snapshot(row, period, rt.settings.coverage_target, area_id)
            if frozen is not None:
                return Figures(frozen, row.taken_at.astimezone(rt.settings.tz).date())
    return Figures(await compute.coverage(session, rt.settings, area_id, period))


@dataclass(frozen=True)
class Shown:
    text: str
    figures: Figures


async def view(session: AsyncSession, rt: Runtime, person: Person, args: str) -> Shown:
    """`/baophu [area] [period]`: the text of the view (the chart follows: `send_chart`)."""
    asked = await ask(session, rt, person, args)
    found = await figures(session, rt, asked.place.area_id, asked.period)
    return Shown(render.view_text(found.coverage, found.frozen_on), found)


async def send_chart(rt: Runtime, person_id: int, chat_id: int, channel: str,
                     coverage: Coverage) -> None:
    """Draw the chart and send it into the chat: a photo, or a one-time link, or nothing
    (a text-only messenger and no public address)."""
    sends_files = rt.parts(channel).capabilities.sends_files
    if not sends_files and rt.settings.public_url is None:
        return
    data = await asyncio.to_thread(chart.png, coverage)
    period = render.period_name(coverage.period, coverage.first, coverage.last)
    async with rt.transaction() as session:
        chat = await session.get(Chat, chat_id)
        person = await session.get(Person, person_id)
        if chat is None or person is None:
            return
        stored = await file_links.store(session, rt, kind="photo", mime_type="image/png",
                                        file_name=f"do-phu-{coverage.root.code}.png", data=data)
        if sends_files:
            message = Outgoing(words.CHART_CAPTION.format(area=coverage.root.name,
                                                          period=period),
                               attachments=(Media("photo", stored.id),))
        else:
            link = await file_links.create(session, rt, stored, person)
            message = Outgoing(words.CHART_LINK.format(
                link=link, minutes=int(rt.settings.evidence_link_minutes)))
        await outbox.enqueue(session, rt, chat, message)
