"""`make bench-broadcasts`: «✅ Nhà tôi đã nhận» pressed by residents through the sandbox, on
SQLite and (when reachable) PostgreSQL.

The bot runs as its own process (with its sender process, as README recommends on two cores);
this process serves the sandbox and plays the residents. Messenger limits are off on both
sides: we measure our engine, not Telegram's 30 messages a second.

(a) A broadcast goes into `--groups` Telegram group chats; then distinct members of those
    groups (none known to the bot before: each press creates its person) press its ✅:
    - `--burst` of them all at once: acknowledgements handled a second, from the first press
      to the last answer (the toast that stops the button's spinner);
    - `--steady` others at `--rate` a second (the target's 250): p50 and p99 from a press to
      its answer.
    Each is stored exactly once: the acknowledgements in the database must be as many as the
    residents who pressed.
(b) A broadcast to 3,000 groups with Telegram's limits on, acknowledgements at 100/s and tips
    filed meanwhile (their receipts' p99) is not measured yet: `receipt_p99_ms` is null.

Prints a table, then one JSON line per database. `check ms` brackets the run with a fixed piece
of Python work (`bench.tips.speed_check`): on a shared VM the machine's own speed moves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench import results as recorded
from bench.tips import REPO, TOKEN, Residents, bot_env, cpu_seconds, speed_check
from bot.channels.telegram import CAPABILITIES, TelegramRenderer
from bot.config import Settings
from bot.db import Database
from bot.loop import run_loop
from bot.messages import Outgoing
from bot.models import Acknowledgement, ChatKind
from bot.runtime import ChannelParts, Runtime
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.services import broadcasts, people
from bot.services.keys import open_keyring
from content.acknowledgements import ACK_LABEL
from tests.pg_pass import _reachable

TEXT = ("Kính gửi bà con: tháng 6 là Tháng hành động phòng, chống ma túy. Bà con để ý con em, "
        "thấy điều bất thường thì báo Công an xã.")
FIRST_GROUP = -5_000_000
FIRST_RESIDENT = 800_000
TARGET_PER_S = 250


def group_id(index: int) -> int:
    return FIRST_GROUP - index


@dataclass
class Result:
    db: str
    burst: int = 0
    acks_per_s: float = 0.0
    burst_p99_ms: float = 0.0
    bot_cpu_ms_per_ack: float = 0.0
    bench_cpu_ms_per_ack: float = 0.0
    steady: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    stored: int = 0
    speed_check_ms: tuple[float, float] = (0.0, 0.0)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def met(self) -> bool:
        return self.acks_per_s >= TARGET_PER_S and self.pct(0.99) < 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def prepare(settings: Settings, schema: str | None, groups: int) -> None:
    """The database with `groups` Telegram group chats and a broadcast to all of them, queued
    for the bot to send when it starts."""
    db = Database(settings.db_url, schema=schema)
    await db.migrate()
    rt = Runtime(settings, db, await open_keyring(db, settings.key_file))
    rt.channels["telegram"] = ChannelParts(TelegramRenderer(), CAPABILITIES)
    async with rt.transaction() as session:
        chats = [await people.ensure_chat(session, rt, "telegram", str(group_id(index)),
                                          ChatKind.GROUP, f"Tổ dân cư số {index + 1}")
                 for index in range(groups)]
        await session.flush()
        await broadcasts.broadcast(session, rt, Outgoing(TEXT), chats, None, label="bench")
    await db.dispose()


async def stored(url: str, schema: str | None) -> int:
    db = Database(url, schema=schema)
    try:
        async with db.reading() as session:
            return int(await session.scalar(
                select(func.count()).select_from(Acknowledgement)) or 0)
    finally:
        await db.dispose()


class Presses:
    """Residents pressing the ✅ under the broadcast in their group's chat; the sandbox tells
    us when each press is answered, so thousands of them cost no polling."""

    def __init__(self, sandbox: RunningSandbox, groups: int) -> None:
        self.box = sandbox.sandbox
        self.groups = groups
        self.messages: dict[int, int] = {}  # group chat → the broadcast's message there
        self.pressed: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self._all_answered = asyncio.Event()
        self._expected = 0
        self.box.answer_watchers.append(self._on_answer)

    def _on_answer(self, query_id: str) -> None:
        self.answered[query_id] = time.perf_counter()
        if len(self.answered) >= self._expected:
            self._all_answered.set()

    async def members(self, first: int, count: int) -> list[tuple[dict[str, Any], int]]:
        """`count` residents, each saying hello in their group's chat (the bot, in privacy
        mode, does not see it): the sandbox knows them, the bot does not yet."""
        found = []
        for index in range(first, first + count):
            user = {"id": FIRST_RESIDENT + index, "first_name": f"Cư dân {index}"}
            chat = group_id(index % self.groups)
            await self.box.user_message(user, "Chào cả nhà", chat={
                "id": chat, "type": "group", "title": f"Tổ dân cư số {index % self.groups + 1}"})
            found.append((user, chat))
        return found

    async def broadcast_arrived(self, residents: Residents) -> None:
        for index in range(self.groups):
            chat = group_id(index)
            await residents.wait_for(chat, 0, lambda fresh: any(
                m.reply_markup and m.reply_markup.get("inline_keyboard") for m in fresh))
            self.messages[chat] = next(m.message_id for m in residents.bot_messages(chat)
                                       if m.reply_markup)

    async def press(self, user: dict[str, Any], chat: int) -> str:
        started = time.perf_counter()
        pressed = await self.box.press_button(user["id"], chat, self.messages[chat],
                                              button=ACK_LABEL)
        query_id = str(pressed["callback_query_id"])
        self.pressed[query_id] = started
        return query_id

    async def wait(self, expected: int, timeout: float = 300) -> None:
        self._expected = expected
        if len(self.answered) < expected:
            self._all_answered.clear()
            await asyncio.wait_for(self._all_answered.wait(), timeout)

    def latencies_ms(self, query_ids: list[str]) -> list[float]:
        return [(self.answered[q] - self.pressed[q]) * 1000 for q in query_ids]


async def run_db(name: str, url: str | None, args: argparse.Namespace) -> Result:
    result = Result(name)
    with tempfile.TemporaryDirectory(prefix="binhyen-bench-") as tmp:
        workdir = Path(tmp)
        schema = None
        if url is None:
            url = f"sqlite+aiosqlite:///{workdir}/broadcasts.db"
        else:
            schema = f"bench_acks_{os.getpid()}"
            admin = Database(url)
            async with admin.writer.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
        settings = Settings(data_dir=workdir, database_url=url, key_file=workdir / "keys",
                            _env_file=None)  # type: ignore[call-arg]
        await prepare(settings, schema, args.groups)
        sandbox = await start_sandbox("127.0.0.1", 0, TOKEN)
        presses = Presses(sandbox, args.groups)
        burst = await presses.members(0, args.burst)
        steady = await presses.members(args.burst, args.steady)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=REPO,
            env=bot_env(settings, sandbox.base_url, schema),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            await presses.broadcast_arrived(Residents(sandbox))
            check_before = speed_check()
            bot_cpu, own_cpu = cpu_seconds(process.pid), time.process_time()
            ids = list(await asyncio.gather(*(presses.press(u, c) for u, c in burst)))
            await presses.wait(len(ids))
            took = max(presses.answered[q] for q in ids) - min(presses.pressed[q] for q in ids)
            result.burst, result.acks_per_s = len(ids), len(ids) / took
            result.burst_p99_ms = pct(presses.latencies_ms(ids), 0.99)
            result.bot_cpu_ms_per_ack = (cpu_seconds(process.pid) - bot_cpu) * 1000 / len(ids)
            result.bench_cpu_ms_per_ack = (time.process_time() - own_cpu) * 1000 / len(ids)

            async def press_at(index: int, user: dict[str, Any], chat: int) -> str:
                await asyncio.sleep(index / args.rate)  # a steady evening's presses
                return await presses.press(user, chat)

            steady_ids = list(await asyncio.gather(
                *(press_at(i, u, c) for i, (u, c) in enumerate(steady))))
            await presses.wait(len(ids) + len(steady_ids))
            result.steady, result.latencies_ms = len(steady_ids), presses.latencies_ms(
                steady_ids)
            result.speed_check_ms = (check_before, speed_check())
            result.stored = await stored(url, schema)
        finally:
            process.terminate()
            await process.communicate()
            await sandbox.close()
            if schema:
                admin = Database(url)
                async with admin.writer.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                await admin.dispose()
    if result.stored != result.burst + result.steady:
        raise AssertionError(f"{name}: {result.stored} acknowledgements stored for "
                             f"{result.burst + result.steady} residents")
    return result


async def main(args: argparse.Namespace) -> int:
    databases: list[tuple[str, str | None]] = []
    if args.db in (None, "sqlite"):
        databases.append(("sqlite", None))
    if args.db in (None, "postgresql"):
        pg = os.environ.get("BINHYEN_TEST_DATABASE_URL",
                            "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
        problem = await _reachable(pg)
        if problem is None:
            databases.append(("postgresql", pg))
        else:
            print(f"PostgreSQL not reachable ({problem}); SQLite only.")
    results = [await run_db(name, url, args) for name, url in databases]
    print(f"(a) a broadcast in {args.groups} Telegram groups; {args.burst} members press its ✅ "
          f"at once, then {args.steady} others at {args.rate:g} a second; limits off")
    print(f"{'db':<11} {'burst':>6} {'acks/s':>8} {'p99 ms':>8} {'bot CPU':>8} {'bench CPU':>9} "
          f"{'steady':>7} {'p50 ms':>8} {'p99 ms':>8} {'stored':>7} {'check ms':>11}")
    for r in results:
        check = "–".join(f"{ms:.0f}" for ms in r.speed_check_ms)
        print(f"{r.db:<11} {r.burst:>6} {r.acks_per_s:>8.1f} {r.burst_p99_ms:>8.0f} "
              f"{r.bot_cpu_ms_per_ack:>8.1f} {r.bench_cpu_ms_per_ack:>9.1f} {r.steady:>7} "
              f"{r.pct(0.5):>8.0f} "
              f"{r.pct(0.99):>8.0f} {r.stored:>7} {check:>11}")
    print("acks/s and the first p99: the burst, from the first press to the last answer; bot "
          "CPU, bench CPU: ms per acknowledgement in the burst, for both bot processes and for "
          "this one (sandbox and residents). The second p50/p99: "
          "press to answer at the steady rate. stored: acknowledgements in the database, one "
          "per resident.")
    print(f"Targets on 2 cores: ≥ {TARGET_PER_S} acknowledgements/s, p99 press→answer < 1 s. "
          "(b) not measured yet.")
    for r in results:
        print(json.dumps({"bench": "broadcasts", "db": r.db,
                          "acks_per_s": round(r.acks_per_s, 1),
                          "ack_p99_ms": round(r.pct(0.99), 1), "receipt_p99_ms": None}))
    if args.record:
        recorded.record([recorded.Row(
            f"broadcasts ({r.db})",
            f"(a) {r.acks_per_s:.1f} acks/s ({r.burst} at once, bot CPU "
            f"{r.bot_cpu_ms_per_ack:.1f} ms each); at {args.rate:g}/s p50 {r.pct(0.5):.0f} ms, "
            f"p99 {r.pct(0.99):.0f} ms; {r.stored} stored for {r.burst + r.steady}; check ms "
            + "–".join(f"{ms:.0f}" for ms in r.speed_check_ms) + "; (b) not measured",
            f"(a) ≥ {TARGET_PER_S} acks/s, p99 < 1 s", r.met) for r in results])
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, to try it")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    parser.add_argument("--groups", type=int, default=30, help="group chats the broadcast goes to")
    parser.add_argument("--burst", type=int, help="members pressing at once (default 3000)")
    parser.add_argument("--steady", type=int, help="members pressing at --rate (default 3000)")
    parser.add_argument("--rate", type=float, default=TARGET_PER_S,
                        help=f"presses a second in the steady part (default {TARGET_PER_S})")
    parser.add_argument("--record", action="store_true",
                        help="write this run's figures into bench/RESULTS.md")
    args = parser.parse_args()
    if args.record and (args.quick or args.burst or args.steady or args.db
                        or args.rate != TARGET_PER_S or args.groups != 30):
        parser.error("--record takes the full benchmark only (no --quick, --db, --burst, "
                     "--steady, --rate or --groups)")
    default = 300 if args.quick else 3000
    args.burst = args.burst or default
    args.steady = args.steady or default
    sys.exit(run_loop(main(args)))
