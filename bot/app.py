"""Wires one running bot: database, keys, engine, channels, and their workers.

`App` is what `binhyen run` starts and what the end-to-end tests start, in one event loop with
the sandbox. `idle()` reports whether any work is in flight (the sandbox's settle call uses it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from bot.channels.telegram import TelegramChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.faults import CrashPoints
from bot.flows import Engine, Registry
from bot.logs import REDACTOR
from bot.models import OutboxMessage, OutboxStatus
from bot.runtime import Runtime
from bot.services import inbox
from bot.services.keys import open_keyring
from handlers import build_registry
from scheduler.delivery import DeliveryWorker
from scheduler.inbox import InboxProcessor

log = logging.getLogger(__name__)


@dataclass
class TelegramEndpoint:
    token: str
    api_url: str
    proxy: str | None = None


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    telegram: TelegramEndpoint | None = None
    registry: Registry = field(default_factory=build_registry)

    rt: Runtime = field(init=False)
    engine: Engine = field(init=False)
    channel: TelegramChannel | None = field(init=False, default=None)
    processors: list[InboxProcessor] = field(init=False, default_factory=list)
    workers: list[DeliveryWorker] = field(init=False, default_factory=list)
    stop_event: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(init=False, default_factory=list)

    async def prepare(self, db: Database | None = None) -> Runtime:
        """Migrate, open the keys, build the runtime; no network yet."""
        db = db or Database(self.settings.db_url)
        await db.migrate()
        keyring = await open_keyring(db, self.settings.key_file)
        self.rt = Runtime(self.settings, db, keyring, self.clock,
                          faults=CrashPoints(self.settings.crash_at))
        self.engine = Engine(self.rt, self.registry)
        if self.telegram is not None:
            REDACTOR.add(self.telegram.token)
            self.channel = TelegramChannel(
                self.rt, self.engine, token=self.telegram.token,
                api_url=self.telegram.api_url, proxy=self.telegram.proxy,
            )
            self.rt.channels[self.channel.name] = self.channel.parts()
            processor = InboxProcessor(self.rt, self.channel.name, self.channel.handle_stored,
                                       self.channel.apologise)
            self.channel.on_stored = processor.wake
            self.processors.append(processor)
            self.workers.append(DeliveryWorker(self.rt, self.channel))
        return self.rt

    async def start(self) -> None:
        """Start the workers, then connect and poll (connecting retries with backoff)."""
        for processor in self.processors:
            self.tasks.append(asyncio.create_task(processor.run(self.stop_event)))
        for worker in self.workers:
            self.tasks.append(asyncio.create_task(worker.run(self.stop_event)))
        if self.channel is not None:
            self.tasks.append(asyncio.create_task(self._connect_and_poll(self.channel)))

    async def _connect_and_poll(self, channel: TelegramChannel) -> None:
        commands = [(c.name, c.description) for c in self.registry.commands.values() if c.public]
        if await channel.connect(commands, self.stop_event):
            await channel.poll_forever(self.stop_event)

    async def idle(self) -> bool:
        """True when no update waits to be handled and no message waits to be sent now."""
        if any(p.busy for p in self.processors) or any(w.busy for w in self.workers):
            return False
        async with self.rt.db.reading() as session:
            if await inbox.count_pending(session):
                return False
            due = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT]),
                    or_(OutboxMessage.not_before.is_(None),
                        OutboxMessage.not_before <= self.rt.clock.now()),
                )
            )
        return not due

    async def stop(self) -> None:
        self.stop_event.set()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        if self.channel is not None:
            await self.channel.close()
        await self.rt.db.dispose()

    async def run_forever(self) -> None:
        await self.start()
        await self.stop_event.wait()
