"""Handles stored updates, each in the transaction that marks it done.

One user's updates are handled strictly in arrival order. On SQLite (one writer anyway) a whole
batch of waiting updates is handled in one transaction, each update in its own savepoint: one
commit for many updates, and a failing update rolls back alone. On PostgreSQL different users
are handled concurrently (bounded by `BINHYEN_WORKERS`), each update in its own transaction
under an advisory lock on its sender, so several processes keep one user's order too: a
process that finds the sender's lock taken (another worker is handling that user's earlier
update) leaves that user's rows for this turn instead of waiting, so workers never queue
behind each other and never take a user's later update before the earlier one commits.

Slow work an update needs (fetching files) is done before the transaction opens. A failing
update is retried, then kept (encrypted) as `failed` and its sender gets an apology — never
silently dropped. An update that is not the shape its platform documents (the channel's parser
raises `inbox_store.Malformed`) is kept (encrypted) as `malformed` at once, logged once and skipped:
no retries, no apology. When the database itself fails (a lock held past the busy timeout, a
lost connection) the update is not to blame: nothing is counted against it, the turn is rolled
back and the error ends the loop, which the supervisor starts again; the update is still
pending. Logs name rows by id, never by content.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import unavailable
from bot.models import InboxStatus, InboxUpdate
from bot.runtime import Runtime
from bot.services import inbox_store
from bot.services.people import seen_day
from scheduler.supervisor import Beat

log = logging.getLogger(__name__)

Handle = Callable[[AsyncSession, dict[str, Any], Any], Awaitable[None]]
Prepare = Callable[[dict[str, Any]], Awaitable[Any]]
NeedsPrepare = Callable[[dict[str, Any]], bool]
GiveUp = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
IDLE_POLL_S = 2.0
# A sender's rows left because another worker held the sender's lock are looked at again this
# soon: that worker holds the lock for one update, and may not know of the later rows (a
# webhook call stored them in this worker), so nobody else would come for them before the
# idle look.
LEFT_RETRY_S = 0.05
BATCH = 50
# A batch holds SQLite's write lock until it commits, so it is kept short for the other writers
# (the sender process gets its turn between batches), but not too short: every commit wakes the
# sender for a few rows and costs a sync to disk. On the tip bench 15 ms cut throughput by a
# third, and 100 ms gave a lower p99 than 50 ms (310–342 ms against 342–804 ms) at the same CPU.
BATCH_SECONDS = 0.1


# A handled update keeps only its key (to recognise a repeat) for INBOX_KEEP_DAYS: its content,
# its sender and any time finer than the day go at once, in the claim itself. Kept, the
# sender's keyed hash and the minute a fully anonymous reporter confirmed would name them to
# whoever holds the key.
CLAIM = (update(InboxUpdate)
         .where(InboxUpdate.id == bindparam("row_id"), InboxUpdate.status == InboxStatus.PENDING)
         .values(status=InboxStatus.DONE, payload_enc=None, sender_ref="",
                 received_at=bindparam("day"), processed_at=bindparam("day"),
                 attempts=InboxUpdate.attempts + 1))
# PostgreSQL: the sender's advisory lock is tried first, in the update's own transaction (held
# until it ends); only under it is the row claimed, so one user's rows are claimed and handled
# one at a time, in order, whichever worker takes them. One round trip says both: whether the
# lock was had, and whether the row was claimed under it (the lock is volatile, so its CTE is
# evaluated once, before the claim that reads it).
_SENDER_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("lock")).label("had")).cte(
    "sender_lock")
_CLAIMED = CLAIM.where(select(_SENDER_LOCK.c.had).scalar_subquery()).returning(
    InboxUpdate.id).cte("claimed")
LOCK_AND_CLAIM = select(_SENDER_LOCK.c.had,
                        select(func.count()).select_from(_CLAIMED).scalar_subquery())


@dataclass
class Waiting:
    row_id: int
    sender: str
    payload: dict[str, Any]
    prepared: Any = None


class InboxProcessor:
    def __init__(
        self,
        rt: Runtime,
        channel: str,
        handle: Handle,
        give_up: GiveUp | None = None,
        prepare: Prepare | None = None,
        needs_prepare: NeedsPrepare | None = None,
    ) -> None:
        self.rt = rt
        self.channel = channel
        self.handle = handle
        self.give_up = give_up
        self.prepare = prepare
        self.needs_prepare = needs_prepare or (lambda _payload: True)
        self._wakeup = asyncio.Event()
        self.busy = False
        self._slots = asyncio.Semaphore(rt.settings.workers)
        self._opened: dict[int, tuple[str, dict[str, Any]]] = {}  # row id → sender, payload
        self._failures = 0  # in this turn
        self._left = 0  # rows of senders another worker was handling, in this turn

    def wake(self) -> None:
        self._wakeup.set()

    @property
    def longest_wait(self) -> float:
        """Seconds between two rounds at most, normally: the idle wait, or a turn fetching
        files (a download may take the request timeout)."""
        return IDLE_POLL_S + self.rt.settings.request_timeout

    async def run(self, stop: asyncio.Event, beat: Beat = lambda: None) -> None:
        while not stop.is_set():
            beat()
            self._wakeup.clear()
            if await self.drain() or self._wakeup.is_set():
                continue
            waiter = asyncio.create_task(self._wakeup.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper},
                               timeout=LEFT_RETRY_S if self._left else IDLE_POLL_S,
                               return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def drain(self) -> bool:
        """Handle what is pending now; True when more may be waiting already: the batch was
        full, cut short, or an update failed (it is tried again). Otherwise what arrives next
        wakes the loop (`wake`: a store in this process, or another worker's wake-up), so an
        empty look after every batch — a round trip per update at a steady trickle — is saved.
        Rows left to another worker that is handling their sender do not count either: they
        are looked at again after LEFT_RETRY_S (that worker may not know of them)."""
        self.busy = True
        self._failures = self._left = 0
        try:
            batch = await self._load()
            if not batch:
                return False
            await self._prepare_all(batch)
            gone_through = len(batch)  # on PostgreSQL: every row, handled or left
            if self.rt.db.is_sqlite:
                gone_through = await self._in_one_transaction(batch)
            else:
                await self._concurrently(batch)
            return len(batch) >= BATCH or gone_through < len(batch) or self._failures > 0
        finally:
            self.busy = False

    async def _load(self) -> list[Waiting]:
        """What waits, oldest first. Payloads decrypted on an earlier turn that did not get to
        them (a batch stops after BATCH_SECONDS) are kept, not decrypted again."""
        async with self.rt.db.reading() as session:
            rows = await inbox_store.pending(session, self.channel, BATCH)
        for row_id, sender, blob in rows:
            if row_id not in self._opened and blob is not None:
                self._opened[row_id] = (sender, inbox_store.open_blob(self.rt, blob))
        ids = [row_id for row_id, _, _ in rows]
        self._opened = {row_id: self._opened[row_id] for row_id in ids if row_id in self._opened}
        return [Waiting(row_id, *self._opened[row_id]) for row_id in ids
                if row_id in self._opened]

    async def _prepare_all(self, batch: list[Waiting]) -> None:
        """Fetch files before any transaction opens, so a resident's 20 MB video never holds
        up everyone else's writes."""
        if self.prepare is None:
            return
        prepare = self.prepare

        async def one(item: Waiting) -> None:
            async with self._slots:
                try:
                    item.prepared = await prepare(item.payload)
                except inbox_store.Malformed:
                    pass  # handling it says so, once
                except Exception as exc:
                    if unavailable(exc):
                        raise
                    log.exception("preparing inbox row %s failed", item.row_id)

        await _all(one(item) for item in batch if self.needs_prepare(item.payload))

    # ---- SQLite: the batch in one transaction, each update in a savepoint -------------------
    async def _in_one_transaction(self, batch: list[Waiting]) -> int:
        """Commit after BATCH_SECONDS at most, so replies and other writers are not held up;
        what did not fit is taken by the next turn. Returns the rows gone through."""
        failures: list[tuple[int, Exception]] = []
        handled = tried = 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self.rt.transaction() as session:
            for item in batch:
                if loop.time() - started > BATCH_SECONDS:
                    break
                tried += 1
                try:
                    async with session.begin_nested():
                        if await self._claim(session, item.row_id):
                            await self.handle(session, item.payload, item.prepared)
                            handled += 1
                except Exception as exc:
                    if unavailable(exc):
                        raise  # the whole turn rolls back; every row is still pending
                    failures.append((item.row_id, exc))
        self.rt.metrics.did(self.channel, handled)
        self.rt.faults.reach("after_handle")
        for row_id, exc in failures:
            await self._failed(row_id, exc)
        return tried

    def _day(self) -> datetime:
        return seen_day(self.rt.clock.now())

    async def _claim(self, session: AsyncSession, row_id: int) -> bool:
        """Mark the row done in this transaction; False if another handler already did."""
        result = await session.execute(CLAIM, {"row_id": row_id, "day": self._day()})
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # ---- PostgreSQL: users in parallel, each update in its own transaction -------------------
    async def _concurrently(self, batch: list[Waiting]) -> None:
        by_sender = [list(group) for _, group in groupby(
            sorted(batch, key=lambda item: (item.sender, item.row_id)),
            key=lambda item: item.sender)]
        await _all(self._one_sender(items) for items in by_sender)

    async def _one_sender(self, items: list[Waiting]) -> None:
        """The sender's rows in order; all left for LEFT_RETRY_S once another worker is found
        handling this sender (taking a later row then could overtake its earlier one)."""
        async with self._slots:
            for item in items:
                if not await self._one(item):
                    self._left += 1
                    return

    async def _one(self, item: Waiting) -> bool:
        """Handle one row under its sender's lock; False when another worker holds the lock."""
        try:
            async with self.rt.transaction() as session:
                locked, claimed = (await session.execute(LOCK_AND_CLAIM, {
                    "lock": self.rt.db.lock_number(item.sender), "row_id": item.row_id,
                    "day": self._day()})).one()
                if not locked:
                    return False
                if claimed:
                    await self.handle(session, item.payload, item.prepared)
            if claimed:
                self.rt.metrics.did(self.channel)
            self.rt.faults.reach("after_handle")
        except Exception as exc:
            if unavailable(exc):
                raise  # rolled back: the row is still pending
            await self._failed(item.row_id, exc)
        return True

    async def _failed(self, row_id: int, exc: Exception) -> None:
        self._failures += 1
        if isinstance(exc, inbox_store.Malformed):
            log.warning("inbox row %s is malformed (%s): kept, not handled", row_id, exc)
        else:
            log.error("inbox row %s failed: %s", row_id, type(exc).__name__, exc_info=exc)
        async with self.rt.transaction() as session:
            row = await session.get(InboxUpdate, row_id)
            if row is None or row.status != InboxStatus.PENDING:
                return
            if isinstance(exc, inbox_store.Malformed):
                inbox_store.mark_malformed(self.rt, row, str(exc))
                return
            gave_up = inbox_store.mark_attempt_failed(self.rt, row, type(exc).__name__)
            if gave_up and self.give_up is not None and row.payload_enc is not None:
                try:
                    async with session.begin_nested():
                        await self.give_up(session, inbox_store.open_payload(self.rt, row))
                except Exception:
                    log.exception("could not tell the sender of inbox row %s", row_id)


async def _all(work: Iterable[Awaitable[None]]) -> None:
    """Run concurrently and let every one finish; then raise the first error, if any (a
    plain gather would return on the first error while the others still run)."""
    results = await asyncio.gather(*work, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
