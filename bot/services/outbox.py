"""The outbox: every message the bot sends is first a row here, written in the transaction that
caused it, then sent by the channel's delivery worker. Payloads are encrypted; a delivered row
is deleted (or, for broadcasts and officers' cards, kept without its payload); nothing is
fire-and-forget. A row the platform refused because its recipient has been silent too long
waits (`OutboxStatus.WAITING`) until they write again (`release_waiting`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import wakeups
from bot.clock import utc
from bot.messages import Outgoing, PlatformRequest
from bot.models import (
    LANE_PRIORITY,
    Broadcast,
    Chat,
    FlowState,
    Lane,
    Meta,
    OutboxMessage,
    OutboxStatus,
)
from bot.runtime import OUTBOX_CHANNELS, OUTBOX_SAID, Runtime

PAYLOAD_CONTEXT = "outbox.payload"
# built once and reused: building a statement per message cost more than running it
INSERT_ROWS = insert(OutboxMessage.__table__).returning(  # type: ignore[arg-type]
    OutboxMessage.__table__.c.id, sort_by_parameter_order=True)


def _note_channel(session: AsyncSession, channel: str) -> None:
    session.info.setdefault(OUTBOX_CHANNELS, set()).add(channel)


@lru_cache(maxsize=16)  # one origin per process; tests make many
def _insert_saying(notify_channel: str, origin: str) -> Insert:
    """INSERT_ROWS whose RETURNING also wakes the other workers (`bot.wakeups.said_by`), for
    PostgreSQL: the queued rows and their wake-up in one round trip."""
    table = OutboxMessage.__table__
    return insert(table).returning(  # type: ignore[arg-type]
        table.c.id, wakeups.said_by(notify_channel, wakeups.OUTBOX, table.c.channel, origin),
        sort_by_parameter_order=True)


def _sealed(rt: Runtime, request: PlatformRequest) -> bytes:
    return rt.keyring.encrypt_text(json.dumps(request.stored(), ensure_ascii=False),
                                   PAYLOAD_CONTEXT)


def _row(rt: Runtime, chat: Chat, request: PlatformRequest, lane: Lane,
         broadcast_id: int | None, part: int, sealed: bytes | None = None) -> dict[str, Any]:
    return {
        "channel": chat.channel,
        "chat_id": chat.id,
        "priority": LANE_PRIORITY[lane],
        "payload_enc": sealed if sealed is not None else _sealed(rt, request),
        "status": OutboxStatus.QUEUED,
        "created_at": rt.clock.now(),
        "broadcast_id": broadcast_id,
        "part": part,
        "attempts": 0,
        "resent": 0,
    }


async def _persisted(session: AsyncSession, chats: list[Chat]) -> None:
    """A chat created in this transaction gets its id at the flush (a Core insert does not
    flush the session by itself)."""
    if any(chat.id is None for chat in chats):
        await session.flush()


async def _insert(session: AsyncSession, rt: Runtime, rows: list[dict[str, Any]]) -> list[int]:
    """One INSERT … RETURNING for all the rows, ids in the rows' order; on PostgreSQL it also
    says the wake-up for them, so the commit needs no NOTIFY of its own."""
    if not rows:
        return []
    channels = {row["channel"] for row in rows}
    for channel in channels:
        _note_channel(session, channel)
    statement = INSERT_ROWS
    if not rt.db.is_sqlite:
        statement = _insert_saying(wakeups.channel_of(rt.db), rt.origin)
        session.info.setdefault(OUTBOX_SAID, set()).update(channels)
    if len(rows) == 1:
        return [int((await session.execute(statement, rows[0])).scalars().one())]
    return [int(row_id) for row_id in (await session.scalars(statement, rows)).all()]


async def enqueue_request(
    session: AsyncSession,
    rt: Runtime,
    chat: Chat,
    request: PlatformRequest,
    *,
    lane: Lane = Lane.INTERACTIVE,
    broadcast_id: int | None = None,
    part: int = 0,
) -> int:
    """Queue one request for a chat; returns the outbox row's id."""
    await _persisted(session, [chat])
    return (await _insert(session, rt, [_row(rt, chat, request, lane, broadcast_id, part)]))[0]


async def enqueue_requests(
    session: AsyncSession, rt: Runtime, requests: Sequence[tuple[Chat, PlatformRequest]],
    *, lane: Lane = Lane.INTERACTIVE,
) -> list[int]:
    """Queue several requests in one statement; ids in the same order."""
    return await enqueue_in_lanes(session, rt, [(chat, request, lane)
                                                for chat, request in requests])


async def enqueue_in_lanes(
    session: AsyncSession, rt: Runtime, requests: Sequence[tuple[Chat, PlatformRequest, Lane]]
) -> list[int]:
    """Queue requests, each in its own lane, in one statement; ids in the same order."""
    await _persisted(session, [chat for chat, _, _ in requests])
    return await _insert(session, rt, [_row(rt, chat, request, lane, None, 0)
                                   for chat, request, lane in requests])


