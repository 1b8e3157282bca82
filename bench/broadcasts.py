"""`make bench-broadcasts`: «✅ Nhà tôi đã nhận» pressed by residents through the sandbox, on
SQLite and (when reachable) PostgreSQL.

The bot runs as its own process (with its sender process, as README recommends on two cores);
this process serves the sandbox and plays the residents.

(a) Messenger limits off on both sides: we measure our engine, not Telegram's 30 messages a
    second. A broadcast goes into `--groups` Telegram group chats; then distinct members of
    those groups (none known to the bot before: each press creates its person) press its ✅:
    - `--burst` of them all at once: acknowledgements handled a second, from the first press
      to the last answer (the toast that stops the button's spinner);
    - `--steady` others at `--rate` a second (the target's 250): p50 and p99 from a press to
      its answer.
    Each is stored exactly once: the acknowledgements in the database must be as many as the
    residents who pressed.
(b) Telegram's limits on: the sandbox refuses like Telegram (30 messages a second, 20 a minute
    into a group, 1 a second into a private chat; 429 with retry_after) and the bot keeps to
    its default limits. A broadcast to `--b-groups` (3,000) group chats is queued; from its
    first message, for `--window` seconds (60), distinct members press its ✅ at `--b-rate`
    (100) a second — only in groups it has reached, at most 20 in each — while `--tips` (90)
    residents, `--tip-rate` (2) a second, file a whole report in their private chats (`--think`,
    1 s, before each step, as bench-tips (b)). Measured: each tip's receipt, from the press
    that sends the report to the receipt in the chat (p50, p99; target p99 < 1 s: the receipt
    goes in the interactive lane, before the broadcast's 3,000 messages), the presses' answers
    (acks/s, p99), how many groups the broadcast reached in the window and any 429. The bot is
    stopped after the window: the rest of the broadcast is not waited for.

Prints a table per part, then one JSON line per database: `acks_per_s` and `ack_p99_ms` are
(a)'s, `receipt_p99_ms` (and the keys starting `b_`) are (b)'s. `check ms` brackets a run with
a fixed piece of Python work (`bench.tips.speed_check`) and `load` gives the machine's load
average: on a shared VM the machine's own speed moves. `--quick` makes both parts small.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select

from bench import results as recorded
from bench import scratch
from bench import tips as tip_bench
from bench.scratch import scratch_database
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

TEXT = ("Kính gửi bà con: tháng 6 là Tháng hành động phòng, chống ma túy. Bà con để ý con em, "
        "thấy điều bất thường thì báo Công an xã.")
FIRST_GROUP = -5_000_000
FIRST_RESIDENT = 800_000
TARGET_PER_S = 250
B_GROUPS, B_RATE, B_WINDOW_S, B_TIPS, TIP_RATE = 3000, 100.0, 60.0, 90, 2.0
THINK_S = 1.0  # a resident's pause before each step of a report
PRESSES_PER_GROUP = 20  # (b): members pressing in one group's chat, at most
RECEIPT_TARGET_MS = 1000
FIRST_MEMBER_B = 900_000
FIRST_TIPSTER = 600_000


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
    async with scratch_database("broadcasts", url) as scratch:
        url, schema, settings = scratch.url, scratch.schema, scratch.settings
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
    if result.stored != result.burst + result.steady:
        raise AssertionError(f"{name}: {result.stored} acknowledgements stored for "
                             f"{result.burst + result.steady} residents")
    return result


@dataclass
class Limited:
    """(b): one database's figures with Telegram's limits on."""

    db: str
    groups: int
    window_s: float = 0.0
    delivered: int = 0  # groups the broadcast reached during the window
    http_429: int = 0
    refused_by: dict[str, int] = field(default_factory=dict)  # the 429s by the limit refusing
    presses: int = 0
    acks_per_s: float = 0.0
    ack_ms: list[float] = field(default_factory=list)
    unanswered: int = 0
    stored: int = 0
    receipts_ms: list[float] = field(default_factory=list)
    receipts_while_sending: int = 0  # receipts that came before the broadcast was through
    requests: dict[str, int] = field(default_factory=dict)  # the bot's, by method, in the window
    bot_cpu_pct: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load before and after
    speed_check_ms: tuple[float, float] = (0.0, 0.0)

    @property
    def met(self) -> bool:
        return bool(self.receipts_ms) and pct(self.receipts_ms, 0.99) < RECEIPT_TARGET_MS


class Rollout:
    """(b): where the broadcast has arrived so far, and its groups' members pressing ✅ there.

    The sandbox tells us each message the bot posts; a group counts as reached when the
    broadcast with its button is in its chat, and only then may its members press. A member
    joins the chat (a greeting the bot, in privacy mode, does not see) just before pressing,
    so the members who press are as many as the reached groups allow and no more."""

    def __init__(self, sandbox: RunningSandbox, groups: int) -> None:
        self.box = sandbox.sandbox
        self.groups = groups
        self._ids = {group_id(index) for index in range(groups)}
        self.arrived: dict[int, tuple[int, float]] = {}  # group chat → (message id, when)
        self.finished = float("inf")  # when the last group got it
        self.pressed: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self._ready: deque[int] = deque()  # reached groups whose members may press again
        self._presses_in: Counter[int] = Counter()
        self._arrival = asyncio.Event()
        self._answer = asyncio.Event()
        self._next_member = FIRST_MEMBER_B
        self.box.post_watchers.append(self._on_post)
        self.box.answer_watchers.append(self._on_answer)

    def _on_post(self, chat_id: int) -> None:
        if chat_id not in self._ids or chat_id in self.arrived:
            return
        chat = self.box._chats[chat_id]  # read-only peek, as `Residents` does
        message = next((m for m in chat.messages.values()
                        if m.from_bot and m.reply_markup), None)
        if message is None:
            return
        self.arrived[chat_id] = (message.message_id, time.perf_counter())
        if len(self.arrived) == self.groups:
            self.finished = time.perf_counter()
        self._ready.append(chat_id)
        self._arrival.set()

    def _on_answer(self, query_id: str) -> None:
        self.answered[query_id] = time.perf_counter()
        self._answer.set()

    async def first_arrival(self, timeout: float = 120) -> float:
        """When the bot, started, put the broadcast into its first group."""
        if not self.arrived:
            await asyncio.wait_for(self._arrival.wait(), timeout)
        return min(when for _, when in self.arrived.values())

    async def press(self, chat: int) -> None:
        number = self._next_member
        self._next_member += 1
        user = {"id": number, "first_name": f"Thành viên {number - FIRST_MEMBER_B}"}
        await self.box.user_message(user, "Đã đọc", chat={
            "id": chat, "type": "group", "title": f"Tổ dân cư số {FIRST_GROUP - chat + 1}"})
        started = time.perf_counter()
        pressed = await self.box.press_button(user["id"], chat, self.arrived[chat][0],
                                              button=ACK_LABEL)
        self.pressed[str(pressed["callback_query_id"])] = started

    async def press_for(self, until: float, rate: float, per_group: int) -> None:
        """Presses at `rate` a second until `until`, round the reached groups, at most
        `per_group` in each; when every reached group has had its presses, the next one waits
        for the broadcast to reach another group."""
        started, count = time.perf_counter(), 0
        while (due := started + count / rate) < until:
            if due > time.perf_counter():
                await asyncio.sleep(due - time.perf_counter())
            while not self._ready:
                self._arrival.clear()
                try:
                    await asyncio.wait_for(self._arrival.wait(), until - time.perf_counter())
                except TimeoutError:
                    return
            chat = self._ready.popleft()
            await self.press(chat)
            self._presses_in[chat] += 1
            if self._presses_in[chat] < per_group:
                self._ready.append(chat)
            count += 1

    async def all_answered(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while any(q not in self.answered for q in self.pressed):
            self._answer.clear()
            try:
                await asyncio.wait_for(self._answer.wait(), deadline - time.perf_counter())
            except TimeoutError:
                return


async def file_tip(residents: Residents, index: int, delay: float,
                   think: float) -> tuple[float, float]:
    """A resident starts /baotin after `delay`, answers each step after `think` seconds and
    sends it: the milliseconds from the sending press to the receipt, and when it came."""
    await asyncio.sleep(delay)
    user = {"id": FIRST_TIPSTER + index, "first_name": f"Người báo tin {index}"}
    await residents.to_review(user, think)
    await asyncio.sleep(think)
    took = await residents.confirm(user)
    return took, time.perf_counter()


async def run_limited(name: str, url: str | None, args: argparse.Namespace) -> Limited:
    result = Limited(name, args.b_groups)
    async with scratch_database("broadcasts_b", url) as scratch:
        schema, settings = scratch.schema, scratch.settings
        await tip_bench.prepare(settings, schema)  # the demo commune and its two officers
        await prepare(settings, schema, args.b_groups)
        sandbox = await start_sandbox("127.0.0.1", 0, TOKEN)
        box = sandbox.sandbox
        box.limiter.limits = replace(box.limiter.limits, enabled=True)  # refuse like Telegram
        speaker = {"id": FIRST_MEMBER_B - 1, "first_name": "Tổ trưởng"}
        for index in range(args.b_groups):  # the bot is in every group's chat
            await box.user_message(speaker, "Chào cả nhà", chat={
                "id": group_id(index), "type": "group", "title": f"Tổ dân cư số {index + 1}"})
        for officer in tip_bench.OFFICERS:
            await box.user_message(officer, "/start")
        rollout = Rollout(sandbox, args.b_groups)
        residents = Residents(sandbox)
        load_before = os.getloadavg()[0]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=REPO,
            env=bot_env(settings, sandbox.base_url, schema, limits=True),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            start = await rollout.first_arrival()
            box.stats.clear()
            check_before = speed_check()
            bot_cpu = cpu_seconds(process.pid)
            end = start + args.window
            gap = 1 / args.tip_rate
            tips = [asyncio.create_task(file_tip(residents, i, i * gap, args.think))
                    for i in range(args.tips)]
            await rollout.press_for(end, args.b_rate, PRESSES_PER_GROUP)
            if time.perf_counter() < end:
                await asyncio.sleep(end - time.perf_counter())
            result.bot_cpu_pct = (cpu_seconds(process.pid) - bot_cpu) * 100 / args.window
            result.window_s = args.window
            result.delivered = sum(1 for _, when in rollout.arrived.values() if when <= end)
            result.http_429 = box.stats.http_429
            result.refused_by = dict(box.stats.refused_by)
            result.requests = {method: count for method, count in box.stats.requests.items()
                               if method != "getUpdates"}
            receipts = await asyncio.wait_for(asyncio.gather(*tips), 300)
            result.receipts_ms = [took for took, _ in receipts]
            result.receipts_while_sending = sum(1 for _, at in receipts if at < rollout.finished)
            await rollout.all_answered(30)
            ids = list(rollout.pressed)
            answered = [q for q in ids if q in rollout.answered]
            result.presses, result.unanswered = len(ids), len(ids) - len(answered)
            result.ack_ms = [(rollout.answered[q] - rollout.pressed[q]) * 1000 for q in answered]
            if answered:
                took = (max(rollout.answered[q] for q in answered)
                        - min(rollout.pressed[q] for q in ids))
                result.acks_per_s = len(answered) / took
            result.speed_check_ms = (check_before, speed_check())
            result.load = (load_before, os.getloadavg()[0])
            result.stored = await stored(scratch.url, schema)
        finally:
            process.terminate()
            await process.communicate()
            await sandbox.close()
    if result.unanswered == 0 and result.stored != result.presses:
        raise AssertionError(f"{name}: {result.stored} acknowledgements stored for "
                             f"{result.presses} members who pressed")
    return result


async def main(args: argparse.Namespace) -> int:
    databases = await scratch.databases(args.db)
    results: dict[str, Result] = {}
    limited: dict[str, Limited] = {}
    for name, url in databases:
        if "a" in args.only:
            results[name] = await run_db(name, url, args)
        if "b" in args.only:
            limited[name] = await run_limited(name, url, args)
    if results:
        print_a(list(results.values()), args)
    if limited:
        print_b(list(limited.values()), args)
    for name, _ in databases:
        a, b = results.get(name), limited.get(name)
        print(json.dumps({
            "bench": "broadcasts", "db": name,
            "acks_per_s": round(a.acks_per_s, 1) if a else None,
            "ack_p99_ms": round(a.pct(0.99), 1) if a else None,
            "receipt_p99_ms": round(pct(b.receipts_ms, 0.99), 1) if b else None,
            "receipt_p50_ms": round(pct(b.receipts_ms, 0.5), 1) if b else None,
            "tips": len(b.receipts_ms) if b else None,
            "b_acks_per_s": round(b.acks_per_s, 1) if b else None,
            "b_ack_p99_ms": round(pct(b.ack_ms, 0.99), 1) if b else None,
            "b_groups_reached": b.delivered if b else None,
            "b_http_429": b.http_429 if b else None,
            "b_429_by": b.refused_by if b else None,
            "b_requests_per_s": {m: round(n / b.window_s, 1) for m, n in b.requests.items()}
            if b else None}))
    if args.record:
        recorded.record([recorded.Row(
            f"broadcasts ({name})", figures(results[name], limited[name], args),
            f"(a) ≥ {TARGET_PER_S} acks/s, p99 < 1 s; (b) receipt p99 < 1 s",
            results[name].met and limited[name].met) for name, _ in databases])
    return 0


def print_a(results: list[Result], args: argparse.Namespace) -> None:
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
    print(f"Targets on 2 cores: ≥ {TARGET_PER_S} acknowledgements/s, p99 press→answer < 1 s.")


def print_b(results: list[Limited], args: argparse.Namespace) -> None:
    print(f"(b) a broadcast to {args.b_groups} Telegram groups, Telegram's limits on in the "
          f"sandbox and the bot; for {args.window:g} s from its first message, members press "
          f"its ✅ at {args.b_rate:g} a second where it has arrived, and {args.tips} residents "
          f"start a report {args.tip_rate:g} a second ({args.think:g} s before each step)")
    print(f"{'db':<11} {'reached':>7} {'msg/s':>6} {'429':>4} {'presses':>7} {'acks/s':>7} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'stored':>7} {'tips':>5} {'sending':>7} "
          f"{'rcpt p50':>8} {'rcpt p99':>8} {'max ms':>7} {'bot CPU':>7} {'load':>9} "
          f"{'check ms':>9}")
    for r in results:
        check = "–".join(f"{ms:.0f}" for ms in r.speed_check_ms)
        load = "–".join(f"{x:.1f}" for x in r.load)
        unanswered = f" ({r.unanswered} unanswered)" if r.unanswered else ""
        print(f"{r.db:<11} {r.delivered:>7} {r.delivered / r.window_s:>6.1f} {r.http_429:>4} "
              f"{r.presses:>7} {r.acks_per_s:>7.1f} {pct(r.ack_ms, 0.5):>7.0f} "
              f"{pct(r.ack_ms, 0.99):>7.0f} {r.stored:>7} {len(r.receipts_ms):>5} "
              f"{r.receipts_while_sending:>7} {pct(r.receipts_ms, 0.5):>8.0f} "
              f"{pct(r.receipts_ms, 0.99):>8.0f} {max(r.receipts_ms, default=0):>7.0f} "
              f"{r.bot_cpu_pct:>6.0f}% {load:>9} {check:>9}{unanswered}")
    for r in results:
        spent = ", ".join(f"{method} {count / r.window_s:.1f}"
                          for method, count in sorted(r.requests.items(), key=lambda x: -x[1]))
        print(f"{r.db}: the bot's requests a second in the window: {spent}")
        if r.refused_by:
            print(f"{r.db}: 429s by the limit that refused: "
                  + ", ".join(f"{scope} {count}" for scope, count in sorted(r.refused_by.items())))
    print("reached, msg/s: groups the broadcast reached in the window (the bot's 30 requests "
          "a second are shared with the answers to pressed buttons, the residents' conversations "
          "and officers' cards); 429: refusals by the sandbox in the window. presses: members' "
          "presses in the window (at most 20 in each reached group); acks/s, p50, p99: from the "
          "first press to the last answer, and press to answer; stored: acknowledgements in the "
          "database. "
          "tips: receipts measured, «sending» of them while the broadcast was still going out; "
          "rcpt: from the press that sends a report to its receipt. bot CPU: both bot "
          "processes, % of one core over the window; load: the machine's 1-minute load "
          "average before and after.")
    print(f"Target on 2 cores: receipt p99 < {RECEIPT_TARGET_MS} ms.")


def figures(a: Result, b: Limited, args: argparse.Namespace) -> str:
    return (f"(a) {a.acks_per_s:.1f} acks/s ({a.burst} at once, bot CPU "
            f"{a.bot_cpu_ms_per_ack:.1f} ms each); at {args.rate:g}/s p50 {a.pct(0.5):.0f} ms, "
            f"p99 {a.pct(0.99):.0f} ms; {a.stored} stored for {a.burst + a.steady}; check ms "
            + "–".join(f"{ms:.0f}" for ms in a.speed_check_ms)
            + f"; (b) {b.groups} groups, limits on, {b.window_s:g} s: {b.delivered} reached, "
            f"{b.http_429} × 429; {b.presses} presses, {b.acks_per_s:.1f} acks/s, p99 "
            f"{pct(b.ack_ms, 0.99):.0f} ms; {len(b.receipts_ms)} tips at {args.tip_rate:g}/s, "
            f"receipt p50 {pct(b.receipts_ms, 0.5):.0f} ms, p99 {pct(b.receipts_ms, 0.99):.0f} "
            f"ms; load {b.load[0]:.1f}–{b.load[1]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, to try it")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help="only this database")
    parser.add_argument("--only", default="ab", help="which parts, e.g. a or b")
    parser.add_argument("--groups", type=int, default=30, help="(a) group chats the broadcast "
                        "goes to")
    parser.add_argument("--burst", type=int, help="(a) members pressing at once (default 3000)")
    parser.add_argument("--steady", type=int, help="(a) members pressing at --rate (default "
                        "3000)")
    parser.add_argument("--rate", type=float, default=TARGET_PER_S,
                        help=f"(a) presses a second in the steady part (default {TARGET_PER_S})")
    parser.add_argument("--b-groups", type=int, help=f"(b) group chats the broadcast goes to "
                        f"(default {B_GROUPS})")
    parser.add_argument("--b-rate", type=float, default=B_RATE,
                        help=f"(b) presses a second (default {B_RATE})")
    parser.add_argument("--window", type=float, help=f"(b) seconds of presses (default "
                        f"{B_WINDOW_S})")
    parser.add_argument("--tips", type=int, help=f"(b) residents filing a tip (default {B_TIPS})")
    parser.add_argument("--tip-rate", type=float, default=TIP_RATE,
                        help=f"(b) residents starting a report a second (default {TIP_RATE})")
    parser.add_argument("--think", type=float, default=THINK_S,
                        help=f"(b) a resident's seconds before each step (default {THINK_S:g})")
    parser.add_argument("--record", action="store_true",
                        help="write this run's figures into bench/RESULTS.md")
    args = parser.parse_args()
    if args.record and (args.quick or args.burst or args.steady or args.db or args.think != THINK_S
                        or args.rate != TARGET_PER_S or args.groups != 30 or args.only != "ab"
                        or args.b_groups or args.b_rate != B_RATE or args.window or args.tips
                        or args.tip_rate != TIP_RATE):
        parser.error("--record takes the full benchmark only (no --quick, --db, --only or "
                     "size flags)")
    if not set(args.only) <= {"a", "b"} or not args.only:
        parser.error("--only takes a, b or ab")
    default = 300 if args.quick else 3000
    args.burst = args.burst or default
    args.steady = args.steady or default
    args.b_groups = args.b_groups or (900 if args.quick else B_GROUPS)
    args.window = args.window or (20 if args.quick else B_WINDOW_S)
    args.tips = args.tips or (20 if args.quick else B_TIPS)
    sys.exit(run_loop(main(args)))
