"""The durable inbox's rows: every update is stored, encrypted, before the platform is told it
arrived; this module stores, reads and marks them, and never handles one.

Handling is `scheduler.inbox_processor`'s, in the same transaction that claims the row done, so
a crash at any point either leaves the row pending (handled again after restart) or done (never
again), and a repeated update (same channel and update key) is stored once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import wakeups
from bot.models import InboxStatus, InboxUpdate
from bot.runtime import Runtime

PAYLOAD_CONTEXT = "inbox.payload"
MAX_ATTEMPTS = 3
KEY_LENGTH = 64  # the column's size
DIGEST_LENGTH = 16
# INSERT … ON CONFLICT DO NOTHING, built once per dialect (False: SQLite, True: PostgreSQL)
_STORE = {
    on_postgresql: (postgresql.insert if on_postgresql else sqlite.insert)(
        InboxUpdate.__table__).on_conflict_do_nothing(index_elements=["channel", "update_key"])
    for on_postgresql in (False, True)
}


class Malformed(Exception):
    """An update that is not the shape its platform documents. Raised by a channel's parser;
    the message names the fields and what was wrong with them, never their content. The
    inbox keeps such an update (encrypted) as `malformed` and handles it no further."""


def update_key(rt: Runtime, platform_id: str, payload: dict[str, Any]) -> str:
    """The platform's id plus a keyed digest of the content: a re-delivered update matches its
    first copy, while a new update that reuses an old id (Telegram restarts ids after a quiet
    week; a new bot token starts again) does not. The id part is cut to fit the column (the
    digest still tells two updates apart), so no id, however long, can make storing fail."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    platform_id = platform_id[:KEY_LENGTH - DIGEST_LENGTH - 1]
    return f"{platform_id}:{rt.digest(canonical, 'update')[:DIGEST_LENGTH]}"


@dataclass(frozen=True)
class Received:
    """One update as it came: its key (see `update_key`), who sent it, what it says."""

    key: str
    sender: str
    payload: dict[str, Any]


async def store(session: AsyncSession, rt: Runtime, channel: str, updates: list[Received],
                *, shared: bool = False) -> int:
    """Insert the updates that are not already there, in one statement (atomic by itself, so
    `Database.statement` may run it); returns how many were new. `shared` (a poller's store:
    every worker handles what it fetched): on PostgreSQL the new rows also wake the other
    workers, in the same statement (`bot.wakeups.said_by`)."""
    if not updates:
        return 0
    now = rt.clock.now()
    rows = [{
        "channel": channel,
        "update_key": update.key,
        "sender_ref": rt.digest(update.sender, f"sender:{channel}"),
        "payload_enc": rt.keyring.encrypt_text(json.dumps(update.payload), PAYLOAD_CONTEXT),
        "status": InboxStatus.PENDING,
        "attempts": 0,
        "received_at": now,
    } for update in updates]
    on_postgresql = not rt.db.is_sqlite
    statement = _STORE[on_postgresql].values(rows)
    if shared and on_postgresql:
        said = wakeups.said_by(wakeups.channel_of(rt.db), wakeups.INBOX,
                               InboxUpdate.__table__.c.channel, rt.origin)
        return len((await session.execute(statement.returning(said))).all())
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_PENDING = (select(InboxUpdate.id, InboxUpdate.sender_ref, InboxUpdate.payload_enc)
            .where(InboxUpdate.channel == bindparam("channel"),
                   InboxUpdate.status == InboxStatus.PENDING)
            .order_by(InboxUpdate.id).limit(bindparam("limit")))


async def pending(session: AsyncSession, channel: str, limit: int = 200
                  ) -> list[tuple[int, str, bytes | None]]:
    """(row id, sender, sealed payload) of what waits, oldest first. One statement: reading
    the ids first and the payloads of the new ones after cost a round trip per turn, more than
    carrying the few payloads already opened once more."""
    rows = await session.execute(_PENDING, {"channel": channel, "limit": limit})
    return [(row_id, sender, blob) for row_id, sender, blob in rows.all()]


async def count_pending(session: AsyncSession, channel: str | None = None) -> int:
    query = select(func.count()).select_from(InboxUpdate)
    query = query.where(InboxUpdate.status == InboxStatus.PENDING)
    if channel:
        query = query.where(InboxUpdate.channel == channel)
    return int(await session.scalar(query) or 0)


def open_payload(rt: Runtime, row: InboxUpdate) -> dict[str, Any]:
    assert row.payload_enc is not None
    return open_blob(rt, row.payload_enc)


def open_blob(rt: Runtime, blob: bytes) -> dict[str, Any]:
    return dict(json.loads(rt.keyring.decrypt_text(blob, PAYLOAD_CONTEXT)))


def mark_malformed(rt: Runtime, row: InboxUpdate, reason: str) -> None:
    """Kept (encrypted) for review, never handled or retried."""
    row.status = InboxStatus.MALFORMED
    row.error = f"malformed: {reason}"[:500]
    row.processed_at = rt.clock.now()
    row.attempts += 1


def mark_attempt_failed(rt: Runtime, row: InboxUpdate, reason: str) -> bool:
    """Count a failed attempt; returns True when the row gave up (kept, encrypted, for review)."""
    row.attempts += 1
    row.error = reason[:500]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = InboxStatus.FAILED
        row.processed_at = rt.clock.now()
        return True
    return False
