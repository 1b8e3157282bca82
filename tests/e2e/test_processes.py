"""The bot as a real process: crash safety (SIGKILL between fetching and handling), an
unreachable Bot API at start-up, and `binhyen run` with no token serving the web chat."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database
from bot.models import InboxStatus, InboxUpdate, OutboxMessage, OutboxStatus
from bot.sandbox.server import start_sandbox
from bot.services import meta
from tests.harness import TOKEN

pytestmark = pytest.mark.slow
BINHYEN = [sys.executable, "-m", "bot.cli"]
REPO = Path(__file__).resolve().parents[2]


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    env.update(
        BINHYEN_DATABASE_URL=settings.db_url,
        BINHYEN_KEY_FILE=str(settings.key_file),
        BINHYEN_DATA_DIR=str(settings.data_dir),
        BINHYEN_POLL_TIMEOUT="1",
        BINHYEN_LEASE_TTL_SECONDS="2",
        BINHYEN_LOG_LEVEL="INFO",
        BINHYEN_WEB_PORT="0",  # the bot's web server (health) always runs; any free port
    )
    env.update(extra)
    return env


async def _spawn(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *BINHYEN, *args, env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )


async def _stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    return output.decode()


async def _until(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition another process brings about (there is no in-process settle)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def sandbox() -> AsyncIterator[object]:
    running = await start_sandbox(host="127.0.0.1", port=0, token=TOKEN)
    yield running
    await running.close()


async def _post(base: str, path: str, payload: dict[str, object]) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.post(f"{base}/control/{path}",
                                                          json=payload) as response:
        return dict(await response.json())


async def _bot_texts(base: str, chat_id: int) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(
        f"{base}/control/transcript", params={"chat_id": str(chat_id)}
    ) as response:
        body = await response.json()
    return [m["text"] for m in body["messages"] if m["from"] == "bot"]


@pytest.mark.parametrize("point", ["after_fetch", "after_store", "after_handle"])
async def test_sigkill_between_fetch_and_handling_loses_and_repeats_nothing(
    sandbox, settings: Settings, point: str  # type: ignore[no-untyped-def]
) -> None:
    base = sandbox.base_url
    users = [5001, 5002, 5003]
    env = _env(settings, BINHYEN_TELEGRAM_TOKEN=TOKEN, BINHYEN_TELEGRAM_API_URL=base)
    crashing = await _spawn({**env, "BINHYEN_CRASH_AT": point}, "run")
    for user in users:
        await _post(base, "message", {"user": {"id": user, "first_name": f"U{user}"},
                                      "text": "/hotline"})
    await asyncio.wait_for(crashing.wait(), timeout=60)
    assert crashing.returncode == -signal.SIGKILL
    if point != "after_handle":
        for user in users:
            assert await _bot_texts(base, user) == []

    restarted = await _spawn(env, "run")
    db = Database(settings.db_url)

    async def everything_sent() -> bool:
        async with db.reading() as session:
            done = await session.scalar(select(func.count()).select_from(InboxUpdate).where(
                InboxUpdate.status == InboxStatus.DONE))
            open_rows = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                             .where(OutboxMessage.status != OutboxStatus.SENT))
        # a delivered reply leaves no row behind: the transcripts say they went
        sent = [await _bot_texts(base, user) for user in users]
        return done == len(users) and open_rows == 0 and all(sent)

    try:
        await _until(everything_sent)
    finally:
        log = await _stop(restarted)
        await db.dispose()
    for user in users:
        replies = await _bot_texts(base, user)
        assert len(replies) == 1 and "113" in replies[0], (user, replies, log[-2000:])
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


async def test_unreachable_bot_api_is_retried_then_works(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = _env(settings, BINHYEN_TELEGRAM_TOKEN=TOKEN, BINHYEN_TELEGRAM_API_URL=base)
    process = await _spawn(env, "run")
    assert process.stdout is not None
    seen: list[str] = []

    async def said_unreachable() -> bool:
        line = (await process.stdout.readline()).decode()  # type: ignore[union-attr]
        seen.append(line)
        return "Bot API unreachable" in line

    await _until(said_unreachable)
    assert process.returncode is None, "the bot must not crash when the API is unreachable"
    running = await start_sandbox(host="127.0.0.1", port=port, token=TOKEN)
    try:
        await _post(base, "message", {"user": {"id": 6001, "first_name": "X"}, "text": "/help"})

        async def answered() -> bool:
            return bool(await _bot_texts(base, 6001))

        await _until(answered, timeout=60)
    finally:
        output = "".join(seen) + await _stop(process)
        await running.close()
    assert TOKEN not in output and TOKEN.split(":")[1] not in output


async def test_make_run_without_token_serves_the_web_chat(settings: Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await _spawn(_env(settings, BINHYEN_SANDBOX_PORT=str(port)), "run")
    assert process.stdout is not None
    lines: list[str] = []

    async def ready() -> bool:
        line = (await process.stdout.readline()).decode()  # type: ignore[union-attr]
        lines.append(line)
        return "Ctrl+C để dừng" in line

    try:
        await _until(ready)
        output = "".join(lines)
        assert "Mở trang trò chuyện thử:  http://127.0.0.1:" in output, output
        # a product's console: no library chatter at the default level
        assert "alembic" not in output and "apscheduler" not in output, output
        token = re.search(r"Cán bộ công an xã \(Trần Thị Bình\): /start (\w+)", output)
        assert token, output
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http, http.get(f"{base}/") as page:
            html = await page.text()
        assert page.status == 200 and "Bình Yên" in html
        await _post(base, "message", {"user": {"id": 2001, "first_name": "Bình"},
                                      "text": f"/start {token.group(1)}"})

        async def redeemed() -> bool:
            return any(t.startswith("Xong!") for t in await _bot_texts(base, 2001))

        await _until(redeemed)
    finally:
        await _stop(process)


async def _metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
async def test_sender_process_sends_and_is_started_again_when_killed(
    sandbox, settings: Settings  # type: ignore[no-untyped-def]
) -> None:
    base = sandbox.base_url
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        web_port = free.getsockname()[1]
    env = _env(settings, BINHYEN_TELEGRAM_TOKEN=TOKEN, BINHYEN_TELEGRAM_API_URL=base,
               BINHYEN_SENDER_PROCESS="true", BINHYEN_WEB_PORT=str(web_port))
    process = await _spawn(env, "run")

    async def sent_twice() -> bool:
        sent = (await _metrics(web_port)).get(
            ("binhyen_sends_total", (("messenger", "telegram"), ("outcome", "ok"))), 0)
        return sent >= 2

    def answered(user: int):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            return any("113" in t for t in await _bot_texts(base, user))
        return check

    try:
        await _post(base, "message", {"user": {"id": 7001, "first_name": "A"},
                                      "text": "/hotline"})
        await _until(answered(7001), timeout=60)
        senders = _children(process.pid)
        assert len(senders) == 1
        assert "send" in Path(f"/proc/{senders[0]}/cmdline").read_text().split("\0")
        os.kill(senders[0], signal.SIGKILL)
        await _post(base, "message", {"user": {"id": 7002, "first_name": "B"},
                                      "text": "/hotline"})
        await _until(answered(7002), timeout=60)  # a new sender, after the old lease expired
        restarted = _children(process.pid)
        assert len(restarted) == 1 and restarted != senders
        # /metrics of the parent shows the children's sends (both of them: the killed one's
        # counts stay) and the restart of the sender process
        await _until(sent_twice, timeout=30)
        figures = await _metrics(web_port)
        assert figures[("binhyen_loop_restarts_total", (("loop", "sender-process"),))] == 1
        assert figures[("binhyen_updates_received_total", (("messenger", "telegram"),))] == 2
    finally:
        log = await _stop(process)
    assert "the sender process exited" in log, log[-2000:]
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    # the new sender answered 7002 once; 7001's answer may have been sent but not yet recorded
    # when its sender was killed: only such a row, requeued and counted as resent, goes twice
    assert len(await _bot_texts(base, 7002)) == 1
    db = Database(settings.db_url)
    async with db.reading() as session:
        # the count a new sender keeps of rows it requeued (delivered rows themselves are gone)
        resent = await meta.get(session, "delivery.resent.telegram")
    await db.dispose()
    assert 1 <= len(await _bot_texts(base, 7001)) <= 1 + int(resent or 0)
    with pytest.raises(ProcessLookupError):  # the sender stops with the bot
        os.kill(restarted[0], 0)