def render(rt: Runtime, chat: Chat, message: Outgoing) -> list[PlatformRequest]:
    """`message` as the requests the chat's messenger needs."""
    return rt.parts(chat.channel).renderer.render(message)


async def enqueue(
    session: AsyncSession,
    rt: Runtime,
    chat: Chat,
    message: Outgoing,
    *,
    lane: Lane = Lane.INTERACTIVE,
) -> list[int]:
    """Render `message` for the chat's messenger and queue every resulting request."""
    return (await enqueue_many(session, rt, [(chat, message)], lane=lane))[0]


async def enqueue_many(
    session: AsyncSession, rt: Runtime, messages: Sequence[tuple[Chat, Outgoing]],
    *, lane: Lane = Lane.INTERACTIVE,
) -> list[list[int]]:
    """Render and queue several messages in one statement; per message, its rows' ids.

    A message with choices to a text-only messenger is numbered: from then on, a bare number
    must not answer the numbers of a conversation asked before it (see `bot.flows`), so each
    such chat's stored conversation moves to a new version."""
    rendered = [(chat, render(rt, chat, message)) for chat, message in messages]
    numbered = {chat.id for chat, message in messages
                if message.choices and not rt.parts(chat.channel).capabilities.buttons}
    if numbered:
        await session.execute(update(FlowState).where(FlowState.chat_id.in_(numbered))
                              .values(version=FlowState.version + 1))
    ids = await enqueue_requests(
        session, rt, [(chat, request) for chat, requests in rendered for request in requests],
        lane=lane)
    per_message: list[list[int]] = []
    for _, requests in rendered:
        per_message.append(ids[:len(requests)])
        ids = ids[len(requests):]
    return per_message


async def enqueue_edit(session: AsyncSession, rt: Runtime, chat: Chat, message: Outgoing) -> int:
    """Queue `message`, the new version of the message we sent as row `message.edit_of`, and
    return the row to edit next time: the original, unless the new text outgrew it and went
    on in new messages (the last of them carries the buttons from now on). Where the messenger
    cannot edit, the original stays the one on record (its renderer sends the message's
    `update_note`, or nothing)."""
    assert message.edit_of is not None, "an edit names the message it changes"
    requests = render(rt, chat, message)
    ids = await enqueue_requests(session, rt, [(chat, request) for request in requests])
    edits = bool(requests) and requests[0].edit_of is not None
    return ids[-1] if edits and len(ids) > 1 else message.edit_of


# built once; Core statements, so no object of the session is looked at or expired
_ROWS, _CHATS = OutboxMessage.__table__, Chat.__table__
RELEASE_ROWS = (update(_ROWS)
                .where(_ROWS.c.chat_id.in_(bindparam("chats", expanding=True)),
                       _ROWS.c.status == OutboxStatus.WAITING)
                .values(status=OutboxStatus.QUEUED, not_before=None))
RELEASE_CHATS = (update(_CHATS).where(_CHATS.c.id.in_(bindparam("chats", expanding=True)))
                 .values(waiting_contact=False))


_LATEST_ONLY = select(Broadcast.id).where(Broadcast.latest_only.is_(True)).scalar_subquery()
_NEWER = _ROWS.alias("newer")
# of the campaign messages that waited for a person, all but the newest campaign's are let go
# (one campaign may carry two messages to a chat: a leader's relay instruction and its copy)
SUPERSEDE_ROWS = (
    update(_ROWS)
    .where(_ROWS.c.chat_id.in_(bindparam("chats", expanding=True)),
           _ROWS.c.status == OutboxStatus.WAITING,
           _ROWS.c.broadcast_id.in_(_LATEST_ONLY),
           select(_NEWER.c.id).where(_NEWER.c.chat_id == _ROWS.c.chat_id,
                                     _NEWER.c.status == OutboxStatus.WAITING,
                                     _NEWER.c.broadcast_id.in_(_LATEST_ONLY),
                                     _NEWER.c.broadcast_id > _ROWS.c.broadcast_id).exists())
    .values(status=OutboxStatus.FAILED, payload_enc=None,
            error="superseded: a newer campaign message waited for the same person"))


async def release_waiting(session: AsyncSession, chat_ids: set[int], channel: str) -> None:
    """The person is reachable again (they wrote, or a message just reached them): what waited
    for them is queued again, in one UPDATE. The rows keep their ids, so they go out oldest
    first, before anything queued after them (a reply to what they just wrote). Of the
    campaign messages that waited, only the newest goes (`Broadcast.latest_only`): a person
    back after a month gets this week's message once, not four weeks of them."""
    params = {"chats": sorted(chat_ids)}
    await session.execute(SUPERSEDE_ROWS, params)
    await session.execute(RELEASE_ROWS, params)
    await session.execute(RELEASE_CHATS, params)
    _note_channel(session, channel)


def open_payload(rt: Runtime, row: OutboxMessage) -> PlatformRequest:
    assert row.payload_enc is not None, "payload already purged"
    return open_blob(rt, row.payload_enc)


