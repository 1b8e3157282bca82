"""Expiring counters keyed by keyed hashes: how many tips a person sent this hour, how many
wrong lookups a code or an account made, how many the whole system saw.

The key is a digest, never the person or code itself, and every counter expires, so the table
cannot be used to tell who reported what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, or_, update
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


def _locked(counter: GuardCounter, now: datetime) -> bool:
    return counter.locked_until is not None and counter.locked_until > now


async def is_blocked(session: AsyncSession, key: str, window: Window, now: datetime) -> bool:
    """True when the window is full (or locked out) right now. A look only: to act on the
    answer, `take` (which counts and refuses in one statement)."""
    counter = await session.get(GuardCounter, key, populate_existing=True)
    if counter is None:
        return False
    if window.lockout is not None:
        return _locked(counter, now)  # a lock-out ends on time, and the count starts again
    if counter.window_start + window.span <= now:
        return False
    return counter.count >= window.limit


_TIME = GuardCounter.__table__.c.window_start.type  # type: ignore[attr-defined]
_COUNTERS = GuardCounter.__table__
_C = _COUNTERS.c


def _upsert(on_postgresql: bool, *, refusing: bool) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING the count, in one statement: where a read
    then a write were two, and several transactions at once (PostgreSQL) each counted what
    they had read. The row stays locked until the transaction ends, so the counts of
    concurrent callers queue up behind one another.

    A new window starts when the old one is over and no lock-out holds, or when a lock-out
    has ended. With `refusing`, the update happens only while the window has room and no
    lock-out holds (no row comes back otherwise); the event that fills the window sets the
    lock-out, if the window has one."""
    insert = postgresql.insert if on_postgresql else sqlite.insert
    now = bindparam("now", type_=_TIME)
    lock_until = bindparam("lock_until", type_=_TIME)  # NULL for windows without lock-out
    fresh = or_(and_(_C.window_start <= bindparam("cutoff", type_=_TIME),
                     _C.locked_until.is_(None)),
                _C.locked_until <= now)
    counted = case((fresh, 1), else_=_C.count + 1)
    statement = insert(_COUNTERS).values(
        key=bindparam("key"), count=1, window_start=now,
        expires_at=bindparam("expires", type_=_TIME),
        locked_until=bindparam("first_lock", type_=_TIME))
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": counted,
            "window_start": case((fresh, now), else_=_C.window_start),
            "expires_at": case((fresh, bindparam("expires", type_=_TIME)),
                               else_=_C.expires_at),
            "locked_until": case((counted >= bindparam("limit"), lock_until),
                                 (fresh, None), else_=_C.locked_until),
        },
        where=or_(fresh, and_(_C.count < bindparam("limit"), _C.locked_until.is_(None)))
        if refusing else None,
    ).returning(_C.count)


_TAKE = {on_postgresql: _upsert(on_postgresql, refusing=True) for on_postgresql in (False, True)}
_COUNT = {on_postgresql: _upsert(on_postgresql, refusing=False)
          for on_postgresql in (False, True)}


def _params(key: str, window: Window, now: datetime) -> dict[str, Any]:
    lockout = window.lockout or timedelta(0)
    lock_until = now + window.lockout if window.lockout is not None else None
    return {"key": key, "now": now, "cutoff": now - window.span,
            "expires": now + window.span + lockout, "limit": window.limit,
            "lock_until": lock_until, "first_lock": lock_until if window.limit <= 1 else None}


def _on_postgresql(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def take(session: AsyncSession, key: str, window: Window, now: datetime) -> bool:
    """Count one event if the window has room and no lock-out holds; False, and nothing
    counted, otherwise. Take first, then do what is counted (evaluate a guess, send a tip):
    however many try at once, no more than `window.limit` get through."""
    counted = await session.scalar(_TAKE[_on_postgresql(session)], _params(key, window, now))
    return counted is not None


async def count(session: AsyncSession, key: str, window: Window, now: datetime) -> int:
    """Count one event whatever the window holds; the count in the window so far. For a
    measure (how many wrong guesses the whole system saw this hour), not a gate, so for
    windows without lock-out."""
    if window.lockout is not None:
        raise ValueError("count() measures plain windows; take() gates lock-outs")
    counted = await session.scalar(_COUNT[_on_postgresql(session)], _params(key, window, now))
    assert counted is not None
    return int(counted)


async def give_back(session: AsyncSession, key: str, window: Window) -> None:
    """Undo one `take` of this transaction (the guess was right after all, or a later guard
    refused it): one fewer in the window, and no lock-out if that leaves it below the limit.
    The row is still locked by the `take`, so nobody has counted in between."""
    await session.execute(
        update(_COUNTERS).where(_C.key == key, _C.count > 0).values(
            count=_C.count - 1,
            locked_until=case((_C.count - 1 >= window.limit, _C.locked_until), else_=None)))


async def purge(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(GuardCounter).where(GuardCounter.expires_at <= now))
