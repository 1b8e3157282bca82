"""Three `binhyen run` workers on one PostgreSQL database behind nginx (the shipped site, TLS with
a throwaway certificate), both messengers by webhook, and a burst of residents writing at once:
every update is handled once, each resident's answers come in the order they wrote, and when
the worker holding the leases is SIGKILLed in the middle nothing is lost and its leases are
taken over within the lease time.

Runs in the PostgreSQL pass only (several workers need a database several processes share), and
only where nginx is or can be installed (else skipped in one line, as `tests.proxy` says)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database
from bot.models import InboxStatus, InboxUpdate, Lease, Meta, OutboxMessage, OutboxStatus
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.sandbox.zalo_state import zalo_user_id
from tests import proxy
from tests.harness import TOKEN, ZALO_TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.pg]
REPO = Path(__file__).resolve().parents[2]
LEASE_TTL_S = 2.0
# what each resident writes, in this order: four commands with four different answers
COMMANDS = ("/start", "/hotline", "/help", "/vaitro")
RESIDENTS = 20  # per messenger
NAME = "Bình"
ZALO_SECRET = "zalo-webhook-secret-for-the-workers-test"


class Messenger:
    """One emulated messenger: how a resident writes, what the bot answered them."""

    def __init__(self, running: RunningSandbox, name: str) -> None:
        self.name = name
        self.emulator: Any = running.sandbox if name == "telegram" else running.zalo

    def user(self, n: int) -> Any:
        return 7_000_000 + n if self.name == "telegram" else zalo_user_id(f"worker-{n}")

    async def say(self, n: int, text: str) -> None:
        if self.name == "telegram":
            await self.emulator.user_message(user={"id": self.user(n), "first_name": NAME},
                                             text=text)
        else:
            await self.emulator.user_message(user={"id": self.user(n), "display_name": NAME},
                                             text=text)

    async def answers(self, n: int) -> list[str]:
        try:
            said = await self.emulator.transcript(self.user(n))
        except Exception:  # no chat yet
            return []
        return [m["text"] or "" for m in said["messages"] if m["from"] == "bot"]


def _env(settings: Settings, schema: str, sandbox: RunningSandbox, public_url: str, port: int
         ) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    env.update(
        BINHYEN_DATABASE_URL=settings.db_url, BINHYEN_DATABASE_SCHEMA=schema,
        BINHYEN_KEY_FILE=str(settings.key_file), BINHYEN_DATA_DIR=str(settings.data_dir),
        BINHYEN_TELEGRAM_TOKEN=TOKEN, BINHYEN_TELEGRAM_API_URL=sandbox.base_url,
        BINHYEN_ZALO_TOKEN=ZALO_TOKEN, BINHYEN_ZALO_API_URL=sandbox.zalo_base_url,
        BINHYEN_ZALO_WEBHOOK_SECRET=ZALO_SECRET,
        BINHYEN_PUBLIC_URL=public_url, BINHYEN_WEB_PORT=str(port),
        BINHYEN_LEASE_TTL_SECONDS=str(LEASE_TTL_S), BINHYEN_TICK_SECONDS="0.5",
        BINHYEN_WORKERS="4", BINHYEN_LOG_LEVEL="INFO",
    )
    return env


async def _until(check, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    """Wait for a condition the workers bring about; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not await check():
        if loop.time() - started > timeout:
            raise AssertionError(f"{what}: not reached in {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return loop.time() - started


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(host="127.0.0.1", port=0, token=TOKEN, zalo_token=ZALO_TOKEN)
    yield running
    await running.close()


async def test_three_workers_behind_nginx_lose_and_repeat_nothing_when_one_is_killed(
        sandbox: RunningSandbox, settings: Settings, db: Database, db_kind: str,
        tmp_path: Path) -> None:
    if db_kind != "postgres" or db.schema is None:
        pytest.skip("several workers share a PostgreSQL database: this runs in its pass")
    try:
        nginx = proxy.nginx_binary()
    except proxy.NoNginx as why:
        pytest.skip(f"{why}: the workers are not tested behind nginx")
    tls = proxy.throwaway_tls(tmp_path)
    sandbox.sandbox.webhooks.trust(str(tls.ca))
    assert sandbox.zalo is not None
    sandbox.zalo.webhooks.trust(str(tls.ca))
    ports = [proxy.free_port() for _ in range(3)]
    (tmp_path / "nginx").mkdir()
    front = proxy.start_proxy(nginx, tmp_path / "nginx", tls, ports)
    workers: dict[int, asyncio.subprocess.Process] = {}
    logs = {port: tmp_path / f"worker-{port}.log" for port in ports}
    messengers = [Messenger(sandbox, "telegram"), Messenger(sandbox, "zalo")]
    try:
        for port in ports:
            with logs[port].open("wb") as out:
                workers[port] = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "run", cwd=REPO, stdout=out,
                    stderr=asyncio.subprocess.STDOUT,
                    env=_env(settings, db.schema, sandbox, front.url, port))

        async def webhooks_set() -> bool:
            return all(m.emulator.webhooks.webhook is not None for m in messengers)

        await _until(webhooks_set, 60, "both webhooks registered through nginx")
        for m in messengers:
            assert m.emulator.webhooks.webhook.url.startswith(front.url)

        # the answers one resident gets, alone: what every resident must get, in this order
        for m in messengers:
            for text in COMMANDS:
                await m.say(0, text)

        async def all_answered(count: int) -> bool:
            return all([len(await m.answers(n)) >= len(COMMANDS)
                        for m in messengers for n in range(count)])

        await _until(lambda: all_answered(1), 60, "the first resident's answers")
        await _until(lambda: _settled(db), 30, "the first resident's turn finished")
        expected = {m.name: await m.answers(0) for m in messengers}

        # the burst: everyone writes their four messages; the sandbox sends them in parallel,
        # one resident's in order
        for text in COMMANDS:
            for n in range(1, RESIDENTS + 1):
                for m in messengers:
                    await m.say(n, text)
        total = RESIDENTS * len(COMMANDS) * len(messengers)

        async def a_third_answered() -> bool:
            got = sum([len(await m.answers(n)) for m in messengers
                       for n in range(1, RESIDENTS + 1)])
            return got >= total // 3

        await _until(a_third_answered, 60, "a third of the answers")
        held = await _leases(db)
        victim_port = max(ports, key=lambda port: sum(
            f":{workers[port].pid}:" in holder for holder in held.values()))
        victim = workers[victim_port]
        taken = {name for name, holder in held.items() if f":{victim.pid}:" in holder}
        assert taken, f"no worker holds a lease: {held}"
        victim.send_signal(signal.SIGKILL)
        await victim.wait()

        async def taken_over() -> bool:
            now = await _leases(db)
            return all(f":{victim.pid}:" not in now.get(name, "") for name in taken)

        took = await _until(taken_over, 30, f"the leases {sorted(taken)} taken over")
        await _until(lambda: all_answered(RESIDENTS + 1), 120, "every resident answered")
        await _until(lambda: _settled(db), 60, "every update handled, every answer sent")
        answers = {m.name: [await m.answers(n) for n in range(1, RESIDENTS + 1)]
                   for m in messengers}
        inbox = await _inbox(db)
        resent = await _resent(db)
        webhook_gave_up = [m.emulator.webhooks.given_up for m in messengers]
    finally:
        for process in workers.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in workers.values():
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        front.stop()

    # every update stored once and handled once, none failed, none given up by a platform
    assert inbox == {InboxStatus.DONE: total + len(COMMANDS) * len(messengers)}, inbox
    assert webhook_gave_up == [0, 0]
    # each resident's answers in the order they wrote; the only repeats are messages the
    # killed sender had in flight (the outbox resends those, and only those)
    repeats = 0
    for name, per_resident in answers.items():
        for got in per_resident:
            deduplicated = [a for i, a in enumerate(got) if i == 0 or a != got[i - 1]]
            repeats += len(got) - len(deduplicated)
            assert deduplicated == expected[name], (name, got, expected[name])
    assert repeats <= resent, (repeats, resent)
    # a lease is renewed every third of its time and expires a lease time after that: taken
    # over within the lease time, plus the third a waiting worker may take to look again
    # (and a margin for a busy machine)
    assert took < LEASE_TTL_S * 4 / 3 + 2, took
    log = "".join(path.read_text(errors="replace") for path in logs.values())
    assert TOKEN not in log and ZALO_TOKEN not in log and ZALO_SECRET not in log


async def _leases(db: Database) -> dict[str, str]:
    async with db.reading() as session:
        return {name: holder for name, holder in (await session.execute(
            select(Lease.name, Lease.holder))).all()}


async def _inbox(db: Database) -> dict[str, int]:
    async with db.reading() as session:
        return {status: count for status, count in (await session.execute(
            select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status))).all()}


async def _resent(db: Database) -> int:
    async with db.reading() as session:
        values = (await session.scalars(select(Meta.value).where(
            Meta.key.like("delivery.resent.%")))).all()
    return sum(int(value) for value in values)


async def _settled(db: Database) -> bool:
    async with db.reading() as session:
        pending = await session.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.PENDING))
        unsent = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status != OutboxStatus.SENT))
    return not pending and not unsent
