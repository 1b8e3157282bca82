"""Looking at plans: each commune's year under an area, and — for the whole deployment, since
a messenger's limit is the bot's, not a commune's — which days carry more messages than the
messengers can deliver before quiet hours, and what the plan does about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area
from bot.runtime import Runtime
from bot.services import areas
from bot.services.areas import AreaInfo
from bot.services.campaigns import audience, calendar, plans
from bot.services.campaigns.calendar import Calendar
from bot.services.campaigns.plan import Capacity, Load, capacity
from bot.services.campaigns.plans import CommunePlan


@dataclass(frozen=True)
class CommuneYear:
    commune: AreaInfo
    plan: CommunePlan


async def communes_under(session: AsyncSession, area_id: int) -> list[int]:
    """The communes in the area's subtree (the area itself when it is one)."""
    tree = select(Area.id, Area.level).where(Area.id == area_id).cte("up", recursive=True)
    tree = tree.union_all(select(Area.id, Area.level).join(tree, Area.parent_id == tree.c.id))
    return list((await session.scalars(select(tree.c.id).where(tree.c.level == "commune")
                                       .order_by(tree.c.id))).all())


async def years(session: AsyncSession, rt: Runtime, area_id: int, year: int,
                book: Calendar | None = None) -> list[CommuneYear]:
    book = book or calendar.load()
    found = []
    for commune_id in await communes_under(session, area_id):
        facts = await areas.info(session, commune_id)
        assert facts is not None
        found.append(CommuneYear(facts, await plans.plan_of(session, rt, commune_id, year, book)))
    return found


def limits(rt: Runtime) -> dict[str, float]:
    """Each messenger's overall limit, messages a second (0: none)."""
    return {"telegram": rt.settings.telegram_limit_per_second,
            "zalo": rt.settings.zalo_limit_per_second}


async def capacity_by_day(session: AsyncSession, rt: Runtime, year: int,
                          relay_channels: Iterable[str], book: Calendar | None = None
                          ) -> list[Capacity]:
    """For every day of the year that carries campaign messages anywhere in the deployment:
    how long they take at the messengers' limits from the day's earliest send time, and —
    when that runs into quiet hours — what the plan does (start earlier, or two mornings)."""
    book = book or calendar.load()
    relays = list(relay_channels)
    now = rt.clock.now()
    per_day: dict[date, tuple[time, audience.Audience]] = {}
    reaches = await audience.count_by_commune(session, now, relays)
    for commune_id in await plans.communes(session):
        reach = reaches.get(commune_id)
        if reach is None:
            continue  # nobody to reach there yet
        found = await plans.plan_of(session, rt, commune_id, year, book)
        for entry in found.main.entries:
            at, total = per_day.get(entry.on, (entry.at, audience.Audience()))
            if not entry.to_persons:
                reach_here = audience.Audience(reach.group_chats, reach.relays, {})
            else:
                reach_here = reach
            total.add(reach_here)
            per_day[entry.on] = (min(at, entry.at), total)
    rules = plans.rules_of(rt)
    rates = limits(rt)
    result = []
    for on, (at, total) in sorted(per_day.items()):
        loads = [Load(channel, total.messages(channel), rates.get(channel, 0))
                 for channel in sorted(total.channels)]
        result.append(capacity(on, at, loads, rules))
    return result
