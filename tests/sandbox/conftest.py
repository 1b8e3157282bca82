"""Fixtures of the sandbox tests: a served sandbox, an HTTP client and an aiogram Bot for
it, and the same on a fake clock (`clock` moves time, nothing sleeps); `zl` and
`zalo_timed` are clients of the Zalo emulator served beside it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.clock import FakeClock
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.sandbox.telegram import DEFAULT_TOKEN
from bot.sandbox.zalo import DEFAULT_ZALO_TOKEN
from tests.sandbox.client import Tg, Zl

C = TypeVar("C", bound=Tg)


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


@asynccontextmanager
async def serving(client: type[C], **options: Any) -> AsyncIterator[C]:
    """A sandbox started with `options` and a `client` (Tg or Zl) of it, closed after."""
    running = await start_sandbox(**options)
    try:
        async with aiohttp.ClientSession() as http:
            yield client(http, running)
    finally:
        await running.close()


@pytest.fixture
async def timed(clock: FakeClock) -> AsyncIterator[Tg]:
    """A client of a sandbox that reads the fake `clock`."""
    async with serving(Tg, clock=lambda: clock.now().timestamp()) as tg:
        yield tg


@pytest.fixture
async def zl() -> AsyncIterator[Zl]:
    """A client of the Zalo emulator of a sandbox served with a Zalo token."""
    async with serving(Zl, zalo_token=DEFAULT_ZALO_TOKEN) as client:
        yield client


@pytest.fixture
async def zalo_timed(clock: FakeClock) -> AsyncIterator[Zl]:
    """The same, reading the fake `clock`."""
    options = {"zalo_token": DEFAULT_ZALO_TOKEN, "clock": lambda: clock.now().timestamp()}
    async with serving(Zl, **options) as client:
        yield client