def open_blob(rt: Runtime, blob: bytes) -> PlatformRequest:
    return PlatformRequest.from_stored(json.loads(rt.keyring.decrypt_text(blob, PAYLOAD_CONTEXT)))


@dataclass
class LaneStatus:
    channel: str
    lane: str
    queued: int = 0
    in_flight: int = 0
    waiting: int = 0  # for their recipient to write (not failed, not retried)
    failed_24h: int = 0
    oldest_age_s: float | None = None


@dataclass
class QueueReport:
    lanes: list[LaneStatus]
    failure_reasons: list[tuple[str, int]]
    resent_after_crash: dict[str, int]


async def status(session: AsyncSession, now: datetime) -> QueueReport:
    """Queue depth per channel and lane, the oldest row still to go, rows waiting for their
    recipient to write, recent failures and why."""
    lane_of = {priority: lane for lane, priority in LANE_PRIORITY.items()}
    lanes: dict[tuple[str, int], LaneStatus] = {}

    def lane(channel: str, priority: int) -> LaneStatus:
        key = (channel, priority)
        if key not in lanes:
            lanes[key] = LaneStatus(channel, lane_of.get(priority, Lane.BROADCAST).value)
        return lanes[key]

    waiting = await session.execute(
        select(OutboxMessage.channel, OutboxMessage.priority, OutboxMessage.status,
               func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT,
                                         OutboxStatus.WAITING]))
        .group_by(OutboxMessage.channel, OutboxMessage.priority, OutboxMessage.status)
    )
    for channel, priority, state, count, oldest in waiting:
        entry = lane(channel, priority)
        if state == OutboxStatus.WAITING:
            entry.waiting = count  # their age is the recipient's silence, not the queue's
            continue
        if state == OutboxStatus.QUEUED:
            entry.queued = count
        else:
            entry.in_flight = count
        age = (now - utc(oldest)).total_seconds() if oldest else None
        if age is not None and (entry.oldest_age_s is None or age > entry.oldest_age_s):
            entry.oldest_age_s = age
    since = now - timedelta(hours=24)
    failed = await session.execute(
        select(OutboxMessage.channel, OutboxMessage.priority, func.count())
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= since)
        .group_by(OutboxMessage.channel, OutboxMessage.priority)
    )
    for channel, priority, count in failed:
        lane(channel, priority).failed_24h = count
    reasons = await session.execute(
        select(OutboxMessage.error, func.count())
        .where(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.created_at >= since)
        .group_by(OutboxMessage.error).order_by(func.count().desc()).limit(5)
    )
    resent = await session.execute(select(Meta.key, Meta.value)
                                   .where(Meta.key.like("delivery.resent.%")))
    return QueueReport(
        sorted(lanes.values(), key=lambda s: (s.channel, s.lane)),
        [(reason or "?", count) for reason, count in reasons],
        {key.rsplit(".", 1)[-1]: int(value) for key, value in resent},
    )


async def unfinished(session: AsyncSession, channel: str | None = None) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT])
    )
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return int(await session.scalar(query) or 0)


_BROADCAST_ROWS = {on_postgresql: (postgresql.insert if on_postgresql else sqlite.insert)(
    OutboxMessage.__table__).on_conflict_do_nothing(
        index_elements=["broadcast_id", "chat_id", "part"])
    for on_postgresql in (False, True)}


async def enqueue_broadcast(
    session: AsyncSession, rt: Runtime, broadcast_id: int,
    messages: Sequence[tuple[Chat, Outgoing, datetime | None]], *, lane: Lane = Lane.BROADCAST,
) -> None:
    """Queue one broadcast's messages to many chats in one statement, each (chat, part) once:
    a chat that already holds a part of this broadcast keeps it, so a fan-out taken up again
    after a crash never queues a message twice. A message may wait until its `not_before`
    (the end of quiet hours).

    The same message to many chats of one messenger is rendered and sealed once: a request
    names no chat (the row does), and rows of one broadcast are known to carry the same words
    anyway. A province's campaign day is a quarter of a million rows."""
    rows = []
    parts: dict[int, int] = {}  # a chat's parts count on across its messages (a relay's two)
    made: dict[tuple[str, Outgoing], list[tuple[PlatformRequest, bytes]]] = {}
    for chat, message, not_before in messages:
        key = (chat.channel, message)
        if key not in made:
            made[key] = [(request, _sealed(rt, request))
                         for request in render(rt, chat, message)]
        for request, sealed in made[key]:
            part = parts.get(chat.id, 0)
            parts[chat.id] = part + 1
            row = _row(rt, chat, request, lane, broadcast_id, part, sealed)
            row["not_before"] = not_before
            rows.append(row)
    if not rows:
        return
    for channel in {row["channel"] for row in rows}:
        _note_channel(session, channel)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    await session.execute(_BROADCAST_ROWS[dialect == "postgresql"], rows)
