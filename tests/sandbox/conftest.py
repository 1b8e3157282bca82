"""Fixtures of the sandbox tests: a served sandbox, an HTTP client and an aiogram Bot for
it, and the same on a fake clock (`clock` moves time, nothing sleeps)."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.clock import FakeClock
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.sandbox.telegram import DEFAULT_TOKEN
from tests.sandbox.client import Tg


@pytest.fixture
async def running() -> AsyncIterator[RunningSandbox]:
    sandbox = await start_sandbox()
    try:
        yield sandbox
    finally:
        await sandbox.close()


@pytest.fixture
async def tg(running: RunningSandbox) -> AsyncIterator[Tg]:
    async with aiohttp.ClientSession() as http:
        yield Tg(http, running)


@pytest.fixture
async def bot(running: RunningSandbox) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(running.base_url))
    bot = Bot(DEFAULT_TOKEN, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def timed(clock: FakeClock) -> AsyncIterator[Tg]:
    """A client of a sandbox that reads the fake `clock`."""
    running = await start_sandbox(clock=lambda: clock.now().timestamp())
    try:
        async with aiohttp.ClientSession() as http:
            yield Tg(http, running)
    finally:
        await running.close()
