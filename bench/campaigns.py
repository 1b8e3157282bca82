"""`make bench-campaigns`: a province's campaign day, on 2 cores, SQLite and PostgreSQL.

A province-size deployment — 100 communes, 25,000 groups (a Zalo leader each), 200,000
residents on Zalo who agreed to campaign messages in private, and a Telegram group chat for
one group in ten — plans its year (every commune's `CampaignSend` rows), then one campaign
day (26 June, the day against drugs) is fanned out into outbox rows by the real campaign job.

Printed per database: the time to plan the year, the fan-out time (target < 60 s) and rows a
second, the peak memory of the process that planned and fanned out (target < 300 MB), and
the time until the last of those messages can be delivered at the configured limits —
computed from the rows and the limits (how long the messengers need), not waited for.
The dataset is built by this process; planning and fan-out run in a child process, so its
peak memory is theirs alone. Last line per database: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench import results as recorded
from bench import scratch
from bench.scratch import measure_in_child, scratch_database
from bot.channels.base import TextRenderer
from bot.channels.telegram import CAPABILITIES as TELEGRAM
from bot.channels.telegram import TelegramRenderer
from bot.channels.zalo import CAPABILITIES as ZALO
from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.loop import run_loop
from bot.models import (
    Area,
    AreaLevel,
    CampaignSend,
    Chat,
    ChatKind,
    OutboxMessage,
    Person,
    Role,
    RoleGrant,
)
from bot.runtime import ChannelParts, Runtime
from bot.services import people
from bot.services.campaigns import job
from bot.services.keys import open_keyring

COMMUNES, GROUPS, RESIDENTS = 100, 25_000, 200_000
TELEGRAM_EVERY = 10  # one group in ten also has a Telegram group chat
CHUNK = 5_000
PLANNED_AT = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
DAY_AT = datetime(2027, 6, 26, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, drugs-day/day


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _runtime(settings: Settings, schema: str | None, clock: FakeClock) -> Runtime:
    db = Database(settings.db_url, schema=schema)
    await db.migrate()
    rt = Runtime(settings, db, await open_keyring(db, settings.key_file), clock)
    rt.channels["telegram"] = ChannelParts(TelegramRenderer(), TELEGRAM)
    rt.channels["zalo"] = ChannelParts(TextRenderer(limit=2000), ZALO)
    return rt


async def build(rt: Runtime, scale: float) -> dict[str, int]:
    """The province: areas, leaders, residents, Telegram group chats, in bulk inserts."""
    communes, groups, residents = (max(1, int(n * scale)) for n in (COMMUNES, GROUPS,
                                                                    RESIDENTS))
    now = rt.clock.now()
    async with rt.transaction() as session:
        levels = set((await session.scalars(select(AreaLevel.code))).all())
        assert {"province", "commune", "village", "group"} <= levels
        await session.execute(insert(Area), [{"id": 1, "code": "P", "name": "Tỉnh Thử",
                                               "level": "province", "parent_id": None,
                                               "created_at": now}])
        area_rows = []
        next_id = 2
        group_ids = []
        per_commune = groups // communes
        for c in range(communes):
            commune_id = next_id
            area_rows.append({"id": commune_id, "code": f"X{c}", "name": f"Xã Số {c}",
                              "level": "commune", "parent_id": 1, "created_at": now,
                              "police_phone": "0258 3812 345"})
            next_id += 1
            villages = []
            for v in range(5):
                villages.append(next_id)
                area_rows.append({"id": next_id, "code": f"X{c}-T{v}", "name": f"Thôn {v}",
                                  "level": "village", "parent_id": commune_id,
                                  "created_at": now})
                next_id += 1
            for g in range(per_commune):
                group_ids.append(next_id)
                area_rows.append({"id": next_id, "code": f"X{c}-G{g}",
                                  "name": f"Tổ dân cư số {g + 1}", "level": "group",
                                  "parent_id": villages[g % 5], "created_at": now})
                next_id += 1
        for start in range(0, len(area_rows), CHUNK):
            await session.execute(insert(Area), area_rows[start:start + CHUNK])
    people_made = 0

    async def persons(kind: str, count: int, role: Role, consent: bool | None) -> None:
        nonlocal people_made
        for start in range(0, count, CHUNK):
            async with rt.transaction() as session:
                chats, members = [], []
                for index in range(start, min(count, start + CHUNK)):
                    user = f"{kind}{index}"
                    chats.append({"channel": "zalo", "chat_ref": people.chat_ref(rt, "zalo", user),
                                  "external_id_enc": rt.keyring.encrypt_text(
                                      user, "chat.external_id"),
                                  "kind": ChatKind.PRIVATE, "active": True, "created_at": now})
                chat_ids = (await session.scalars(insert(Chat).returning(
                    Chat.id, sort_by_parameter_order=True), chats)).all()
                rows = [{"channel": "zalo", "user_ref": people.user_ref(rt, "zalo", f"{kind}{i}"),
                         "external_id_enc": rt.keyring.encrypt_text(f"{kind}{i}",
                                                                    "person.external_id"),
                         "private_chat_id": chat_id, "created_at": now, "last_seen_at": now,
                         "campaign_consent": consent}
                        for i, chat_id in zip(range(start, start + len(chats)), chat_ids,
                                              strict=True)]
                person_ids = (await session.scalars(insert(Person).returning(
                    Person.id, sort_by_parameter_order=True), rows)).all()
                for offset, person_id in enumerate(person_ids):
                    members.append({"person_id": person_id, "role": role,
                                    "area_id": group_ids[(start + offset) % len(group_ids)],
                                    "granted_at": now, "granted_by": "bench"})
                await session.execute(insert(RoleGrant), members)
                people_made += len(person_ids)

    await persons("leader", len(group_ids), Role.GROUP_LEADER, None)
    await persons("resident", residents, Role.RESIDENT, True)
    async with rt.transaction() as session:
        chats = [{"channel": "telegram", "chat_ref": people.chat_ref(rt, "telegram", f"-{g}"),
                  "external_id_enc": rt.keyring.encrypt_text(f"-{g}", "chat.external_id"),
                  "kind": ChatKind.GROUP, "active": True, "area_id": g, "created_at": now}
                 for g in group_ids[::TELEGRAM_EVERY]]
        await session.execute(insert(Chat), chats)
    return {"communes": communes, "groups": len(group_ids), "residents": residents,
            "telegram_groups": len(chats)}


async def child(url: str, schema: str | None, key_file: str) -> dict[str, Any]:
    """Plan the year and fan out the day; what this process measures."""
    clock = FakeClock(PLANNED_AT)
    settings = Settings(database_url=url, key_file=Path(key_file),
                        _env_file=None)  # type: ignore[call-arg]
    rt = await _runtime(settings, schema, clock)
    started = time.perf_counter()
    await job.write_all(rt, 2027)
    plan_s = time.perf_counter() - started
    async with rt.db.reading() as session:
        planned = int(await session.scalar(select(func.count()).select_from(CampaignSend)) or 0)
    clock.set(DAY_AT - timedelta(hours=7))  # the day's first tick, at midnight: plans written
    await job.run_due(rt, clock.now())
    clock.set(DAY_AT)
    started = time.perf_counter()
    await job.run_due(rt, clock.now())
    fanout_s = time.perf_counter() - started
    async with rt.db.reading() as session:
        per_channel = dict((await session.execute(
            select(OutboxMessage.channel, func.count()).group_by(OutboxMessage.channel))).all())
    await rt.db.dispose()
    rates = {"telegram": settings.telegram_limit_per_second,
             "zalo": settings.zalo_limit_per_second}
    delivery_h = max(count / rates[channel] / 3600 for channel, count in per_channel.items())
    rows = sum(per_channel.values())
    return {"plan_s": round(plan_s, 1), "planned": planned, "fanout_s": round(fanout_s, 1),
            "rows": rows, "rows_per_s": round(rows / fanout_s), "per_channel": per_channel,
            "delivery_h": round(delivery_h, 2), "peak_rss_mb": round(peak_rss_mb(), 1)}


async def run_db(name: str, url: str | None, scale: float) -> dict[str, Any]:
    async with scratch_database("campaigns", url) as scratch:
        schema, settings = scratch.schema, scratch.settings
        rt = await _runtime(settings, schema, FakeClock(PLANNED_AT))
        started = time.perf_counter()
        sizes = await build(rt, scale)
        build_s = time.perf_counter() - started
        await rt.db.dispose()
        measured = await measure_in_child("bench.campaigns", scratch)
    return {"db": name, "build_s": round(build_s, 1), **sizes, **measured}


async def main(args: argparse.Namespace) -> int:
    if args.child:
        url, schema, key_file = args.child
        print(json.dumps(await child(url, schema or None, key_file)))
        return 0
    scale = 0.1 if args.quick else 1.0
    databases = await scratch.databases(args.db)
    results = [await run_db(name, url, scale) for name, url in databases]
    print(f"{'db':<11} {'communes':>8} {'groups':>7} {'residents':>9} {'plan s':>7} "
          f"{'entries':>7} {'fan-out s':>9} {'rows':>7} {'rows/s':>7} {'deliver h':>9} "
          f"{'peak MB':>8}")
    for r in results:
        print(f"{r['db']:<11} {r['communes']:>8} {r['groups']:>7} {r['residents']:>9} "
              f"{r['plan_s']:>7.1f} {r['planned']:>7} {r['fanout_s']:>9.1f} {r['rows']:>7} "
              f"{r['rows_per_s']:>7} {r['delivery_h']:>9.2f} {r['peak_rss_mb']:>8.0f}")
    print("fan-out: one campaign day (every commune's 26 June) into outbox rows; deliver h: "
          "how long the messengers need for them at the configured limits (computed).")
    print("Targets on 2 cores: fan-out < 60 s, peak memory < 300 MB.")
    for r in results:
        print(json.dumps({"bench": "campaigns", "db": r["db"], "fanout_s": r["fanout_s"],
                          "rows_per_s": r["rows_per_s"], "delivery_h": r["delivery_h"],
                          "peak_rss_mb": r["peak_rss_mb"]}))
    if args.record:
        recorded.record([recorded.Row(
            f"campaigns ({r['db']})",
            f"{r['communes']} communes, {r['groups']:,} groups, {r['residents']:,} residents: "
            f"year planned in {r['plan_s']} s ({r['planned']:,} entries); one day fanned out in "
            f"{r['fanout_s']} s ({r['rows']:,} rows, {r['rows_per_s']:,}/s); delivery "
            f"{r['delivery_h']} h at the limits; peak {r['peak_rss_mb']:.0f} MB",
            "fan-out < 60 s; peak < 300 MB",
            r["fanout_s"] < 60 and r["peak_rss_mb"] < 300) for r in results])
    return 0


if __name__ == "__main__":
    sys.exit(run_loop(main(scratch.province_bench_arguments(__doc__))))
