"""The campaigns' part of the scheduler's tick: keep every commune's plan written (once a day,
and for next year from December), pull a heavy day's start earlier when the messengers could
not deliver it before quiet hours, send what is due, mark missed what came due too long ago while
the bot was down, and remind group leaders of relay copies they have not confirmed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update

from bot.models import CampaignSend, CampaignSendStatus
from bot.runtime import Runtime
from bot.services import meta
from bot.services.campaigns import calendar, fanout, outlook, plans, relays

log = logging.getLogger(__name__)

PLANNED_ON = "campaigns.planned_on"
# messengers whose bots cannot post in a group: their group leaders get a relay copy
RELAY_CHANNELS = ("zalo",)


async def run_due(rt: Runtime, now: datetime) -> None:
    local = now.astimezone(rt.settings.tz)
    async with rt.transaction() as session:
        fresh = await meta.get(session, PLANNED_ON) != local.date().isoformat()
    if fresh:
        await write_all(rt, local.year)
    to_send, missed = await fanout.due_now(rt, now)
    if missed:
        log.warning("campaigns: %d entries came due too long ago and were marked missed",
                    missed)
    for send_id in to_send:
        async with rt.transaction() as session:
            taken = await fanout.claim(session, send_id)
        if taken or await _sending(rt, send_id):
            await fanout.fan_out(rt, send_id, RELAY_CHANNELS)
    await relays.chase(rt, now)


async def _sending(rt: Runtime, send_id: int) -> bool:
    async with rt.db.reading() as session:
        send = await session.get(CampaignSend, send_id)
        return send is not None and send.status == CampaignSendStatus.SENDING


async def write_all(rt: Runtime, year: int) -> None:
    """Every commune's plan for this year and the next, each commune in its own transaction;
    then the days too heavy for the messengers start earlier."""
    book = calendar.load()
    async with rt.db.reading() as session:
        communes = await plans.communes(session)
    for commune_id in communes:
        async with rt.transaction() as session:
            for each in (year, year + 1):
                await plans.write_plan(session, rt, commune_id, each, book)
    async with rt.transaction() as session:
        for day in await outlook.capacity_by_day(session, rt, year, RELAY_CHANNELS, book):
            if day.start_earlier is None:
                continue
            earlier = datetime.combine(day.on, day.start_earlier, tzinfo=rt.settings.tz)
            await session.execute(
                update(CampaignSend)
                .where(CampaignSend.status == CampaignSendStatus.PLANNED,
                       CampaignSend.on == day.on.isoformat(),
                       CampaignSend.send_at > earlier)
                .values(send_at=earlier))
            log.info("campaigns: %s", day.warning)
        local = rt.clock.now().astimezone(rt.settings.tz)
        await meta.put(session, PLANNED_ON, local.date().isoformat())


