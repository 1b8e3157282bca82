"""`make bench-workers`: the same load through nginx to one worker, then to two, on PostgreSQL.

Each run gets a fresh schema and starts N `binhyen run` workers (one process each, no sender
process: the worker is the unit the sizing counts) behind nginx with the shipped site and a
throwaway TLS certificate (`tests.proxy`), Telegram by webhook. The sandbox, in this process,
calls the webhook as Telegram does, up to 40 calls at once and one resident's updates one at
a time. Messenger limits are off on both sides: we measure the workers, not Telegram's 30
messages a second.

The load: `--residents` residents, each writing `--messages` messages one after another, the
next as soon as the bot answered the previous one (a closed loop: the offered load is the
same for one and two workers, and each run goes as fast as the workers let it). A warm-up of
a few residents first, not counted.

Reported per run: updates handled per second; the workers' CPU per update (all workers' CPU
over the updates: what sizing multiplies); p99 from the request to stored (the sandbox's call
to the 200, which goes out once the update is committed) and to answered (from the resident's
message to the bot's answer in the chat, queueing included); lost (messages never answered)
and duplicated (answers beyond one per message). Targets: two workers ≥ 0.9 × one (on two
cores the machine, not the design, is the ceiling), nothing lost, nothing twice.

The last line is one JSON object `{"bench": "workers", ...}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import results as recorded
from bench import scratch
from bench.broadcasts import pct
from bench.scratch import scratch_database
from bench.tips import REPO, TOKEN, Residents, bot_env, cpu_seconds, prepare, speed_check
from bot.db import Database
from bot.loop import run_loop
from bot.models import InboxStatus, InboxUpdate
from bot.sandbox.server import start_sandbox
from tests import proxy

MESSAGE = "/hotline"  # one answer, from the engine's whole path (person, flow, outbox)
WARM_UP_RESIDENTS = 10
STARTUP_TIMEOUT_S = 90.0
SENDING_CONNECTIONS = 40  # Telegram's default max_connections


@dataclass
class Run:
    workers: int
    updates: int = 0
    seconds: float = 0.0
    worker_cpu_s: float = 0.0
    nginx_cpu_s: float = 0.0
    postgres_cpu_s: float | None = None
    stored_ms: list[float] = field(default_factory=list)
    answered_ms: list[float] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    handled_rows: int = 0
    check_ms: tuple[float, float] = (0.0, 0.0)

    @property
    def per_s(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_update(self) -> float:
        return self.worker_cpu_s * 1000 / self.updates if self.updates else 0.0

    @staticmethod
    def p99(values: list[float]) -> float:
        return pct(values, 0.99)


def postgres_cpu_seconds() -> float | None:
    """CPU time of every PostgreSQL process on this machine (None when it runs elsewhere, or
    /proc shows none): the database's share of each update, for sizing its cores."""
    total, found = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1:text.rfind(")")]
        if name.startswith("postgres"):
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            found = True
    return total if found else None


def _worker_env(settings: Any, base_url: str, schema: str | None, public_url: str, port: int
                ) -> dict[str, str]:
    env = bot_env(settings, base_url, schema, one_process=True)
    env.update(BINHYEN_PUBLIC_URL=public_url, BINHYEN_WEB_PORT=str(port))
    return env


async def run_workers(count: int, url: str, nginx: str, residents_n: int, messages: int
                      ) -> Run:
    run = Run(count)
    async with scratch_database(f"workers{count}", url) as room:
        settings, schema = room.settings, room.schema
        await prepare(settings, schema)
        tls = proxy.throwaway_tls(room.workdir)
        sandbox = await start_sandbox("127.0.0.1", 0, TOKEN)
        box = sandbox.sandbox
        box.webhooks.trust(str(tls.ca))
        stored: list[float] = []
        box.webhooks.watchers.append(lambda _update, seconds: stored.append(seconds * 1000))
        ports = [proxy.free_port() for _ in range(count)]
        (room.workdir / "nginx").mkdir()
        front = proxy.start_proxy(nginx, room.workdir / "nginx", tls, ports)
        processes = [await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=REPO,
            env=_worker_env(settings, sandbox.base_url, schema, front.url, port),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            for port in ports]
        residents = Residents(sandbox)
        try:
            deadline = time.perf_counter() + STARTUP_TIMEOUT_S
            while box.webhooks.webhook is None:
                if time.perf_counter() > deadline:
                    raise RuntimeError("the workers did not register the webhook")
                await asyncio.sleep(0.1)

            async def resident(user_id: int, count: int) -> list[float]:
                user = {"id": user_id, "first_name": "Cư dân"}
                took: list[float] = []
                for _ in range(count):
                    known = len(residents.bot_messages(user_id))
                    started = time.perf_counter()
                    await box.user_message(user, MESSAGE)
                    try:
                        await residents.wait_reply(user_id, known, timeout=60)
                    except RuntimeError:
                        continue  # counted as lost below
                    took.append((time.perf_counter() - started) * 1000)
                return took

            await asyncio.gather(*(resident(900_000 + i, 2) for i in range(WARM_UP_RESIDENTS)))
            stored.clear()
            users = [800_000 + i for i in range(residents_n)]
            check_before = speed_check()
            cpu_before = [cpu_seconds(p.pid) for p in processes]
            nginx_before = cpu_seconds(front.process.pid)
            postgres_before = postgres_cpu_seconds()
            started = time.perf_counter()
            latencies = await asyncio.gather(*(resident(u, messages) for u in users))
            run.seconds = time.perf_counter() - started
            run.worker_cpu_s = sum(cpu_seconds(p.pid) - before
                                   for p, before in zip(processes, cpu_before, strict=True))
            run.nginx_cpu_s = cpu_seconds(front.process.pid) - nginx_before
            postgres_after = postgres_cpu_seconds()
            if postgres_before is not None and postgres_after is not None:
                run.postgres_cpu_s = postgres_after - postgres_before
            run.check_ms = (check_before, speed_check())
            run.updates = residents_n * messages
            run.answered_ms = [ms for took in latencies for ms in took]
            run.stored_ms = list(stored)
            await asyncio.sleep(1.0)  # late answers would be duplicates: give them a moment
            answers = [len(residents.bot_messages(u)) for u in users]
            run.lost = sum(max(0, messages - n) for n in answers)
            run.duplicated = sum(max(0, n - messages) for n in answers)
            run.handled_rows = await _handled(url, schema)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    await asyncio.wait_for(process.communicate(), 30)
                except TimeoutError:
                    process.kill()
            front.stop()
            await sandbox.close()
    return run


