"""Handles stored updates, one user at a time, each in the transaction that marks it done.

Different users are handled concurrently (bounded by `BINHYEN_WORKERS`); one user's updates are
handled strictly in arrival order. On PostgreSQL an advisory lock on the sender keeps that true
across several processes. A failing update is retried, then kept (encrypted) as `failed` and its
sender gets an apology — never silently dropped. Logs name rows by id, never by content.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from itertools import groupby
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import InboxStatus, InboxUpdate
from bot.runtime import Runtime
from bot.services import inbox

log = logging.getLogger(__name__)

Handle = Callable[[AsyncSession, dict[str, Any], Any], Awaitable[None]]
Prepare = Callable[[dict[str, Any]], Awaitable[Any]]
GiveUp = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
IDLE_POLL_S = 2.0


class InboxProcessor:
    def __init__(
        self,
        rt: Runtime,
        channel: str,
        handle: Handle,
        give_up: GiveUp | None = None,
        prepare: Prepare | None = None,
    ) -> None:
        self.rt = rt
        self.channel = channel
        self.handle = handle
        self.give_up = give_up
        self.prepare = prepare
        self._wakeup = asyncio.Event()
        self.busy = False
        self._slots = asyncio.Semaphore(rt.settings.workers)

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wakeup.clear()
            processed = await self.drain()
            if processed:
                continue
            waiter = asyncio.create_task(self._wakeup.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=IDLE_POLL_S,
                               return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def drain(self) -> int:
        """Handle everything pending now; returns how many rows were taken."""
        self.busy = True
        try:
            async with self.rt.db.reading() as session:
                rows = await inbox.pending(session, self.channel)
                batch = [(row.id, row.sender_ref) for row in rows]
            if not batch:
                return 0
            by_sender = [
                [row_id for row_id, _ in group]
                for _, group in groupby(sorted(batch, key=lambda r: (r[1], r[0])),
                                        key=lambda r: r[1])
            ]
            await asyncio.gather(*(self._one_sender(ids) for ids in by_sender))
            return len(batch)
        finally:
            self.busy = False

    async def _one_sender(self, row_ids: list[int]) -> None:
        async with self._slots:
            for row_id in row_ids:
                await self._one(row_id)

    async def _one(self, row_id: int) -> None:
        try:
            prepared = await self._prepare(row_id)
            async with self.rt.transaction() as session:
                row = await session.get(InboxUpdate, row_id)
                if row is None or row.status != InboxStatus.PENDING:
                    return
                await self.rt.db.lock_key(session, row.sender_ref)
                await session.refresh(row)
                if row.status != InboxStatus.PENDING:
                    return
                payload = inbox.open_payload(self.rt, row)
                await self.handle(session, payload, prepared)
                inbox.mark_done(self.rt, row)
            self.rt.faults.reach("after_handle")
        except Exception as exc:
            log.exception("inbox row %s failed: %s", row_id, type(exc).__name__)
            await self._failed(row_id, type(exc).__name__)

    async def _prepare(self, row_id: int) -> Any:
        """Slow work an update needs (downloading files) happens here, before the handling
        transaction opens, so one resident's 20 MB video never holds up everyone's writes."""
        if self.prepare is None:
            return None
        async with self.rt.db.reading() as session:
            row = await session.get(InboxUpdate, row_id)
            if row is None or row.status != InboxStatus.PENDING:
                return None
            payload = inbox.open_payload(self.rt, row)
        return await self.prepare(payload)

    async def _failed(self, row_id: int, reason: str) -> None:
        async with self.rt.transaction() as session:
            row = await session.get(InboxUpdate, row_id)
            if row is None or row.status != InboxStatus.PENDING:
                return
            gave_up = inbox.mark_attempt_failed(self.rt, row, reason)
            if gave_up and self.give_up is not None:
                try:
                    async with session.begin_nested():
                        await self.give_up(session, inbox.open_payload(self.rt, row))
                except Exception:
                    log.exception("could not tell the sender of inbox row %s", row_id)
