"""Wires one running bot: database, keys, engine, the messengers, their workers, the scheduler,
and the small web server (Zalo webhook, evidence pages).

`App` is what `binhyen run` starts and what the end-to-end tests start, in one event loop with
the sandbox. `idle()` reports whether any work is in flight (the sandbox's settle call uses it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.telegram import TelegramChannel
from bot.channels.zalo import ZaloChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.faults import CrashPoints
from bot.flows import Engine, Registry
from bot.logs import REDACTOR
from bot.runtime import ChannelParts, Runtime
from bot.services import inbox
from bot.services.keys import open_keyring
from handlers import build_registry
from scheduler.delivery import DeliveryWorker
from scheduler.inbox import InboxProcessor
from scheduler.lease import LeaseKeeper, new_holder_id
from scheduler.limits import Limits
from scheduler.tick import Ticker

log = logging.getLogger(__name__)


class Messenger(Protocol):
    """What the app needs of a channel plug-in."""

    name: str
    on_stored: Any

    def parts(self) -> ChannelParts: ...

    async def connect(self, stop: asyncio.Event) -> bool: ...

    async def poll_forever(self, stop: asyncio.Event, lease: LeaseKeeper) -> None: ...

    def needs_prepare(self, payload: dict[str, Any]) -> bool: ...

    async def prepare(self, payload: dict[str, Any]) -> Any: ...

    async def handle_stored(self, session: AsyncSession, payload: dict[str, Any],
                            prepared: Any = None) -> None: ...

    async def apologise(self, session: AsyncSession, payload: dict[str, Any]) -> None: ...

    async def send(self, chat_id: str, request: Any) -> str | None: ...

    async def close(self) -> None: ...


def tune_garbage_collector() -> None:
    """Put what start-up built (modules, aiogram's pydantic models, SQLAlchemy mappers: about
    280,000 objects) beyond the garbage collector, and collect young objects less often.

    Frozen, start-up's objects are not walked again by every full collection (200 ms pauses
    every few seconds under load on the tip bench). The thresholds: each update allocates
    thousands of short-lived objects (ORM rows, statements, pydantic models), and with
    Python's default of a young collection every 700 the receiver spent 5 % of its CPU in
    the collector on the tip bench (164 young, 15 middle and one 40 ms full collection in
    300 tips); at 10,000 it was 2 young collections, 35 ms in all, the longest 18 ms."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


@dataclass
class Endpoint:
    """Where a messenger's Bot API is and the token for it."""

    token: str
    api_url: str
    proxy: str | None = None


TelegramEndpoint = Endpoint


def telegram_limits(settings: Settings) -> Limits:
    return Limits(
        global_per_second=settings.telegram_limit_per_second,
        group_per_minute=settings.telegram_limit_group_per_minute,
        private_per_second=settings.telegram_limit_private_per_second,
        margin=settings.rate_margin,
    )


