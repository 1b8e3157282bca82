"""The outbox: every message the bot sends is first a row here, written in the transaction that
caused it, then sent by the channel's delivery worker. Payloads are encrypted and purged once
delivered; nothing is fire-and-forget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Outgoing, PlatformRequest
from bot.models import LANE_PRIORITY, Chat, Lane, OutboxMessage, OutboxStatus
from bot.runtime import OUTBOX_CHANNELS, Runtime

PAYLOAD_CONTEXT = "outbox.payload"


def _note_channel(session: AsyncSession, channel: str) -> None:
    session.info.setdefault(OUTBOX_CHANNELS, set()).add(channel)


async def enqueue_request(
    session: AsyncSession,
    rt: Runtime,
    chat: Chat,
    request: PlatformRequest,
    *,
    lane: Lane = Lane.INTERACTIVE,
    broadcast_id: int | None = None,
) -> OutboxMessage:
    payload = json.dumps({"method": request.method, "params": request.params}, ensure_ascii=False)
    row = OutboxMessage(
        channel=chat.channel,
        chat_id=chat.id,
        priority=LANE_PRIORITY[lane],
        payload_enc=rt.keyring.encrypt_text(payload, PAYLOAD_CONTEXT),
        status=OutboxStatus.QUEUED,
        created_at=rt.clock.now(),
        broadcast_id=broadcast_id,
    )
    session.add(row)
    _note_channel(session, chat.channel)
    return row


async def enqueue(
    session: AsyncSession,
    rt: Runtime,
    chat: Chat,
    message: Outgoing,
    *,
    lane: Lane = Lane.INTERACTIVE,
) -> list[OutboxMessage]:
    """Render `message` for the chat's messenger and queue every resulting request."""
    requests = rt.parts(chat.channel).renderer.render(message)
    return [await enqueue_request(session, rt, chat, r, lane=lane) for r in requests]


def open_payload(rt: Runtime, row: OutboxMessage) -> PlatformRequest:
    assert row.payload_enc is not None, "payload already purged"
    data = json.loads(rt.keyring.decrypt_text(row.payload_enc, PAYLOAD_CONTEXT))
    return PlatformRequest(data["method"], data["params"])


@dataclass(frozen=True)
class LaneStatus:
    channel: str
    lane: str
    queued: int
    in_flight: int
    failed: int
    oldest_age_s: float | None


async def unfinished(session: AsyncSession, channel: str | None = None) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT])
    )
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    return int(await session.scalar(query) or 0)
