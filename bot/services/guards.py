"""Expiring counters keyed by keyed hashes: how many tips a person sent this hour, how many
wrong lookups a code or an account made, how many the whole system saw.

The key is a digest, never the person or code itself, and every counter expires, so the table
cannot be used to tell who reported what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import GuardCounter
from bot.runtime import Runtime


@dataclass(frozen=True)
class Window:
    limit: int
    span: timedelta
    lockout: timedelta | None = None


def guard_key(rt: Runtime, kind: str, subject: str) -> str:
    return f"{kind}:{rt.digest(subject, 'guard:' + kind)[:32]}"


async def _counter(session: AsyncSession, key: str, window: Window, now: datetime
                   ) -> GuardCounter:
    counter = await session.get(GuardCounter, key)
    if counter is None:
        counter = GuardCounter(key=key, count=0, window_start=now,
                               expires_at=now + window.span + (window.lockout or timedelta(0)))
        session.add(counter)
    elif (counter.window_start + window.span <= now and not _locked(counter, now)) or (
            counter.locked_until is not None and counter.locked_until <= now):
        counter.count, counter.window_start, counter.locked_until = 0, now, None
        counter.expires_at = now + window.span + (window.lockout or timedelta(0))
    return counter


def _locked(counter: GuardCounter, now: datetime) -> bool:
    return counter.locked_until is not None and counter.locked_until > now


async def is_blocked(session: AsyncSession, key: str, window: Window, now: datetime) -> bool:
    """True when the window is full (or locked out) right now."""
    counter = await session.get(GuardCounter, key)
    if counter is None:
        return False
    if window.lockout is not None:
        return _locked(counter, now)  # a lock-out ends on time, and the count starts again
    if counter.window_start + window.span <= now:
        return False
    return counter.count >= window.limit


async def hit(session: AsyncSession, key: str, window: Window, now: datetime) -> int:
    """Count one event; locks the key out when it reaches the limit (if the window says so)."""
    counter = await _counter(session, key, window, now)
    _count(counter, window, now)
    return counter.count


async def take(session: AsyncSession, key: str, window: Window, now: datetime) -> bool:
    """Count one event if the window has room; False, and nothing counted, when it is full.
    `is_blocked` then `hit` in one read."""
    counter = await _counter(session, key, window, now)
    if _locked(counter, now) or (window.lockout is None and counter.count >= window.limit):
        return False
    _count(counter, window, now)
    return True


def _count(counter: GuardCounter, window: Window, now: datetime) -> None:
    counter.count += 1
    if window.lockout is not None and counter.count >= window.limit:
        counter.locked_until = now + window.lockout
        counter.expires_at = max(counter.expires_at, counter.locked_until)


async def purge(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(GuardCounter).where(GuardCounter.expires_at <= now))