async def _handled(url: str, schema: str | None) -> int:
    db = Database(url, schema=schema)
    try:
        async with db.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(InboxUpdate).where(
                InboxUpdate.status == InboxStatus.DONE)) or 0)
    finally:
        await db.dispose()


async def main(args: argparse.Namespace) -> int:
    found = await scratch.databases("postgresql")
    if not found:
        print("bench-workers needs PostgreSQL (several workers share it); none reachable.")
        print(json.dumps({"bench": "workers", "skipped": "no PostgreSQL"}))
        return 1
    _, url = found[0]
    assert url is not None
    try:
        nginx = proxy.nginx_binary()
    except proxy.NoNginx as why:
        print(f"bench-workers needs nginx: {why}.")
        print(json.dumps({"bench": "workers", "skipped": str(why)}))
        return 1
    residents_n, messages = (40, 5) if args.quick else (args.residents, args.messages)
    one = await run_workers(1, url, nginx, residents_n, messages)
    two = await run_workers(2, url, nginx, residents_n, messages)
    ratio = two.per_s / one.per_s if one.per_s else 0.0
    print(f"{residents_n} residents × {messages} messages ({MESSAGE}), closed loop, through "
          f"nginx (TLS) by webhook, up to {SENDING_CONNECTIONS} calls at once; PostgreSQL; "
          f"{os.cpu_count()} cores")
    print(f"{'workers':>7} {'updates':>7} {'per s':>7} {'CPU ms/upd':>10} {'nginx ms':>8} "
          f"{'PG ms':>6} {'p99 stored':>10} {'p99 answered':>12} {'lost':>5} {'twice':>5} "
          f"{'check ms':>9}")
    for r in (one, two):
        check = "–".join(f"{ms:.0f}" for ms in r.check_ms)
        database = ("–" if r.postgres_cpu_s is None
                    else f"{r.postgres_cpu_s * 1000 / max(1, r.updates):.2f}")
        print(f"{r.workers:>7} {r.updates:>7} {r.per_s:>7.1f} {r.cpu_ms_per_update:>10.2f} "
              f"{r.nginx_cpu_s * 1000 / max(1, r.updates):>8.2f} {database:>6} "
              f"{r.p99(r.stored_ms):>10.0f} {r.p99(r.answered_ms):>12.0f} {r.lost:>5} "
              f"{r.duplicated:>5} {check:>9}")
    print(f"two workers / one: {ratio:.2f} (target ≥ 0.9); CPU ms/upd: all workers' CPU per "
          "update; nginx ms, PG ms: nginx's and PostgreSQL's CPU per update (PG: its processes "
          "on this machine); p99 in ms; check ms: fixed Python work timed before and after (a "
          "slow machine, not a slow bot).")
    lost = one.lost + two.lost
    duplicated = one.duplicated + two.duplicated
    cpu = max(one.cpu_ms_per_update, two.cpu_ms_per_update)
    p99 = max(one.p99(one.answered_ms), two.p99(two.answered_ms))
    met = ratio >= 0.9 and lost == 0 and duplicated == 0
    if args.record:
        recorded.record([recorded.Row(
            "workers (postgresql)",
            f"1 worker {one.per_s:.0f}/s, 2 workers {two.per_s:.0f}/s (×{ratio:.2f}); "
            f"{one.cpu_ms_per_update:.1f}/{two.cpu_ms_per_update:.1f} ms CPU per update; "
            f"p99 stored {one.p99(one.stored_ms):.0f}/{two.p99(two.stored_ms):.0f} ms, "
            f"answered {one.p99(one.answered_ms):.0f}/{two.p99(two.answered_ms):.0f} ms; "
            f"lost {lost}, twice {duplicated}",
            "2 workers ≥ 0.9 × one; 0 lost; 0 twice", met)])
    print(json.dumps({"bench": "workers", "one_per_s": round(one.per_s, 1),
                      "two_per_s": round(two.per_s, 1), "ratio": round(ratio, 2),
                      "cpu_ms_per_update": round(cpu, 2), "p99_ms": round(p99, 1),
                      "stored_p99_ms": round(max(one.p99(one.stored_ms),
                                                 two.p99(two.stored_ms)), 1),
                      "lost": lost, "duplicated": duplicated}))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run, to try it")
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--record", action="store_true",
                        help="write this run's figures into bench/RESULTS.md")
    arguments = parser.parse_args()
    if arguments.record and arguments.quick:
        parser.error("--record takes the full benchmark only (no --quick)")
    sys.exit(run_loop(main(arguments)))