def zalo_limits(settings: Settings) -> Limits:
    return Limits(
        global_per_second=settings.zalo_limit_per_second,
        group_per_minute=0,
        private_per_second=settings.zalo_limit_private_per_second,
        margin=settings.rate_margin,
    )


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    telegram: Endpoint | None = None
    zalo: Endpoint | None = None
    registry: Registry = field(default_factory=build_registry)
    run_scheduler: bool = True
    zalo_webhook: bool = False
    receive: bool = True  # poll and handle updates (False in the sender process)
    deliver: bool = True  # run the delivery workers (False when a sender process does)

    rt: Runtime = field(init=False)
    engine: Engine = field(init=False)
    channels: list[Messenger] = field(init=False, default_factory=list)
    processors: list[InboxProcessor] = field(init=False, default_factory=list)
    workers: list[DeliveryWorker] = field(init=False, default_factory=list)
    stop_event: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(init=False, default_factory=list)
    ticker: Ticker = field(init=False)
    holder: str = field(init=False, default_factory=new_holder_id)

    @property
    def channel(self) -> TelegramChannel | None:
        """The Telegram channel, if running (most tests drive it)."""
        return next((c for c in self.channels if isinstance(c, TelegramChannel)), None)

    @property
    def zalo_channel(self) -> ZaloChannel | None:
        return next((c for c in self.channels if isinstance(c, ZaloChannel)), None)

    async def prepare(self, db: Database | None = None) -> Runtime:
        """Migrate, open the keys, build the runtime and the channels; no network yet."""
        db = db or Database(self.settings.db_url, schema=self.settings.database_schema,
                            concurrency=self.settings.workers)
        await db.migrate()
        keyring = await open_keyring(db, self.settings.key_file)
        self.rt = Runtime(self.settings, db, keyring, self.clock,
                          faults=CrashPoints(self.settings.crash_at))
        self.engine = Engine(self.rt, self.registry)
        if self.telegram is not None:
            REDACTOR.add(self.telegram.token)
            commands = [(c.name, c.description) for c in self.registry.commands.values()
                        if c.public]
            self._add(TelegramChannel(self.rt, self.engine, token=self.telegram.token,
                                      api_url=self.telegram.api_url, proxy=self.telegram.proxy,
                                      commands=commands), telegram_limits(self.settings))
        if self.zalo is not None:
            REDACTOR.add(self.zalo.token)
            self._add(ZaloChannel(self.rt, self.engine, token=self.zalo.token,
                                  api_url=self.zalo.api_url), zalo_limits(self.settings))
        self.ticker = Ticker(self.rt, self.registry.due, holder=self.holder)
        return self.rt

    def _add(self, channel: Messenger, limits: Limits) -> None:
        self.channels.append(channel)
        self.rt.channels[channel.name] = channel.parts()
        processor = InboxProcessor(self.rt, channel.name, channel.handle_stored,
                                   channel.apologise, channel.prepare, channel.needs_prepare)
        channel.on_stored = processor.wake
        if self.receive:
            self.processors.append(processor)
        if self.deliver:
            self.workers.append(DeliveryWorker(self.rt, channel, limits, holder=self.holder))

    async def start(self) -> None:
        """Start the workers, then connect and poll (connecting retries with backoff)."""
        for processor in self.processors:
            self.tasks.append(asyncio.create_task(processor.run(self.stop_event)))
        for worker in self.workers:
            self.tasks.append(asyncio.create_task(worker.run(self.stop_event)))
        for channel in self.channels if self.receive else []:
            self.tasks.append(asyncio.create_task(self._connect_and_poll(channel)))
        if self.run_scheduler:
            self.ticker.start()

    async def _connect_and_poll(self, channel: Messenger) -> None:
        """Only the holder of the channel's poll lease polls (one poller per bot); with a
        webhook the platform calls us instead."""
        if not await channel.connect(self.stop_event):
            return
        if isinstance(channel, ZaloChannel) and self.zalo_webhook:
            return
        lease = LeaseKeeper(self.rt, f"poll:{channel.name}",
                            timedelta(seconds=self.settings.lease_ttl_seconds), self.holder)
        try:
            await channel.poll_forever(self.stop_event, lease)
        finally:
            with contextlib.suppress(Exception):
                await lease.release()

    async def idle(self) -> bool:
        """True when no update waits to be handled and nothing can be sent before the clock
        moves (rows held back by rate limits or backoff wait for time, not for us)."""
        if any(p.busy for p in self.processors) or not all(w.idle for w in self.workers):
            return False
        if self.rt.background:
            return False
        async with self.rt.db.reading() as session:
            return not await inbox.count_pending(session)

    def next_work_at(self) -> datetime | None:
        """The earliest moment a waiting worker has something to send (for fake-clock tests)."""
        times = [w.pending_at for w in self.workers if w.idle and w.pending_at is not None]
        return min(times) if times else None

    async def stop(self) -> None:
        self.stop_event.set()
        if self.rt.background:
            await asyncio.gather(*self.rt.background, return_exceptions=True)
        if self.run_scheduler:
            await self.ticker.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        for channel in self.channels:
            await channel.close()
        await self.rt.db.dispose()

    async def run_forever(self) -> None:
        await self.start()
        await self.stop_event.wait()
