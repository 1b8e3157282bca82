"""Expiring counters keyed by keyed hashes: how many tips a person sent this hour, how many
wrong lookups a code or an account made, how many the whole system saw.

The key is a digest, never the person or code itself, and every counter expires, so the table
cannot be used to tell who reported what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, or_
from sqlalchemy.dialects import postgresql, sqlite
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


_TIME = GuardCounter.__table__.c.window_start.type  # type: ignore[attr-defined]
_COUNTERS = GuardCounter.__table__


def _take_statement(on_postgresql: bool) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … WHERE the window has room, RETURNING the count: no
    row comes back when it is full. One statement, where a read then a write were two."""
    insert = postgresql.insert if on_postgresql else sqlite.insert
    over = _COUNTERS.c.window_start <= bindparam("cutoff", type_=_TIME)  # a new window
    statement = insert(_COUNTERS).values(
        key=bindparam("key"), count=1, window_start=bindparam("now", type_=_TIME),
        expires_at=bindparam("expires", type_=_TIME), locked_until=None)
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": case((over, 1), else_=_COUNTERS.c.count + 1),
            "window_start": case((over, bindparam("now", type_=_TIME)),
                                 else_=_COUNTERS.c.window_start),
            "expires_at": case((over, bindparam("expires", type_=_TIME)),
                               else_=_COUNTERS.c.expires_at),
        },
        where=or_(over, _COUNTERS.c.count < bindparam("limit")),
    ).returning(_COUNTERS.c.count)


_TAKE = {on_postgresql: _take_statement(on_postgresql) for on_postgresql in (False, True)}


async def take(session: AsyncSession, key: str, window: Window, now: datetime) -> bool:
    """Count one event if the window has room; False, and nothing counted, when it is full
    (`is_blocked` then `hit`, for a window without lock-out, in one statement)."""
    if window.lockout is not None:
        raise ValueError("take() counts plain windows; use is_blocked and hit for lock-outs")
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    counted = await session.scalar(_TAKE[dialect == "postgresql"], {
        "key": key, "now": now, "cutoff": now - window.span, "expires": now + window.span,
        "limit": window.limit})
    return counted is not None


def _count(counter: GuardCounter, window: Window, now: datetime) -> None:
    counter.count += 1
    if window.lockout is not None and counter.count >= window.limit:
        counter.locked_until = now + window.lockout
        counter.expires_at = max(counter.expires_at, counter.locked_until)


async def purge(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(GuardCounter).where(GuardCounter.expires_at <= now))
