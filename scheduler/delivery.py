"""The delivery worker: sends outbox rows of one channel through that channel's `Sender`.

A row is marked in flight before its request and sent (payload purged, platform message id
kept) after. Interactive rows go before broadcast rows. Errors follow the platform's word:
wait on 429, back off on 5xx and timeouts, follow a moved chat, mark a gone chat inactive,
fail a rejected request with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from sqlalchemy import or_, select, update

from bot.channels.base import ChatGone, ChatMoved, Rejected, RetryLater, Sender, Transient
from bot.models import Chat, OutboxMessage, OutboxStatus
from bot.runtime import Runtime
from bot.services import outbox, people

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
IDLE_POLL_S = 5.0
BATCH = 50


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter, capped at five minutes."""
    return random.uniform(0, min(300.0, 2.0 ** attempt))


class DeliveryWorker:
    def __init__(self, rt: Runtime, sender: Sender) -> None:
        self.rt = rt
        self.sender = sender
        self.channel = sender.name
        self.busy = False

    async def run(self, stop: asyncio.Event) -> None:
        wakeup = self.rt.wakeup_event(self.channel)
        while not stop.is_set():
            wakeup.clear()
            sent = await self.drain()
            if sent:
                continue
            waiter = asyncio.create_task(wakeup.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=IDLE_POLL_S,
                               return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def drain(self) -> int:
        self.busy = True
        try:
            done = 0
            while True:
                rows = await self._claim()
                if not rows:
                    return done
                for row_id in rows:
                    await self._deliver(row_id)
                    done += 1
        finally:
            self.busy = False

    async def _claim(self) -> list[int]:
        now = self.rt.clock.now()
        async with self.rt.db.reading() as session:
            query = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.channel == self.channel,
                    OutboxMessage.status == OutboxStatus.QUEUED,
                    or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(BATCH)
            )
            return list((await session.scalars(query)).all())

    async def _deliver(self, row_id: int) -> None:
        async with self.rt.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None or row.status != OutboxStatus.QUEUED:
                return
            chat = await session.get(Chat, row.chat_id)
            assert chat is not None
            if not chat.active:
                row.status, row.error, row.payload_enc = OutboxStatus.FAILED, "chat inactive", None
                return
            row.status = OutboxStatus.IN_FLIGHT
            row.attempts += 1
            request = outbox.open_payload(self.rt, row)
            chat_id = people.chat_external_id(self.rt, chat)
        try:
            message_id = await self.sender.send(chat_id, request)
        except RetryLater as exc:
            await self._requeue(row_id, exc.seconds, str(exc), count_attempt=False)
        except Transient as exc:
            await self._retry_or_fail(row_id, str(exc))
        except ChatMoved as exc:
            await self._moved(row_id, exc.new_chat_id)
        except ChatGone as exc:
            await self._gone(row_id, str(exc))
        except Rejected as exc:
            await self._finish(row_id, OutboxStatus.FAILED, None, str(exc))
        else:
            await self._finish(row_id, OutboxStatus.SENT, message_id, None)

    async def _finish(self, row_id: int, status: str, message_id: str | None,
                      error: str | None) -> None:
        now = self.rt.clock.now()
        async with self.rt.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=status, platform_message_id=message_id, payload_enc=None,
                        sent_at=now if status == OutboxStatus.SENT else None,
                        error=error[:500] if error else None)
            )
        if status == OutboxStatus.FAILED:
            log.warning("outbox row %s failed: %s", row_id, error)

    async def _requeue(self, row_id: int, seconds: float, reason: str, *,
                       count_attempt: bool) -> None:
        async with self.rt.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.status = OutboxStatus.QUEUED
            row.not_before = self.rt.clock.now() + timedelta(seconds=seconds)
            row.error = reason[:500]
            if not count_attempt:
                row.attempts -= 1

    async def _retry_or_fail(self, row_id: int, reason: str) -> None:
        async with self.rt.db.reading() as session:
            row = await session.get(OutboxMessage, row_id)
            attempts = row.attempts if row else MAX_ATTEMPTS
        if attempts >= MAX_ATTEMPTS:
            await self._finish(row_id, OutboxStatus.FAILED, None, f"gave up: {reason}")
        else:
            await self._requeue(row_id, backoff(attempts), reason, count_attempt=True)

    async def _moved(self, row_id: int, new_chat_id: str) -> None:
        async with self.rt.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            chat = await session.get(Chat, row.chat_id)
            assert chat is not None
            await people.move_chat(session, self.rt, chat, new_chat_id)
            row.status = OutboxStatus.QUEUED
            row.attempts -= 1

    async def _gone(self, row_id: int, reason: str) -> None:
        async with self.rt.transaction() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            chat = await session.get(Chat, row.chat_id)
            assert chat is not None
            chat.active, chat.inactive_reason = False, reason[:200]
            row.status, row.error, row.payload_enc = OutboxStatus.FAILED, reason[:500], None
