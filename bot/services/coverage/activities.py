"""In-person activities a group leader logs (`/hoatdong`): a meeting, leaflets door to door, a
loudspeaker round. The households it reached are chosen by number from the group's roster
(its households not marked as left, numbered as in /maho), or, for a group with no roster,
given as a count that stays the leader's figure (never turned into households).

Households chosen are reached on the activity's day (`reach.mark_many`, source ACTIVITY), so
in the report periods of that day. An activity can be changed or deleted for `EDIT_WINDOW`
after it was logged, then it is locked: a report may already rely on it. A change that takes a
household away (or moves the day) removes that household's day only when no other activity
of the group's that day still includes it, then rebuilds its periods (`reach.refresh`); an
acknowledgement the same day is another source and stays.

Days: not in the future, and not before the current report year (the periods before it are
frozen at their cut-off). Only a leader of the activity's group may log or change it, checked
again when it is saved. Never words anything: the sentences are in `content/activities.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import (
    Activity,
    ActivityHousehold,
    ActivityKind,
    GroupFigures,
    Household,
    HouseholdReach,
    Person,
    ReachSource,
    Role,
)
from bot.parse import means_all, parse_int, parse_numbers
from bot.services import people
from bot.services.campaigns import calendar
from bot.services.coverage import households as rosters
from bot.services.coverage import periods, reach
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from content import activities as words

EDIT_WINDOW = timedelta(days=7)
MAX_TOPIC = 120
RECENT = 8  # activities listed by /hoatdong
RECENT_SINCE = timedelta(days=60)
MAX_COUNT = 10_000  # households a count may give when the group has no figure
CAMPAIGN_NEAR = timedelta(days=15)  # a campaign's message this close to the day: offered
CAMPAIGN_TOPICS = 3


class Locked(NotAllowed):
    """Logged more than `EDIT_WINDOW` ago: no longer changed or deleted."""


@dataclass(frozen=True)
class LedGroup:
    area_id: int
    name: str


@dataclass(frozen=True)
class Draft:
    """What a leader logs: households chosen from the roster, or a count (then `household_ids`
    is None)."""

    area_id: int
    kind: ActivityKind
    on: date
    topic: str
    household_ids: tuple[int, ...] | None = None
    counted: int | None = None


@dataclass(frozen=True)
class Recent:
    """An activity as /hoatdong lists it."""

    activity_id: int
    group: str
    kind: ActivityKind
    on: date
    households: int
    counted: int | None
    created_at: datetime
    locked: bool


# ---- who, and what they pick from ---------------------------------------------------------

async def groups_led(session: AsyncSession, person_id: int, now: datetime) -> list[LedGroup]:
    """The groups this person leads (a group leader's grant on a group), each once."""
    found: dict[int, LedGroup] = {}
    for grant, area in await people.held_roles(session, person_id, now):
        if grant.role == Role.GROUP_LEADER and area.level == "group":
            found.setdefault(area.id, LedGroup(area.id, area.name))
    return list(found.values())


async def _check_leader(session: AsyncSession, person_id: int, area_id: int,
                        now: datetime) -> None:
    if not await people.has_role(session, person_id, {Role.GROUP_LEADER}, now, area_id):
        raise NotAllowed(words.NOT_LEADER)


async def roster(session: AsyncSession, area_id: int) -> list[tuple[int, str]]:
    """The group's households not marked as left, (id, label), numbered as in every list the
    leader sees (`coverage.households.present`, /maho too): their numbers (from 1) are what they type."""
    return [(household.id, household.label)
            for household in await rosters.present(session, area_id)]


async def households_figure(session: AsyncSession, area_id: int) -> int | None:
    """The household count the leader entered (/sohodan), if any: a count may not exceed it."""
    return await session.scalar(select(GroupFigures.households)
                                .where(GroupFigures.area_id == area_id))


# ---- what the leader types -------------------------------------------------------------------

def local_today(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.tz).date()


def check_day(settings: Settings, on: date, today: date) -> date:
    """`on`, or why not: in the future, or before the current report year."""
    if on > today:
        raise InvalidInput(words.DAY_FUTURE.format(day=on.strftime("%d/%m/%Y")))
    first = periods.current(settings, today).first
    if on < first:
        raise InvalidInput(words.DAY_TOO_OLD.format(day=on.strftime("%d/%m/%Y"),
                                                    first=first.strftime("%d/%m/%Y")))
    return on


def check_topic(text: str) -> str:
    topic = " ".join(text.split())
    if not topic:
        raise InvalidInput(words.TOPIC_EMPTY)
    if len(topic) > MAX_TOPIC:
        raise InvalidInput(words.TOPIC_TOO_LONG.format(length=len(topic), limit=MAX_TOPIC))
    return topic


def choose(text: str, size: int) -> list[int]:
    """The numbers (from 1) a leader typed for a roster of `size`: «1 3 5-9» or «tất cả»."""
    if means_all(text):
        return list(range(1, size + 1))
    numbers = parse_numbers(text)
    if numbers is None:
        raise InvalidInput(words.HOUSEHOLDS_UNCLEAR.format(typed=text.strip()[:30]))
    outside = [number for number in numbers if not 1 <= number <= size]
    if outside:
        shown = ", ".join(str(number) for number in outside[:5])
        raise InvalidInput(words.HOUSEHOLDS_OUTSIDE.format(size=size, numbers=shown))
    return numbers


_calendar = functools.cache(calendar.load)


def campaign_topics(on: date) -> list[str]:
    """The calendar's campaigns with a message within `CAMPAIGN_NEAR` of `on`, nearest
    first: offered as the topic (their names fit `MAX_TOPIC`)."""
    nearest: dict[str, timedelta] = {}
    for year in sorted({(on - CAMPAIGN_NEAR).year, (on + CAMPAIGN_NEAR).year}):
        for item in calendar.dated(_calendar(), year):
            distance = abs(item.on - on)
            if distance <= CAMPAIGN_NEAR and distance < nearest.get(item.day.name, distance
                                                                     + timedelta(days=1)):
                nearest[item.day.name] = distance
    ranked = sorted(nearest, key=lambda name: (nearest[name], name))
    return [name[:MAX_TOPIC] for name in ranked[:CAMPAIGN_TOPICS]]


def check_count(text: str, figure: int | None) -> int:
    """A count of households reached, at most the group's figure when it has one."""
    count = parse_int(text, low=0, high=MAX_COUNT)
    if count is None:
        raise InvalidInput(words.COUNT_UNCLEAR)
    if count == 0:
        raise InvalidInput(words.COUNT_ZERO)
    if figure is not None and count > figure:
        raise InvalidInput(words.COUNT_OVER.format(figure=figure, count=count))
    return count


# ---- logging, changing, deleting -------------------------------------------------------------

async def _own_households(session: AsyncSession, area_id: int, ids: Iterable[int]) -> list[int]:
    """Of `ids`, the households of this group (a stale or forged id is dropped)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list((await session.scalars(
        select(Household.id).where(Household.id.in_(wanted), Household.area_id == area_id)
        .order_by(Household.id))).all())


async def _checked(session: AsyncSession, settings: Settings, draft: Draft, now: datetime
                   ) -> tuple[list[int], int | None]:
    check_day(settings, draft.on, local_today(settings, now))
    check_topic(draft.topic)
    if draft.household_ids is None:
        if draft.counted is None:
            raise InvalidInput(words.COUNT_UNCLEAR)
        return [], check_count(str(draft.counted),
                               await households_figure(session, draft.area_id))
    return await _own_households(session, draft.area_id, draft.household_ids), None


async def log(session: AsyncSession, settings: Settings, person: Person, draft: Draft,
              now: datetime) -> Activity:
    """Store a new activity and reach its households on its day."""
    await _check_leader(session, person.id, draft.area_id, now)
    households, counted = await _checked(session, settings, draft, now)
    activity = Activity(area_id=draft.area_id, author_person_id=person.id, kind=draft.kind,
                        on=draft.on, topic=check_topic(draft.topic), counted=counted,
                        created_at=now)
    session.add(activity)
    await session.flush()
    if households:
        await session.execute(ActivityHousehold.__table__.insert(),
                              [{"activity_id": activity.id, "household_id": h}
                               for h in households])
        await reach.mark_many(session, settings, [(h, draft.area_id, draft.on,
                                                   ReachSource.ACTIVITY) for h in households])
    return activity


def editable_until(activity: Activity) -> datetime:
    return activity.created_at + EDIT_WINDOW


def is_locked(activity: Activity, now: datetime) -> bool:
    return now >= editable_until(activity)


async def households_of(session: AsyncSession, activity_id: int) -> list[int]:
    return list((await session.scalars(
        select(ActivityHousehold.household_id)
        .where(ActivityHousehold.activity_id == activity_id)
        .order_by(ActivityHousehold.household_id))).all())


async def open_for_change(session: AsyncSession, settings: Settings, person: Person,
                          activity_id: int, now: datetime) -> Activity:
    """The activity, if this person leads its group and its week is not over."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(words.GONE)
    await _check_leader(session, person.id, activity.area_id, now)
    if is_locked(activity, now):
        raise Locked(words.LOCKED.format(
            day=activity.on.strftime("%d/%m/%Y"),
            created=activity.created_at.astimezone(settings.tz).strftime("%d/%m/%Y")))
    return activity


async def draft_of(session: AsyncSession, settings: Settings, person: Person, activity_id: int,
                   now: datetime) -> Draft:
    """An activity as a draft to change, if it may still be changed (`open_for_change`)."""
    activity = await open_for_change(session, settings, person, activity_id, now)
    households = None if activity.counted is not None else tuple(
        await households_of(session, activity.id))
    return Draft(activity.area_id, ActivityKind(activity.kind), activity.on, activity.topic,
                 households, activity.counted)


async def change(session: AsyncSession, settings: Settings, person: Person, activity_id: int,
                 draft: Draft, now: datetime) -> Activity:
    """Change an activity within its week: its day, topic, households or count (its group
    and kind stay)."""
    activity = await open_for_change(session, settings, person, activity_id, now)
    draft = Draft(activity.area_id, ActivityKind(activity.kind), draft.on, draft.topic,
                  draft.household_ids, draft.counted)
    households, counted = await _checked(session, settings, draft, now)
    before = await households_of(session, activity.id)
    before_days = {(h, activity.on) for h in before}
    taken, added = set(before) - set(households), set(households) - set(before)
    if taken:
        await session.execute(delete(ActivityHousehold).where(
            ActivityHousehold.activity_id == activity.id,
            ActivityHousehold.household_id.in_(sorted(taken))))
    if added:
        await session.execute(ActivityHousehold.__table__.insert(),
                              [{"activity_id": activity.id, "household_id": h}
                               for h in sorted(added)])
    activity.on, activity.topic, activity.counted = draft.on, check_topic(draft.topic), counted
    activity.updated_at = now
    await session.flush()
    await reach.mark_many(session, settings, [(h, activity.area_id, draft.on,
                                               ReachSource.ACTIVITY) for h in households])
    await _unreach(session, settings, before_days - {(h, draft.on) for h in households})
    return activity


async def remove(session: AsyncSession, settings: Settings, person: Person, activity_id: int,
                 now: datetime) -> Activity:
    """Delete an activity within its week; its households stay reached only by what else
    reached them."""
    activity = await open_for_change(session, settings, person, activity_id, now)
    before = await households_of(session, activity.id)
    await session.execute(delete(ActivityHousehold)
                          .where(ActivityHousehold.activity_id == activity.id))
    await session.delete(activity)
    await session.flush()
    await _unreach(session, settings, {(h, activity.on) for h in before})
    return activity


async def _unreach(session: AsyncSession, settings: Settings,
                   gone: set[tuple[int, date]]) -> None:
    """Remove the ACTIVITY days (household, day) no activity includes any more, then rebuild
    those households' periods from the days they keep."""
    if not gone:
        return
    by_day: dict[date, list[int]] = {}
    for household_id, on in gone:
        by_day.setdefault(on, []).append(household_id)
    still = (select(ActivityHousehold.household_id)
             .join(Activity, Activity.id == ActivityHousehold.activity_id)
             .where(ActivityHousehold.household_id == HouseholdReach.household_id,
                    Activity.on == HouseholdReach.on))
    for on, households in sorted(by_day.items()):
        await session.execute(delete(HouseholdReach).where(
            and_(HouseholdReach.household_id.in_(sorted(households)), HouseholdReach.on == on,
                 HouseholdReach.source == ReachSource.ACTIVITY.value), ~still.exists())
            .execution_options(synchronize_session=False))
    await reach.refresh(session, settings, {h for h, _ in gone})


# ---- what /hoatdong lists -------------------------------------------------------------------

async def recent(session: AsyncSession, person: Person, now: datetime) -> list[Recent]:
    """The latest activities of the groups this person leads (locked ones too, marked)."""
    groups = {group.area_id: group.name for group in await groups_led(session, person.id, now)}
    if not groups:
        return []
    households = (select(func.count()).select_from(ActivityHousehold)
                  .where(ActivityHousehold.activity_id == Activity.id).scalar_subquery())
    rows = (await session.execute(
        select(Activity, households)
        .where(Activity.area_id.in_(sorted(groups)), Activity.created_at > now - RECENT_SINCE)
        .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(RECENT))).all()
    return [Recent(activity.id, groups[activity.area_id], ActivityKind(activity.kind),
                   activity.on, int(count or 0), activity.counted, activity.created_at,
                   is_locked(activity, now))
            for activity, count in rows]
