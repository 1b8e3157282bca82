"""Wires one running bot: database, keys, engine, the messengers, their workers and the
scheduler (the small web server — webhooks, evidence pages, health — is `bot.web`).

The messengers come from `bot.channels.registry`, by name: those the settings name, or the
endpoints the caller gives. The app knows them only as `Channel`s.

`App` is what `binhyen run` starts and what the end-to-end tests start, in one event loop with
the sandbox. `idle()` reports whether any work is in flight (the sandbox's settle call uses it).
Every long-running loop runs under the `Supervisor`: an error is logged and the loop starts
again, and `health()` says which loop is down or late (`/healthz`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import wakeups
from bot.channels.base import Channel, Endpoint, Transient, WebhookRefused, pause
from bot.channels.registry import channel_type, configured
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database, Presence
from bot.faults import CrashPoints
from bot.flows import Engine, Registry
from bot.logs import REDACTOR
from bot.runtime import Runtime
from bot.services import inbox_store
from bot.services.keys import open_keyring
from handlers import build_registry
from scheduler.delivery import DeliveryWorker
from scheduler.inbox_processor import InboxProcessor
from scheduler.jobs import DUE_JOBS
from scheduler.lease import LeaseKeeper, new_holder_id
from scheduler.supervisor import Beat, Health, Supervisor
from scheduler.tick import DueFn, Ticker

log = logging.getLogger(__name__)

# How long a loop may go without coming round before it counts as stuck: a few of its longest
# normal waits, and never under a minute (a busy database may hold any loop for its timeout).
ALLOWANCE_FACTOR = 3
MIN_ALLOWANCE_S = 60.0
WEBHOOK_BACKOFF_MAX_S = 60.0


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


def allowance(longest_wait: float) -> timedelta:
    return timedelta(seconds=max(MIN_ALLOWANCE_S, ALLOWANCE_FACTOR * longest_wait))


@dataclass
class App:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    # the messengers to run, by name (`bot.channels.registry`); None: those the settings name
    endpoints: dict[str, Endpoint] | None = None
    registry: Registry = field(default_factory=build_registry)
    due_jobs: dict[str, DueFn] = field(default_factory=lambda: dict(DUE_JOBS))
    run_scheduler: bool = True
    receive: bool = True  # poll and handle updates (False in the sender process)
    deliver: bool = True  # run the delivery workers (False when a sender process does)

    rt: Runtime = field(init=False)
    engine: Engine = field(init=False)
    channels: dict[str, Channel] = field(init=False, default_factory=dict)
    processors: list[InboxProcessor] = field(init=False, default_factory=list)
    workers: list[DeliveryWorker] = field(init=False, default_factory=list)
    stop_event: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    ticker: Ticker = field(init=False)
    holder: str = field(init=False, default_factory=new_holder_id)
    supervisor: Supervisor = field(init=False)
    poll_leases: dict[str, LeaseKeeper] = field(init=False, default_factory=dict)
    # where each platform that calls us is asked to (`use_webhooks`), and which did register
    webhook_urls: dict[str, str] = field(init=False, default_factory=dict)
    registered: set[str] = field(init=False, default_factory=set)
    _presences: dict[str, Presence] = field(init=False, default_factory=dict)
    _connected: set[str] = field(init=False, default_factory=set)
    _once: list[asyncio.Task[None]] = field(init=False, default_factory=list)
    _stopped: bool = field(init=False, default=False)

    async def prepare(self, db: Database | None = None) -> Runtime:
        """Migrate (or, where `binhyen migrate` is its own step, check the schema is current),
        open the keys, build the runtime and the channels; no network yet."""
        given = db
        db = db or Database(self.settings.db_url, schema=self.settings.database_schema,
                            concurrency=self.settings.workers,
                            busy_timeout_s=self.settings.sqlite_busy_timeout)
        try:
            await db.ready(migrate=self.settings.migrates_itself)
            keyring = await open_keyring(db, self.settings.key_file)
        except BaseException:
            if given is None:
                await db.dispose()
            raise
        self.rt = Runtime(self.settings, db, keyring, self.clock,
                          faults=CrashPoints(self.settings.crash_at))
        self.engine = Engine(self.rt, self.registry)
        endpoints = configured(self.settings) if self.endpoints is None else self.endpoints
        for name, where in endpoints.items():
            REDACTOR.add(where.token)
            self._add(channel_type(name).build(self.rt, self.engine, where))
        self.ticker = Ticker(self.rt, self.due_jobs, holder=self.holder)
        self.supervisor = Supervisor(self.clock, self.stop_event,
                                     on_restart=self.rt.metrics.restarted)
        return self.rt

    def _add(self, channel: Channel) -> None:
        self.channels[channel.name] = channel
        self.rt.channels[channel.name] = channel.parts()
        processor = InboxProcessor(self.rt, channel.name, channel.handle_stored,
                                   channel.apologise, channel.prepare, channel.needs_prepare)
        # updates were stored: this process handles them (what a poller stored also woke the
        # other workers, in the store itself; a webhook's calls are spread by the proxy)
        channel.on_stored = processor.wake
        if self.receive:
            self.processors.append(processor)
        if self.deliver:
            self.workers.append(DeliveryWorker(self.rt, channel, channel.limits(),
                                               holder=self.holder))

    def _woken(self, kind: str, name: str) -> None:
        """A wake-up from another worker (`bot.wakeups`)."""
        if kind == wakeups.OUTBOX:
            self.rt.wake_delivery(name)
        elif kind == wakeups.INBOX:
            for processor in self.processors:
                if processor.channel == name:
                    processor.wake()

    def _wake_everything(self) -> None:
        for processor in self.processors:
            processor.wake()
        for name in self.channels:
            self.rt.wake_delivery(name)

    async def start(self) -> None:
        """Start the workers, then connect and poll (connecting retries with backoff), each
        under the supervisor."""
        if not self.rt.db.is_sqlite:
            listener = wakeups.Listener(self.rt.db, self._woken, self.rt.origin)
            self.supervisor.start("listen", allowance(wakeups.CHECK_EVERY_S),
                                  lambda beat: listener.run(self.stop_event, beat,
                                                            self._wake_everything))
        for processor in self.processors:
            self.supervisor.start(f"inbox:{processor.channel}", allowance(processor.longest_wait),
                                  lambda beat, p=processor: p.run(self.stop_event, beat))
        for worker in self.workers:
            self.supervisor.start(f"deliver:{worker.channel}", allowance(worker.longest_wait),
                                  lambda beat, w=worker: w.run(self.stop_event, beat))
        for channel in self.channels.values() if self.receive else []:
            if channel.webhook:
                # the platform calls us instead: connecting (checking the token) is all
                self._once.append(asyncio.create_task(self._connect_once(channel)))
                continue
            self.poll_leases[channel.name] = LeaseKeeper(
                self.rt, f"poll:{channel.name}",
                timedelta(seconds=self.settings.lease_ttl_seconds), self.holder)
            self.supervisor.start(f"poll:{channel.name}", allowance(channel.longest_wait),
                                  lambda beat, c=channel: self._connect_and_poll(c, beat))
        if self.run_scheduler:
            self.supervisor.add("tick", allowance(self.settings.tick_seconds))
            self.ticker.start(self._tick)
        for name in self.supervisor.loops:
            self.rt.metrics.watch(name)  # shown from the start, at 0

    async def _connect_once(self, channel: Channel) -> None:
        """A platform that calls us: connect, then register the webhook (`use_webhooks`),
        trying again while the platform cannot be reached; a refusal is logged, once."""
        try:
            if not await channel.connect(self.stop_event):
                return
            url = self.webhook_urls.get(channel.name)
            if url is not None:
                await self._register(channel, url)
        except Exception:
            log.exception("connecting to %s failed", channel.name)

    async def _register(self, channel: Channel, url: str) -> None:
        presence = Presence(self.rt.db, f"webhook:{channel.name}")
        self._presences[channel.name] = presence
        await presence.enter()  # waits while a last worker is removing the webhook
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                await channel.use_webhook(url)
                self.registered.add(channel.name)
                return
            except WebhookRefused as refused:
                log.error("%s (BINHYEN_PUBLIC_URL=%s); the bot receives nothing from it",
                          refused, self.settings.public_url)
                return
            except Transient as exc:
                log.warning("%s unreachable to register the webhook (%s); retrying in %.0f s",
                            channel.name, exc, delay)
                await pause(self.stop_event, delay)
                delay = min(delay * 2, WEBHOOK_BACKOFF_MAX_S)

    async def _connect_and_poll(self, channel: Channel, beat: Beat) -> None:
        """Only the holder of the channel's poll lease polls (one poller per bot). The lease
        keeper outlives a restart of this loop, so a crash does not give the lease away."""
        if channel.name not in self._connected:
            if not await channel.connect(self.stop_event):
                return
            self._connected.add(channel.name)
        await channel.poll_forever(self.stop_event, self.poll_leases[channel.name], beat)

    async def _tick(self) -> None:
        """APScheduler's interval job: a tick, as a round of the supervised loop "tick"."""
        await self.supervisor.round("tick", self.ticker.tick)

    def health(self) -> Health:
        """Which supervised loops are down or late (`/healthz`)."""
        return self.supervisor.health()

    async def idle(self) -> bool:
        """True when no update waits to be handled, no webhook is being registered and nothing
        can be sent before the clock moves (rows held back by rate limits or backoff wait for
        time, not for us)."""
        if any(p.busy for p in self.processors) or not all(w.idle for w in self.workers):
            return False
        if not all(task.done() for task in self._once):
            return False
        if self.supervisor.restarting:
            return False
        if self.rt.background:
            return False
        async with self.rt.db.reading() as session:
            return not await inbox_store.count_pending(session)

    def next_work_at(self) -> datetime | None:
        """The earliest moment a waiting worker has something to send (for fake-clock tests)."""
        times = [w.pending_at for w in self.workers if w.idle and w.pending_at is not None]
        return min(times) if times else None

    async def stop(self) -> None:
        """Stop everything, once: first the webhooks (the last worker serving one removes it,
        so the platform keeps updates meanwhile), then the loops, the senders, the database."""
        if self._stopped:
            return
        self._stopped = True
        for task in self._once:
            task.cancel()
        await asyncio.gather(*self._once, return_exceptions=True)
        for name, presence in self._presences.items():
            await self._closing(f"the {name} webhook", self._leave(name, presence))
        self.stop_event.set()
        if self.rt.background:
            await asyncio.gather(*self.rt.background, return_exceptions=True)
        if self.run_scheduler:
            await self._closing("the tick", self.ticker.stop())
        await self.supervisor.close()
        for worker in self.workers:
            await self._closing(f"deliver:{worker.channel}", worker.close())
        for name, lease in self.poll_leases.items():
            await self._closing(f"poll:{name}", lease.release())
        for channel in self.channels.values():
            await channel.close()
        await self.rt.db.dispose()

    @staticmethod
    async def _closing(what: str, work: Awaitable[None]) -> None:
        """Stopping goes on whatever one part says, but what it says is logged."""
        try:
            await work
        except Exception:
            log.exception("stopping %s failed", what)

    async def _leave(self, name: str, presence: Presence) -> None:
        async with presence.leaving() as last:
            if name not in self.registered:
                return
            if last:
                await self.channels[name].drop_webhook()
            else:
                log.info("%s webhook left registered: other workers still receive it", name)

    def use_webhooks(self, public_url: str, path: Callable[[str], str]) -> None:
        """Before `start`: each platform that calls us is asked, once connected, to call
        `{public_url}{path(name)}` (the web server must be listening by then)."""
        for channel in self.channels.values():
            if channel.webhook:
                self.webhook_urls[channel.name] = public_url.rstrip("/") + path(channel.name)
