"""`make bench-delivery`: the delivery engine through the sandbox, on 2 cores.

The bot runs as its own process (`binhyen run`, as in production) against a sandbox served
from this process, which also plays the resident and counts what arrives.

(a) one broadcast to 10,000 group chats, limits off on both sides: engine throughput;
(b) one broadcast to 3,000 group chats, the sandbox enforcing Telegram's limits, while a
    resident exchanges a message with the bot every 2 s: achieved rate as a fraction of 30/s,
    429s, lost and duplicated messages, the resident's reply latency, peak memory;
(c) as (b) with the sandbox 10% stricter than the bot's settings: 429s and losses.

Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import results as recorded
from bot.channels.telegram import CAPABILITIES, TelegramRenderer
from bot.clock import utc
from bot.config import Settings
from bot.db import Database
from bot.loop import run_loop
from bot.messages import Outgoing
from bot.models import ChatKind, OutboxMessage, OutboxStatus
from bot.runtime import ChannelParts, Runtime
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.services import broadcasts, people
from bot.services.keys import open_keyring

REPO = Path(__file__).resolve().parent.parent
TOKEN = f"1000000001:{secrets.token_urlsafe(27)}"
RESIDENT = {"id": 880001, "first_name": "Cư dân"}
TEXT = ("Kính gửi bà con: tháng 6 là Tháng hành động phòng, chống ma túy. Thấy dấu hiệu mua "
        "bán, sử dụng ma túy, bà con báo cho Công an xã hoặc nhắn riêng cho Bình Yên nhé.")


@dataclass
class Run:
    name: str
    groups: int
    sent: int = 0
    seconds: float = 0.0
    rate_fraction: float | None = None
    http_429: int = 0
    lost: int = 0
    duplicated: int = 0
    replies_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    resent_after_crash: int = 0

    def p(self, q: float) -> float | None:
        if not self.replies_ms:
            return None
        ordered = sorted(self.replies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def prepare(workdir: Path, sandbox: RunningSandbox, groups: int) -> Settings:
    """A database with `groups` group chats and one broadcast to all of them, queued."""
    settings = Settings(data_dir=workdir, database_url=f"sqlite+aiosqlite:///{workdir}/b.db",
                        key_file=workdir / "keys", _env_file=None)  # type: ignore[call-arg]
    db = Database(settings.db_url)
    await db.migrate()
    rt = Runtime(settings, db, await open_keyring(db, settings.key_file))
    rt.channels["telegram"] = ChannelParts(TelegramRenderer(), CAPABILITIES)
    speaker = {"id": 880000, "first_name": "Tổ trưởng"}
    chats = []
    async with rt.transaction() as session:
        for index in range(groups):
            chat_id = -(10**9) - index
            # a group the bot is in; plain chatter is not delivered to it (privacy mode)
            await sandbox.sandbox.user_message(speaker, "chào cả tổ",
                                               chat={"id": chat_id, "type": "group",
                                                     "title": f"Tổ {index + 1}"})
            chats.append(await people.ensure_chat(session, rt, "telegram", str(chat_id),
                                                  ChatKind.GROUP, f"Tổ {index + 1}"))
        await broadcasts.broadcast(session, rt, Outgoing(TEXT), chats, None, label="bench")
    await db.dispose()
    return settings


def bot_env(settings: Settings, base_url: str, limits_on: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    env.update(
        BINHYEN_TELEGRAM_TOKEN=TOKEN, BINHYEN_TELEGRAM_API_URL=base_url,
        BINHYEN_DATABASE_URL=settings.db_url, BINHYEN_KEY_FILE=str(settings.key_file),
        BINHYEN_DATA_DIR=str(settings.data_dir), BINHYEN_LOG_LEVEL="WARNING", BINHYEN_WEB_PORT="0",
        BINHYEN_POLL_TIMEOUT="5",
    )
    if not limits_on:
        env.update(BINHYEN_TELEGRAM_LIMIT_PER_SECOND="0",
                   BINHYEN_TELEGRAM_LIMIT_GROUP_PER_MINUTE="0",
                   BINHYEN_TELEGRAM_LIMIT_PRIVATE_PER_SECOND="0",
                   BINHYEN_DELIVERY_MAX_IN_FLIGHT="128")
    return env


async def progress(settings: Settings) -> tuple[int, int]:
    db = Database(settings.db_url)
    try:
        async with db.reading() as session:
            waiting = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT])))
            sent = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status == OutboxStatus.SENT))
    finally:
        await db.dispose()
    return int(waiting or 0), int(sent or 0)


async def sent_span(settings: Settings) -> tuple[int, float]:
    db = Database(settings.db_url)
    try:
        async with db.reading() as session:
            row = (await session.execute(
                select(func.count(), func.min(OutboxMessage.sent_at),
                       func.max(OutboxMessage.sent_at))
                .where(OutboxMessage.status == OutboxStatus.SENT))).one()
    finally:
        await db.dispose()
    count, first, last = row
    if not count or first is None:
        return 0, 0.0
    return int(count), (utc(last) - utc(first)).total_seconds()


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def resident_loop(sandbox: RunningSandbox, stop: asyncio.Event, run: Run) -> None:
    """Every 2 s the resident asks for the emergency numbers and waits for the answer."""
    box = sandbox.sandbox
    while not stop.is_set():
        before = len((await _transcript(box, RESIDENT["id"]))["messages"])
        started = time.perf_counter()
        await box.user_message(RESIDENT, "/hotline")
        while not stop.is_set():
            messages = (await _transcript(box, RESIDENT["id"]))["messages"]
            if any(m["from"] == "bot" for m in messages[before:]):
                run.replies_ms.append((time.perf_counter() - started) * 1000)
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(max(0.0, 2.0 - (time.perf_counter() - started)))


async def _transcript(box: Any, chat_id: int) -> dict[str, Any]:
    try:
        return dict(await box.transcript(chat_id))
    except Exception:
        return {"messages": []}


async def one_run(name: str, groups: int, *, limits_on: bool, strictness: float = 1.0,
                  resident: bool = False) -> Run:
    run = Run(name, groups)
    with tempfile.TemporaryDirectory(prefix="binhyen-bench-") as tmp:
        workdir = Path(tmp)
        sandbox = await start_sandbox("127.0.0.1", 0, TOKEN)
        box = sandbox.sandbox
        try:
            if limits_on:
                box.limiter.limits = replace(box.limiter.limits, enabled=True,
                                             strictness=strictness)
            settings = await prepare(workdir, sandbox, groups)
            if resident:
                await box.user_message(RESIDENT, "/start")
            box.stats.clear()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=REPO,
                env=bot_env(settings, sandbox.base_url, limits_on),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            stop = asyncio.Event()
            started = time.perf_counter()
            while sum(box.stats.messages_by_chat.values()) == 0:  # the bot is up and sending
                if time.perf_counter() - started > 120:
                    raise RuntimeError("the bot did not start sending within 2 minutes")
                await asyncio.sleep(0.05)
            talker = asyncio.create_task(resident_loop(sandbox, stop, run)) if resident else None
            while True:
                waiting, _ = await progress(settings)
                if waiting == 0 and time.perf_counter() - started > 1:
                    break
                if time.perf_counter() - started > 900:
                    raise RuntimeError("benchmark did not finish in 15 minutes")
                await asyncio.sleep(0.25)
            stop.set()
            if talker is not None:
                await talker
            run.peak_rss_mb = rss_mb(process.pid)
            process.terminate()
            await process.wait()
            run.sent, run.seconds = await sent_span(settings)
            if run.seconds > 0 and limits_on:
                run.rate_fraction = run.sent / (run.seconds * 30)
            stats = box.stats.to_json()
            run.http_429 = int(stats["http_429"])
            per_chat = stats["messages_by_chat"]
            group_counts = [int(per_chat.get(str(-(10**9) - i), 0)) for i in range(groups)]
            run.lost = sum(1 for c in group_counts if c == 0)
            run.duplicated = sum(c - 1 for c in group_counts if c > 1)
        finally:
            await sandbox.close()
    return run


def table(runs: list[Run]) -> str:
    lines = [f"{'run':<34} {'msgs':>6} {'secs':>7} {'msg/s':>7} {'of 30/s':>8} {'429':>5} "
             f"{'lost':>5} {'dup':>4} {'p99 ms':>7} {'max ms':>7} {'rss MB':>7}"]
    for r in runs:
        rate = r.sent / r.seconds if r.seconds else 0
        frac = f"{r.rate_fraction:.3f}" if r.rate_fraction is not None else "—"
        p99 = f"{r.p(0.99):.0f}" if r.replies_ms else "—"
        top = f"{max(r.replies_ms):.0f}" if r.replies_ms else "—"
        lines.append(f"{r.name:<34} {r.sent:>6} {r.seconds:>7.1f} {rate:>7.1f} {frac:>8} "
                     f"{r.http_429:>5} {r.lost:>5} {r.duplicated:>4} {p99:>7} {top:>7} "
                     f"{r.peak_rss_mb:>7.0f}")
    return "\n".join(lines)


async def main(quick: bool, only: str, record_it: bool = False) -> int:
    scale = 10 if quick else 1
    skipped = Run("(skipped)", 0)
    engine = await one_run("(a) 10,000 groups, limits off", 10_000 // scale,
                           limits_on=False) if "a" in only else skipped
    limited = await one_run("(b) 3,000 groups, Telegram limits", 3_000 // scale,
                            limits_on=True, resident=True) if "b" in only else skipped
    strict = await one_run("(c) 3,000 groups, 10% stricter", 3_000 // scale, limits_on=True,
                           strictness=0.9, resident=True) if "c" in only else skipped
    print(table([engine, limited, strict]))
    print("Targets: engine ≥ 500 msg/s; (b) ≥ 0.95 of 30/s, 0 × 429, 0 lost, 0 duplicated, "
          "reply p99 < 1000 ms; (c) 0 lost, ≤ 10 × 429.")
    result = {
        "bench": "delivery",
        "engine_msgs_per_s": round(engine.sent / engine.seconds, 1) if engine.seconds else 0,
        "limited_rate_fraction": round(limited.rate_fraction or 0, 3),
        "http_429": limited.http_429,
        "lost": limited.lost,
        "duplicated": limited.duplicated,
        "interactive_p99_ms": round(limited.p(0.99) or 0, 1),
        "interactive_max_ms": round(max(limited.replies_ms, default=0), 1),
        "strict_http_429": strict.http_429,
        "strict_lost": strict.lost,
        "peak_rss_mb": round(max(engine.peak_rss_mb, limited.peak_rss_mb), 1),
        "replies_measured": len(limited.replies_ms),
        "median_reply_ms": round(statistics.median(limited.replies_ms), 1)
        if limited.replies_ms else None,
    }
    print(json.dumps(result, ensure_ascii=False))
    if record_it:
        reply_p99 = limited.p(0.99) or 0
        recorded.record([recorded.Row(
            "delivery",
            f"engine {result['engine_msgs_per_s']:,.0f} msg/s (limits off); (b) "
            f"{result['limited_rate_fraction']:.3f} of 30/s, {limited.http_429} × 429, "
            f"{limited.lost} lost, {limited.duplicated} duplicated, reply p99 {reply_p99:.0f} ms; "
            f"(c) {strict.http_429} × 429, {strict.lost} lost; peak {result['peak_rss_mb']:.0f} MB",
            "engine ≥ 500 msg/s; (b) ≥ 0.95 of 30/s, 0 × 429, 0 lost, 0 duplicated, reply p99 "
            "< 1000 ms; (c) 0 lost, ≤ 10 × 429",
            result["engine_msgs_per_s"] >= 500 and result["limited_rate_fraction"] >= 0.95
            and limited.http_429 == 0 and limited.lost == 0 and limited.duplicated == 0
            and reply_p99 < 1000 and strict.lost == 0 and strict.http_429 <= 10)])
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, to try it")
    parser.add_argument("--only", default="abc", help="which runs, e.g. b or ac")
    parser.add_argument("--record", action="store_true",
                        help="write this run's figures into bench/RESULTS.md")
    arguments = parser.parse_args()
    if arguments.record and (arguments.quick or arguments.only != "abc"):
        parser.error("--record takes the full benchmark only (no --quick or --only)")
    sys.exit(run_loop(main(arguments.quick, arguments.only, arguments.record)))
