"""Database leases: exactly one process sends for a channel, polls a bot, or ticks.

A lease has a holder, an epoch that grows on every change of holder, and an expiry the holder
keeps pushing forward. A holder that dies stops renewing; once its lease expires another
process takes over with the next epoch — which is how the delivery worker knows which rows a
dead sender left in flight.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Lease
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Grant:
    epoch: int
    took_over_from: int | None


class LeaseKeeper:
    """Acquire and renew one named lease for this process."""

    def __init__(self, rt: Runtime, name: str, ttl: timedelta, holder: str) -> None:
        self.rt = rt
        self.name = name
        self.ttl = ttl
        self.holder = holder
        self.epoch: int | None = None
        self.last_epoch: int | None = None
        self.renewed_at: datetime | None = None

    @property
    def held(self) -> bool:
        return self.epoch is not None

    async def acquire(self) -> Grant | None:
        """Take or renew the lease; None when another live holder has it.

        Renewed less than a third of its time ago, it is still ours for at least two thirds
        more, and nobody can have taken it: no need to write (the poller calls this before
        every poll for updates, dozens of times a second under load)."""
        now = self.rt.clock.now()
        if (self.epoch is not None and self.renewed_at is not None
                and self.renewed_at <= now < self.renewed_at + self.ttl / 3):
            return Grant(self.epoch, None)
        try:
            grant = await self._take(now)
        except IntegrityError:  # another process created the lease at the same moment
            grant = None
        if grant is None:
            self.epoch = self.renewed_at = None
            return None
        self.renewed_at = now
        if grant.epoch != self.last_epoch:
            log.info("lease %s acquired (epoch %s)", self.name, grant.epoch)
        self.epoch = self.last_epoch = grant.epoch
        return grant

    async def _take(self, now: datetime) -> Grant | None:
        async with self.rt.transaction() as session:
            lease = await session.scalar(
                select(Lease).where(Lease.name == self.name).with_for_update()
            )
            if lease is None:
                session.add(Lease(name=self.name, holder=self.holder, epoch=1,
                                  expires_at=now + self.ttl))
                grant = Grant(1, None)
            elif lease.holder == self.holder and lease.epoch == self.last_epoch:
                # still ours: even past its expiry, nobody took it over in between
                lease.expires_at = now + self.ttl
                return Grant(lease.epoch, None)
            elif lease.expires_at > now:
                return None
            else:
                previous = lease.epoch
                lease.holder, lease.epoch = self.holder, lease.epoch + 1
                lease.expires_at = now + self.ttl
                grant = Grant(lease.epoch, previous)
        return grant

    async def fence(self, session: AsyncSession) -> bool:
        """Inside the caller's transaction: is the lease still ours? Only reads (locking the
        row on PostgreSQL, so a takeover waits for this transaction): `acquire` renews it."""
        lease = await session.scalar(
            select(Lease).where(Lease.name == self.name).with_for_update())
        if lease is None or lease.holder != self.holder or lease.epoch != self.last_epoch:
            self.epoch = self.renewed_at = None
            return False
        self.epoch = lease.epoch
        return True

    async def release(self) -> None:
        if self.epoch is None:
            return
        async with self.rt.transaction() as session:
            lease = await session.get(Lease, self.name)
            if lease is not None and lease.holder == self.holder and lease.epoch == self.epoch:
                lease.expires_at = self.rt.clock.now()
        self.epoch = self.renewed_at = None
