"""What every service and flow gets handed: settings, database, keys, clock, and per-channel parts.

One `Runtime` per process. It is plain data plus two helpers: `transaction()`, which wakes the
delivery workers of every channel that got outbox rows once the transaction has committed (in
this process and, on PostgreSQL, in every other: `bot.wakeups`), and
`seal/open` shortcuts to the keyring.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import wakeups
from bot.channels.base import Capabilities, Renderer
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.crypto import Keyring
from bot.db import Database
from bot.faults import CrashPoints
from bot.metrics import Metrics

log = logging.getLogger(__name__)

OUTBOX_CHANNELS = "binhyen.outbox_channels"
# of those, the channels whose wake-up already rode on the INSERT that queued them
OUTBOX_SAID = "binhyen.outbox_said"
AFTER_COMMIT = "binhyen.after_commit"


@dataclass
class ChannelParts:
    """What the core may know of a channel: how to render, what it can do, how to link to it."""

    renderer: Renderer
    capabilities: Capabilities
    deep_link: Callable[[str], str | None] = lambda _payload: None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keyring: Keyring
    clock: Clock = field(default_factory=SystemClock)
    channels: dict[str, ChannelParts] = field(default_factory=dict)
    outbox_wakeups: dict[str, asyncio.Event] = field(default_factory=dict)
    faults: CrashPoints = field(default_factory=lambda: CrashPoints(None))
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    # set when the delivery workers run in a separate sender process (`bot.sender_process`)
    wake_elsewhere: Callable[[str], None] | None = None
    metrics: Metrics = field(default_factory=Metrics)  # this process's counters (`/metrics`)
    # names this worker in its wake-ups (`bot.wakeups`); its sender process takes the same
    origin: str = field(default_factory=lambda: secrets.token_hex(6))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work; delivery workers are woken only after it commits (those of other
        processes by a NOTIFY inside it, heard at its COMMIT: `bot.wakeups`)."""
        async with self.db.transaction() as session:
            session.info[OUTBOX_CHANNELS] = set()
            session.info[OUTBOX_SAID] = set()
            session.info[AFTER_COMMIT] = []
            yield session
            touched: set[str] = session.info[OUTBOX_CHANNELS]
            follow_ups: list[Callable[[], Awaitable[Any]]] = session.info[AFTER_COMMIT]
            if unsaid := touched - session.info[OUTBOX_SAID]:
                await wakeups.notify_in(session, self.db, wakeups.OUTBOX, unsaid, self.origin)
        for channel in touched:
            self.wake_delivery(channel)
        for work in follow_ups:
            self.spawn(work())

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run work in the background, tracked so `idle` waits for it; a failure is logged
        when it happens (nobody awaits the task until the process stops)."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Future[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background work failed: %s", type(error).__name__, exc_info=error)

    def wake_delivery(self, channel: str) -> None:
        self.outbox_wakeups.setdefault(channel, asyncio.Event()).set()
        if self.wake_elsewhere is not None:
            self.wake_elsewhere(channel)

    def wakeup_event(self, channel: str) -> asyncio.Event:
        return self.outbox_wakeups.setdefault(channel, asyncio.Event())

    def seal(self, text: str, context: str) -> bytes:
        return self.keyring.encrypt_text(text, context)

    def open(self, blob: bytes, context: str) -> str:
        return self.keyring.decrypt_text(blob, context)

    def digest(self, value: str, purpose: str) -> str:
        return self.keyring.digest(value, purpose)

    def parts(self, channel: str) -> ChannelParts:
        try:
            return self.channels[channel]
        except KeyError:
            raise LookupError(f"channel {channel!r} is not running in this process") from None
