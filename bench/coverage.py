"""`make bench-coverage`: outreach coverage of a province-size dataset, on SQLite and (when
reachable) PostgreSQL.

The dataset (built in the database by INSERT … SELECT, so building it takes seconds, not the
hours the bot's own path would): one province of 100 communes × 10 villages × 25 groups ×
40 households = 1,000,000 households in 25,000 groups; 600,000 residents linked to them (40–80%
of a village's households), who
acknowledged 3,000,000 campaign messages spread over the report year; 50,000 activities with
10 households each. What coverage reads — a household's reach per day and per report period —
is derived from those acknowledgements and activities exactly as `coverage.reach` keeps it.

Measured in a fresh process (so its peak memory is the computation's, not the build's):
- `coverage()` for the whole province and for one commune, each the median of 5 runs;
- upkeep: what keeping reach up to date costs an acknowledgement (`reach.mark` for a linked
  resident, ms each, in batches of 100 per transaction as the bot's inbox commits them).
Targets on 2 cores: province < 1 s, one commune < 50 ms, peak memory < 500 MB.

Last line per database: `{"bench": "coverage", "db": ..., "province_s": ..., "commune_ms": ...,
"peak_rss_mb": ...}`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import results as recorded
from bench import scratch
from bench.scratch import measure_in_child, scratch_database
from bot.config import Settings
from bot.db import Database
from bot.loop import run_loop
from bot.models import Area, Household, ReachSource
from bot.services.coverage import periods, reach
from bot.services.coverage.compute import coverage

COMMUNES, VILLAGES, GROUPS, HOUSEHOLDS = 100, 10, 25, 40
BROADCASTS = 100  # campaign messages over the year; each linked resident acknowledged 5
ACTIVITIES_PER_GROUP, HOUSEHOLDS_PER_ACTIVITY = 2, 10
YEAR = 2026
TARGETS = {"province_s": 1.0, "commune_ms": 50.0, "peak_rss_mb": 500.0}
NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _numbers(limit: int, postgresql: bool) -> str:
    """A row source of 1..limit, as a FROM item named n(i)."""
    if postgresql:
        return f"generate_series(1, {limit}) AS n(i)"
    return (f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {limit}) "
            "SELECT i FROM s) AS n")


async def build(db: Database, settings: Settings, scale: float) -> dict[str, int]:
    """The province, in the database's own SQL. Returns the sizes built."""
    communes = max(2, round(COMMUNES * scale))
    pg = db.writer.dialect.name == "postgresql"
    year = periods.year_period(settings, YEAR)
    days = (year.last - year.first).days
    async with db.transaction() as session:
        levels = ("province", "commune", "village", "group")
        session.add(Area(code="P", name="Tỉnh Thử", level=levels[0], created_at=NOW))
        await session.flush()
        province = await session.scalar(select(Area.id).where(Area.code == "P"))
        rows: list[dict[str, Any]] = []
        for c in range(communes):
            rows.append({"code": f"X{c}", "name": f"Xã số {c + 1}", "level": "commune",
                         "parent": "P"})
            for v in range(VILLAGES):
                rows.append({"code": f"X{c}V{v}", "name": f"Thôn số {v + 1}", "level": "village",
                             "parent": f"X{c}"})
                rows.extend({"code": f"X{c}V{v}G{g}", "name": f"Tổ số {g + 1}", "level": "group",
                             "parent": f"X{c}V{v}"} for g in range(GROUPS))
        ids = {"P": province}
        for level in levels[1:]:
            batch = [row for row in rows if row["level"] == level]
            await session.execute(Area.__table__.insert(), [
                {"code": r["code"], "name": r["name"], "level": level,
                 "parent_id": ids[r["parent"]], "is_remote": False, "created_at": NOW}
                for r in batch])
            ids.update({code: area_id for code, area_id in (await session.execute(
                select(Area.code, Area.id).where(Area.level == level))).all()})

        numbers = _numbers(HOUSEHOLDS, pg)
        await session.execute(text(
            "INSERT INTO households (area_id, label, code, linked, created_at) "
            f"SELECT a.id, 'Hộ', a.code || '-' || n.i, CASE WHEN n.i * 10 <= "
            f"(4 + a.parent_id % 5) * {HOUSEHOLDS} THEN 1 ELSE 0 END, :now "
            f"FROM areas a CROSS JOIN {numbers} WHERE a.level = 'group'"),
            {"now": NOW})
        # a resident linked in 4 to 8 households in 10, by village
        await session.execute(text(
            "INSERT INTO persons (channel, user_ref, external_id_enc, household_id, created_at, "
            "last_seen_at) SELECT 'zalo', 'u' || h.id, :blob, h.id, :now, :now "
            "FROM households h WHERE h.linked = 1"), {"now": NOW, "blob": b"\x00"})
        await session.execute(text(
            "INSERT INTO broadcasts (label, total_chats, created_at, latest_only) "
            f"SELECT 'bench', 0, :now, false FROM {_numbers(BROADCASTS, pg)}"), {"now": NOW})
        # each resident acknowledged 5 of the 100 messages; message k went out on day 3.5·k
        await session.execute(text("CREATE TEMPORARY TABLE bench_days (broadcast_id INTEGER, "
                                   "on_day DATE, at TIMESTAMP WITH TIME ZONE)" if pg else
                                   "CREATE TEMPORARY TABLE bench_days (broadcast_id INTEGER, "
                                   "on_day DATE, at DATETIME)"))
        broadcast_ids = (await session.scalars(text("SELECT id FROM broadcasts ORDER BY id"))).all()
        await session.execute(text("INSERT INTO bench_days VALUES (:b, :d, :at)"), [
            {"b": b, "d": year.first + timedelta(days=days * k // BROADCASTS),
             "at": datetime.combine(year.first + timedelta(days=days * k // BROADCASTS),
                                    datetime.min.time(), UTC) + timedelta(hours=5)}
            for k, b in enumerate(broadcast_ids)])
        await session.execute(text(
            "INSERT INTO acknowledgements (broadcast_id, person_id, channel, chat_kind, at) "
            "SELECT d.broadcast_id, p.id, 'zalo', 'private', d.at FROM persons p "
            "JOIN bench_days d ON (d.broadcast_id + p.id) % 20 = 0"))
        await session.execute(text(
            "INSERT INTO household_reach (household_id, \"on\", source) "
            "SELECT DISTINCT p.household_id, d.on_day, 'ack' FROM acknowledgements a "
            "JOIN persons p ON p.id = a.person_id JOIN bench_days d ON d.broadcast_id = "
            "a.broadcast_id"))
        # two activities a group, each with 10 of its households
        await session.execute(text(
            "INSERT INTO activities (area_id, kind, \"on\", topic, created_at) "
            f"SELECT a.id, 'meeting', :first, 'Họp tổ', :now FROM areas a CROSS JOIN "
            f"{_numbers(ACTIVITIES_PER_GROUP, pg)} WHERE a.level = 'group'"),
            {"first": year.first + timedelta(days=40), "now": NOW})
        spread = ('"on" + (id % 300)' if pg
                  else """date("on", '+' || (id % 300) || ' days')""")
        await session.execute(text(f'UPDATE activities SET "on" = {spread}'))
        await session.execute(text(
            "INSERT INTO activity_households (activity_id, household_id) "
            "SELECT t.id, h.id FROM activities t JOIN households h ON h.area_id = t.area_id "
            f"WHERE (h.id + t.id) % {HOUSEHOLDS // HOUSEHOLDS_PER_ACTIVITY} = 0"))
        await session.execute(text(
            "INSERT INTO household_reach (household_id, \"on\", source) "
            "SELECT DISTINCT x.household_id, t.\"on\", 'activity' FROM activity_households x "
            "JOIN activities t ON t.id = x.activity_id"))
        # reach per report period, as reach.mark_many keeps it
        for period in (year, *periods.half_periods(settings, YEAR)):
            await session.execute(text(
                "INSERT INTO period_reach (household_id, period, area_id) "
                "SELECT DISTINCT r.household_id, :key, h.area_id FROM household_reach r "
                "JOIN households h ON h.id = r.household_id "
                "WHERE r.\"on\" BETWEEN :first AND :last"),
                {"key": period.key, "first": period.first, "last": period.last})
        # each group's running figures, as reach.mark_many and reach.retally keep them
        await session.execute(text(
            "INSERT INTO group_tallies (area_id, period, households, linked, reached) "
            "SELECT area_id, period, NULL, 0, count(*) FROM period_reach GROUP BY area_id, period"))
        await reach.retally(session, settings, TODAY)
        sizes = {name: int(await session.scalar(text(f"SELECT count(*) FROM {name}")) or 0)
                 for name in ("households", "persons", "acknowledgements", "activities",
                              "activity_households", "household_reach", "period_reach")}
        sizes["groups"] = communes * VILLAGES * GROUPS
        sizes["communes"] = communes
    if pg:  # what autovacuum does in production: visibility maps for index-only scans
        engine = create_async_engine(
            db.writer.url, isolation_level="AUTOCOMMIT",
            connect_args={"server_settings": {"search_path": db.schema}} if db.schema else {})
        async with engine.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
        await engine.dispose()
    else:
        async with db.transaction() as session:
            await session.execute(text("ANALYZE"))
    return sizes


async def measure(url: str, schema: str | None, key_file: str) -> dict[str, Any]:
    """In a fresh process: coverage of the province and of one commune, and reach upkeep."""
    settings = Settings(database_url=url, key_file=Path(key_file),
                        _env_file=None)  # type: ignore[call-arg]
    db = Database(url, schema=schema)
    year = periods.year_period(settings, YEAR)
    async with db.reading() as session:
        province = await session.scalar(select(Area.id).where(Area.code == "P"))
        commune = await session.scalar(select(Area.id).where(Area.code == "X1"))
    assert province is not None and commune is not None
    timings: dict[str, list[float]] = {"province": [], "commune": []}
    figures: dict[str, Any] = {}
    for _ in range(5):
        for name, area_id in (("province", province), ("commune", commune)):
            async with db.reading() as session:
                started = time.perf_counter()
                result = await coverage(session, settings, area_id, year)
                timings[name].append(time.perf_counter() - started)
            figures[name] = (result.root.households, result.root.reached,
                             result.root.villages_met, result.root.villages_judged)

    # upkeep: reach.mark for linked residents' acknowledgements, 100 per transaction
    async with db.reading() as session:
        sample = (await session.scalars(select(Household).where(Household.linked > 0)
                                        .order_by(func.random()).limit(2000))).all()
    day = TODAY
    started = time.perf_counter()
    for first in range(0, len(sample), 100):
        async with db.transaction() as session:
            for household in sample[first:first + 100]:
                await reach.mark(session, settings, household, day, ReachSource.ACK)
    upkeep_ms = (time.perf_counter() - started) * 1000 / max(1, len(sample))
    await db.dispose()
    return {"province_s": round(statistics.median(timings["province"]), 3),
            "commune_ms": round(statistics.median(timings["commune"]) * 1000, 1),
            "province_first_s": round(timings["province"][0], 3),
            "upkeep_ms_per_ack": round(upkeep_ms, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
            "province": figures["province"], "commune": figures["commune"]}


async def run_db(name: str, url: str | None, scale: float) -> dict[str, Any]:
    async with scratch_database("coverage", url) as scratch:
        db = Database(scratch.url, schema=scratch.schema)
        await db.migrate()
        started = time.perf_counter()
        sizes = await build(db, scratch.settings, scale)
        build_s = time.perf_counter() - started
        await db.dispose()
        measured = await measure_in_child("bench.coverage", scratch)
    return {"db": name, "build_s": round(build_s, 1), **sizes, **measured}


def met(result: dict[str, Any]) -> bool:
    return all(result[key] < limit for key, limit in TARGETS.items())


async def main(args: argparse.Namespace) -> int:
    if args.child:
        url, schema, key_file = args.child
        print(json.dumps(await measure(url, schema or None, key_file)))
        return 0
    scale = 0.1 if args.quick else 1.0
    databases = await scratch.databases(args.db)
    results = []
    for name, url in databases:
        print(f"{name}: building the province…", flush=True)
        results.append(await run_db(name, url, scale))
    print(f"{'db':<11} {'households':>10} {'groups':>7} {'acks':>9} {'activities':>10} "
          f"{'build s':>7} {'province s':>10} {'commune ms':>10} {'upkeep ms':>9} {'peak MB':>8}")
    for r in results:
        print(f"{r['db']:<11} {r['households']:>10,} {r['groups']:>7,} "
              f"{r['acknowledgements']:>9,} {r['activities']:>10,} {r['build_s']:>7.1f} "
              f"{r['province_s']:>10.3f} {r['commune_ms']:>10.1f} {r['upkeep_ms_per_ack']:>9.2f} "
              f"{r['peak_rss_mb']:>8.0f}")
        households, reached, villages_met, villages = r["province"]
        print(f"  province: {reached:,} of {households:,} households reached in {YEAR}, "
              f"{villages_met}/{villages} villages at the target; first run "
              f"{r['province_first_s']:.3f} s")
    print("Targets on 2 cores: province < 1 s, one commune < 50 ms, peak memory < 500 MB. "
          "upkeep: what keeping reach up to date adds to one acknowledgement.")
    for r in results:
        print(json.dumps({"bench": "coverage", "db": r["db"], "province_s": r["province_s"],
                          "commune_ms": r["commune_ms"], "peak_rss_mb": r["peak_rss_mb"]}))
    if args.record:
        recorded.record([recorded.Row(
            f"coverage ({r['db']})",
            f"{r['households']:,} households, {r['groups']:,} groups, "
            f"{r['acknowledgements']:,} acknowledgements, {r['activities']:,} activities: "
            f"province {r['province_s']} s, one commune {r['commune_ms']} ms, peak "
            f"{r['peak_rss_mb']:.0f} MB; upkeep {r['upkeep_ms_per_ack']} ms per acknowledgement",
            "province < 1 s; commune < 50 ms; peak < 500 MB", met(r)) for r in results])
    return 0


if __name__ == "__main__":
    sys.exit(run_loop(main(scratch.province_bench_arguments(__doc__))))
