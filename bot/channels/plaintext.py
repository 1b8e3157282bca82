"""A plain, text-only messenger: the test channel that proves a channel is a plug-in.

One module and one line in `bot.channels.registry`, and every conversation written for Telegram
and Zalo runs here too (tests/e2e/test_tips_report.py runs on it). The platform is the smallest
there is (`bot.sandbox.plaintext` emulates it): one person per chat, text of at most 4,096
characters each way, no buttons, files, groups or edits. So choices are numbered, a step that
asks for a pin or a contact takes typed text, and a card that changes on Telegram gets a
one-line update here, as on Zalo.

Its API is a JSON Bot API (`bot.channels.jsonapi`): `getUpdates` with an offset (an update
comes again until a later call's offset confirms it) and `sendMessage`. No setting names it:
it runs only when a caller gives its endpoint (the tests' harness).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import (
    Capabilities,
    Channel,
    ChannelType,
    ChatGone,
    Endpoint,
    Rejected,
    RetryLater,
    TextRenderer,
    Transient,
    no_endpoint,
    pause,
)
from bot.channels.jsonapi import ApiError, JsonBotApi
from bot.flows import Engine
from bot.messages import ChatType, Incoming, InputKind, Outgoing, PlatformRequest
from bot.models import ChatKind
from bot.runtime import ChannelParts, Runtime
from bot.services import inbox_store, outbox, people
from content.texts import INTERNAL_ERROR
from scheduler.lease import LeaseKeeper
from scheduler.limits import Limits
from scheduler.supervisor import Beat

log = logging.getLogger(__name__)

NAME = "plain"
MAX_TEXT = 4096
CAPABILITIES = Capabilities(buttons=False, groups=False, share_requests=False,
                            max_text=MAX_TEXT)
LIMITS = Limits(global_per_second=30, group_per_minute=0, private_per_second=1)
BACKOFF_MAX_S = 60.0
HTTP_MARGIN_S = 15  # a long poll's HTTP timeout is the poll's timeout plus this


class PlainChannel(Channel):
    """One bot on the plain messenger: polls, stores, hands to the engine, sends text."""

    name = NAME

    def __init__(self, rt: Runtime, engine: Engine, where: Endpoint) -> None:
        self.rt = rt
        self.engine = engine
        self.client = JsonBotApi(where.token, where.api_url, rt.settings.request_timeout)
        self.renderer = TextRenderer("sendMessage", MAX_TEXT)
        self.on_stored = lambda: None
        self.offset: int | None = None

    def parts(self) -> ChannelParts:
        return ChannelParts(self.renderer, CAPABILITIES)

    def limits(self) -> Limits:
        return LIMITS

    async def connect(self, stop: asyncio.Event) -> bool:
        delay = 1.0
        while not stop.is_set():
            try:
                await self.client.call("getMe")
                return True
            except (Transient, ApiError) as exc:
                log.warning("plain: API unreachable (%s)", type(exc).__name__)
            await pause(stop, delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
        return False

    @property
    def longest_wait(self) -> float:
        return max(self.rt.settings.poll_timeout + HTTP_MARGIN_S, BACKOFF_MAX_S,
                   self.rt.settings.lease_ttl_seconds / 3)

    async def poll_forever(self, stop: asyncio.Event, lease: LeaseKeeper,
                           beat: Beat = lambda: None) -> None:
        """Fetch, store, confirm (with the next call's offset) until `stop`."""
        delay = 1.0
        timeout = self.rt.settings.poll_timeout
        while not stop.is_set():
            beat()
            if await lease.acquire() is None:
                await pause(stop, lease.ttl.total_seconds() / 3)
                continue
            try:
                updates = await self.client.call(
                    "getUpdates", {"offset": self.offset, "timeout": timeout},
                    timeout=timeout + HTTP_MARGIN_S)
            except (Transient, ApiError) as exc:
                log.warning("plain: getUpdates failed (%s)", type(exc).__name__)
                await pause(stop, delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            delay = 1.0
            if updates:
                await self.store(updates)
                self.offset = max(update["update_id"] for update in updates) + 1

    async def store(self, updates: list[dict[str, Any]]) -> None:
        received = [inbox_store.Received(
            inbox_store.update_key(self.rt, str(update["update_id"]), update),
            str((update.get("message") or {}).get("chat_id")), update) for update in updates]
        async with self.rt.db.statement() as session:
            stored = await inbox_store.store(session, self.rt, NAME, received,
                                             shared=not self.webhook)
        self.rt.metrics.got(NAME, stored)
        self.on_stored()

    async def handle_stored(self, session: AsyncSession, payload: dict[str, Any],
                            prepared: Any = None) -> None:
        key = inbox_store.update_key(self.rt, str(payload["update_id"]), payload)
        await self.engine.handle(session, _incoming(payload, key))

    async def apologise(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        chat = await people.ensure_chat(session, self.rt, NAME, _incoming(payload, "").chat_id,
                                        ChatKind.PRIVATE)
        await outbox.enqueue(session, self.rt, chat, Outgoing(INTERNAL_ERROR))

    async def send(self, chat_id: str, request: PlatformRequest,
                   original: str | None = None) -> str | None:
        try:
            result = await self.client.call(request.method, {**request.params,
                                                             "chat_id": chat_id})
        except ApiError as exc:
            raise _delivery_error(exc) from None
        return str(result["message_id"])

    async def close(self) -> None:
        await self.client.close()


def _delivery_error(exc: ApiError) -> Exception:
    if exc.status == 429:
        return RetryLater(1.0)
    if exc.status >= 500:
        return Transient(f"{exc.status}: {exc.description}")
    if exc.status == 403:
        return ChatGone(exc.description)
    return Rejected(exc.description)


def _incoming(update: dict[str, Any], key: str) -> Incoming:
    """The plain messenger's update → `Incoming`: every message is a person's text, a command
    when it starts with a slash."""
    try:
        message = update["message"]
        text, sender = str(message["text"]), message["from"]
        chat_id, user_id = str(message["chat_id"]), str(sender["id"])
        sent = datetime.fromtimestamp(int(message["date"]), UTC)
    except (KeyError, TypeError, ValueError):
        raise inbox_store.Malformed("not a plain message") from None
    kind, command, args = InputKind.TEXT, None, ""
    if text.startswith("/"):
        word, _, rest = text[1:].partition(" ")
        kind, command, args = InputKind.COMMAND, word, rest.strip()
    return Incoming(channel=NAME, update_key=key, chat_id=chat_id, chat_type=ChatType.PRIVATE,
                    user_id=user_id, user_name=str(sender.get("name") or ""), kind=kind,
                    text=text, command=command, args=args,
                    message_id=str(message.get("message_id", "")), sent_at=sent)


def build(rt: Runtime, engine: Engine, where: Endpoint) -> PlainChannel:
    return PlainChannel(rt, engine, where)


PLUGIN = ChannelType(endpoint=no_endpoint, build=build)
