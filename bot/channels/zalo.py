"""Zalo, through the Zalo Bot Platform HTTP API (`{base}/bot<TOKEN>/<method>`, JSON bodies).

A small typed client of our own over aiohttp rather than `python-zalo-bot`: that SDK is a port
of python-telegram-bot whose `Application` owns polling and dispatch, and we must own both to
store every update before anything else happens. The API is five methods; our client
(`bot.channels.jsonapi`) is short.

Zalo bots are 1:1 and text-only: choices are numbered, commands work with or without the slash
and without diacritics (the engine does that), contact and location steps become typed answers.
`getUpdates` returns one update per call and has no offset or acknowledgement, so each update is
stored in the inbox the moment it arrives; in production a webhook (`setWebhook` with a secret,
registered at start and removed by the last worker to stop, as Telegram's) does the same before
answering 200. An update is kept in hand until it is stored, so a database
error on the way costs a restart of the loop (`scheduler.supervisor`), not the update.

Every update is stored, whatever its shape: `update_platform_id` and `update_sender` take any
shape without raising, and `_incoming` turns one that is not the documented shape into
`inbox_store.Malformed` (kept and skipped when handled).

Sending: what Zalo answers decides what the delivery worker does (`send`). Zalo documents no
error codes for the Bot Platform, so we assume Telegram-style answers (`{"ok": false,
"error_code", "description"}`, the code being the HTTP status), as the sandbox gives them:
429 waits, 5xx and network errors are retried, a 403 naming a block marks the chat gone, and a
400 about the text is rejected. Zalo Official Accounts may write to a person freely only
within 48 hours of their last message, and nothing says the Bot Platform does otherwise; we
design as if it keeps that window and answers a message outside it with
`403 "Forbidden: user has not interacted with the bot in the last 48 hours"`. Any refusal
saying the user has not interacted (`NOT_INTERACTED`; the sandbox says the same of a user who
never wrote) is `NeedsContact`: the row waits, is not retried, and goes when they next write.
Other unknown refusals are retried with backoff, then fail with their reason.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import (
    Capabilities,
    Channel,
    ChannelType,
    ChatGone,
    Endpoint,
    NeedsContact,
    Rejected,
    RetryLater,
    TextRenderer,
    Transient,
    WebhookRefused,
    pause,
    webhook_line,
)
from bot.channels.jsonapi import ApiError, JsonBotApi
from bot.config import Settings
from bot.flows import Engine
from bot.messages import Attachment, ChatType, Incoming, InputKind, Outgoing, PlatformRequest
from bot.models import ChatKind
from bot.runtime import ChannelParts, Runtime
from bot.services import evidence, inbox_store, meta, outbox, people
from content.texts import INTERNAL_ERROR
from scheduler.lease import LeaseKeeper
from scheduler.limits import Limits
from scheduler.supervisor import Beat

log = logging.getLogger(__name__)

NAME = "zalo"
MAX_TEXT = 2000
CONTACT_WINDOW_HOURS = 48  # assumed, as for Zalo Official Accounts (see the docstring)
CAPABILITIES = Capabilities(buttons=False, groups=False, share_requests=False,
                            max_text=MAX_TEXT, contact_window_hours=CONTACT_WINDOW_HOURS)
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT_CODE = 408
# a refusal because the person has not written recently (or ever): wait for them to write
NOT_INTERACTED = re.compile(r"not\s+interacted", re.IGNORECASE)
BACKOFF_MAX_S = 60.0
HTTP_MARGIN_S = 15  # a long poll's HTTP timeout is the poll's timeout plus this
NOT_AN_OBJECT = "_not_an_object"  # how an update that is not a JSON object is kept
# Milliseconds since 1970 up to the year 9999: a date outside is not one Zalo sent.
LATEST_DATE_MS = 253_402_300_799_999
MAX_ID_LENGTH = 64
EVENT_KINDS = {
    "message.text.received": InputKind.TEXT,
    "message.image.received": InputKind.PHOTO,
    "message.sticker.received": InputKind.STICKER,
    "message.voice.received": InputKind.VOICE,
    "message.audio.received": InputKind.VOICE,
    "message.unsupported.received": InputKind.OTHER,
}


def _incoming(update: dict[str, Any], key: str) -> Incoming | None:
    """Zalo's update shape → `Incoming` (string ids, display_name, ms timestamps, photo_url).
    None for an update that is no person's message (another event, a bot); `inbox_store.Malformed`
    when a field the bot reads is missing or of the wrong type. Nothing else comes out of any
    payload (the fuzz tests hold it); the reasons name fields, never their content."""
    if NOT_AN_OBJECT in update:
        raise inbox_store.Malformed("the update is not a JSON object")
    message = update.get("message")
    if message is None:
        return None
    event = update.get("event_name")
    if not isinstance(message, dict):
        raise inbox_store.Malformed("message: not an object")
    if event is not None and not isinstance(event, str):
        raise inbox_store.Malformed("event_name: not a string")
    sender = _field(message, "from", dict)
    chat = _field(message, "chat", dict) or {}
    if sender is None:
        raise inbox_store.Malformed("message.from: missing")
    if sender.get("is_bot"):
        return None
    user_id = _id(sender.get("id"), "message.from.id")
    if user_id is None:
        raise inbox_store.Malformed("message.from.id: missing")
    chat_id = _id(chat.get("id"), "message.chat.id") or user_id
    name = _field(sender, "display_name", str) or _field(sender, "name", str)
    kind = EVENT_KINDS.get(event or "", InputKind.OTHER)
    text = _field(message, "text", str) or _field(message, "caption", str) or ""
    command = args = None
    if kind is InputKind.TEXT and text.startswith("/"):
        word, _, rest = text[1:].partition(" ")
        command, args, kind = word, rest.strip(), InputKind.COMMAND
    attachments: tuple[Attachment, ...] = ()
    url = message.get("photo_url") or message.get("url")
    if kind in (InputKind.PHOTO, InputKind.VOICE) and isinstance(url, str):
        mime = "image/jpeg" if kind is InputKind.PHOTO else "audio/aac"
        attachments = (Attachment(kind, url, None, mime),)
    sent = message.get("date")
    if sent is not None and (isinstance(sent, bool) or not isinstance(sent, int | float)
                             or not 0 <= sent <= LATEST_DATE_MS):
        raise inbox_store.Malformed("message.date: not a time in milliseconds")
    message_id = _id(message.get("message_id"), "message.message_id")
    return Incoming(
        channel=NAME, update_key=key, chat_id=chat_id,
        chat_type=ChatType.GROUP if chat.get("chat_type") == "GROUP" else ChatType.PRIVATE,
        user_id=user_id, user_name=name,
        kind=kind, text=text, command=command, args=args or "",
        message_id=message_id or "", attachments=attachments,
        sent_at=None if sent is None else datetime.fromtimestamp(sent / 1000, UTC),
    )


def _field(parent: dict[str, Any], name: str, kind: type) -> Any:
    """`parent[name]` if present and of `kind`; None if absent (or null); Malformed else."""
    value = parent.get(name)
    if value is None or isinstance(value, kind):
        return value
    raise inbox_store.Malformed(f"{name}: not {'an object' if kind is dict else 'a string'}")


def _id(value: Any, where: str) -> str | None:
    """An id as Zalo sends it (a string; a number taken too); None if absent or empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise inbox_store.Malformed(f"{where}: not an id")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise inbox_store.Malformed(f"{where}: too long for an id")
    return text


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def update_platform_id(update: dict[str, Any]) -> str:
    """`event_name:message_id`, from any shape (unreadable parts are left empty)."""
    message = _object(update.get("message"))
    event, message_id = update.get("event_name", "?"), message.get("message_id", "")
    return f"{event if isinstance(event, str) else ''}:" \
           f"{message_id if isinstance(message_id, str | int) else ''}"


def update_sender(update: dict[str, Any]) -> str:
    """Whose updates must be handled in order, from any shape."""
    sender = _object(_object(update.get("message")).get("from")).get("id")
    return str(sender) if isinstance(sender, str | int) and sender else "unknown"


class ZaloChannel(Channel):
    """One Zalo bot: polls (or takes webhooks), stores, hands to the engine, sends."""

    name = NAME

    def __init__(self, rt: Runtime, engine: Engine, *, token: str, api_url: str,
                 webhook: bool = False) -> None:
        self.rt = rt
        self.engine = engine
        self.client = JsonBotApi(token, api_url, rt.settings.request_timeout)
        self.renderer = TextRenderer("sendMessage", MAX_TEXT)
        self.webhook = webhook
        self.on_stored = lambda: None
        self.account = ""
        self._in_hand: list[Any] = []  # fetched, not yet stored (see `poll_forever`)

    def parts(self) -> ChannelParts:
        return ChannelParts(self.renderer, CAPABILITIES)

    def limits(self) -> Limits:
        settings = self.rt.settings
        return Limits(global_per_second=settings.zalo_limit_per_second, group_per_minute=0,
                      private_per_second=settings.zalo_limit_private_per_second,
                      margin=settings.rate_margin)

    async def connect(self, stop: asyncio.Event) -> bool:
        delay = 1.0
        while not stop.is_set():
            try:
                me = await self.client.call("getMe")
                break
            except (Transient, ApiError) as exc:
                if isinstance(exc, ApiError) and exc.status == 401:
                    log.error("Zalo rejected the bot token (401); check BINHYEN_ZALO_TOKEN")
                    raise
                log.warning("Zalo Bot API unreachable (%s); retrying in %.0f s",
                            type(exc).__name__, delay)
                await pause(stop, delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
        else:
            return False
        self.account = str((me or {}).get("account_name") or "")
        async with self.rt.transaction() as session:
            await meta.put(session, "zalo_account", self.account)
        log.info("connected to Zalo as %s", self.account or "bot")
        if not self.webhook:
            await self._remove_stale_webhook()
        return True

    async def use_webhook(self, url: str) -> None:
        secret = self.rt.settings.zalo_webhook_secret
        assert secret is not None, "a webhook needs BINHYEN_ZALO_WEBHOOK_SECRET"
        old = await self._webhook_url()
        await self._webhook_call("setWebhook", {"url": url,
                                                "secret_token": secret.get_secret_value()})
        log.info(webhook_line("Zalo", old, url))

    async def drop_webhook(self) -> None:
        await self._webhook_call("deleteWebhook")
        log.info("Zalo webhook removed: updates wait until the bot polls or sets it again")

    async def _remove_stale_webhook(self) -> None:
        """A bot that polls cannot while a webhook is set (409): remove one left behind."""
        try:
            old = await self._webhook_url()
            if old:
                await self._webhook_call("deleteWebhook")
                log.info("Zalo webhook at %s removed: this bot polls for updates "
                         "(BINHYEN_PUBLIC_URL or BINHYEN_ZALO_WEBHOOK_SECRET is not set)", old)
        except (Transient, WebhookRefused) as exc:
            log.warning("could not check Zalo for a webhook left registered (%s)", exc)

    async def _webhook_url(self) -> str:
        info = await self._webhook_call("getWebhookInfo")
        url = info.get("url") if isinstance(info, dict) else None
        return url if isinstance(url, str) else ""

    async def _webhook_call(self, method: str, body: dict[str, Any] | None = None) -> Any:
        try:
            return await self.client.call(method, body)
        except ApiError as exc:
            if exc.status >= 500:
                raise Transient(f"{method}: HTTP {exc.status}") from None
            raise WebhookRefused(f"Zalo {method}: {exc.description}") from None

    async def close(self) -> None:
        await self.client.close()

    # ---- receiving ----------------------------------------------------------------------
    @property
    def longest_wait(self) -> float:
        """Seconds between two rounds at most, normally: a long poll's HTTP timeout, the
        longest pause after a failed poll, or a standby's wait for the lease."""
        return max(self.rt.settings.poll_timeout + HTTP_MARGIN_S, BACKOFF_MAX_S,
                   self.rt.settings.lease_ttl_seconds / 3)

    async def poll_forever(self, stop: asyncio.Event, lease: LeaseKeeper,
                           beat: Beat = lambda: None) -> None:
        """Fetch and store, one update at a time, until `stop`. Zalo hands an update out once:
        one fetched but not yet stored (the database failed) stays in hand, and is stored
        first when the loop starts again."""
        delay = 1.0
        timeout = self.rt.settings.poll_timeout
        while not stop.is_set():
            beat()
            while self._in_hand:
                self.rt.faults.reach("after_fetch")
                await self.store(self._in_hand[0])
                self._in_hand.pop(0)
                self.rt.faults.reach("after_store")
            if await lease.acquire() is None:
                await pause(stop, lease.ttl.total_seconds() / 3)
                continue
            try:
                update = await self.client.call("getUpdates", {"timeout": str(timeout)},
                                                timeout=timeout + HTTP_MARGIN_S)
                delay = 1.0
            except ApiError as exc:
                if exc.code == POLL_TIMEOUT_CODE or exc.status == POLL_TIMEOUT_CODE:
                    continue
                log.warning("Zalo getUpdates refused (%s); retrying in %.0f s", exc.code, delay)
                await pause(stop, delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            except Transient:
                await pause(stop, delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            self._in_hand.extend(item for item in (update if isinstance(update, list)
                                                   else [update]) if item not in (None, {}))

    async def store(self, update: Any) -> bool:
        """Keep the update before anything else, whatever its shape; True when it was new."""
        if not isinstance(update, dict):
            update = {NOT_AN_OBJECT: update}
        key = inbox_store.update_key(self.rt, update_platform_id(update), update)
        async with self.rt.db.statement() as session:
            stored = await inbox_store.store(
                session, self.rt, NAME, [inbox_store.Received(key, update_sender(update), update)],
                shared=not self.webhook)
        self.rt.metrics.got(NAME, stored)
        self.on_stored()
        return stored > 0

    async def receive(self, headers: Mapping[str, str], body: bytes) -> int:
        """A webhook call: refused (401) without the right secret, nothing stored; 200 only
        once the update is committed to the inbox — any JSON, even one that is not an update's
        shape (stored as such). A database error propagates (the web server answers 503, so
        Zalo tries again)."""
        if not self.check_secret(headers.get(SECRET_HEADER)):
            return 401
        try:
            update = json.loads(body)
        except ValueError:
            return 400
        if isinstance(update, dict) and "event_name" not in update:
            update = update.get("result", update)
        await self.store(update)
        return 200

    def check_secret(self, header: str | None) -> bool:
        secret = self.rt.settings.zalo_webhook_secret
        if secret is None or header is None:
            return False
        return hmac.compare_digest(header.encode(), secret.get_secret_value().encode())

    # ---- handling -------------------------------------------------------------------------
    @staticmethod
    def needs_prepare(payload: dict[str, Any]) -> bool:
        return payload.get("event_name") in ("message.image.received", "message.voice.received",
                                             "message.audio.received")

    async def prepare(self, payload: dict[str, Any]) -> dict[str, tuple[int | None, str | None]]:
        """Download an image sent by URL and keep it as evidence, before the transaction."""
        incoming = _incoming(payload, "")
        if incoming is None or not incoming.attachments or not incoming.is_private:
            return {}
        owner = people.user_ref(self.rt, NAME, incoming.user_id)
        limit = int(self.rt.settings.max_download_mb * 1024 * 1024)
        found: dict[str, tuple[int | None, str | None]] = {}
        for item in incoming.attachments:
            try:
                data = await _download(item.file_ref, limit, self.rt.settings.request_timeout)
            except _TooBig:
                found[item.file_ref] = (None, "too_big")
                continue
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning("could not fetch a Zalo file (%s)", type(exc).__name__)
                found[item.file_ref] = (None, "failed")
                continue
            try:
                async with self.rt.transaction() as session:
                    row = await evidence.store(session, self.rt, owner_ref=owner,
                                               kind=item.kind.value, mime_type=item.mime_type,
                                               file_name=None, data=data)
                found[item.file_ref] = (row.id, None)
            except ValueError:
                found[item.file_ref] = (None, "failed")
        return found

    async def handle_stored(self, session: AsyncSession, payload: dict[str, Any],
                            prepared: Any = None) -> None:
        key = inbox_store.update_key(self.rt, update_platform_id(payload), payload)
        incoming = _incoming(payload, key)
        if incoming is None:
            return
        files = prepared or {}
        if incoming.attachments:
            incoming = replace(incoming, attachments=tuple(
                replace(a, evidence_id=files.get(a.file_ref, (None, None))[0],
                        problem=files.get(a.file_ref, (None, "failed"))[1])
                for a in incoming.attachments))
        await self.engine.handle(session, incoming)  # a file or a contact card too: see flows

    async def apologise(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        incoming = _incoming(payload, "")
        if incoming is None:
            return
        chat = await people.ensure_chat(session, self.rt, NAME, incoming.chat_id,
                                        ChatKind.PRIVATE)
        await outbox.enqueue(session, self.rt, chat, Outgoing(INTERNAL_ERROR))

    # ---- sending ---------------------------------------------------------------------------
    async def send(self, chat_id: str, request: PlatformRequest,
                   original: str | None = None) -> str | None:
        body = {**request.params, "chat_id": chat_id}
        try:
            result = await self.client.call(request.method, body)
        except ApiError as exc:
            code = exc.code or exc.status
            if code == 429 or exc.status == 429:
                raise RetryLater(1.0) from None
            if exc.status >= 500 or (exc.code or 0) >= 500:
                raise Transient(f"{exc.status}: {exc.description}") from None
            if NOT_INTERACTED.search(exc.description):
                raise NeedsContact(f"{code}: {exc.description}") from None
            if code == 403 or exc.status == 403:
                raise ChatGone(exc.description) from None
            if code in (400, 404) and "text" in exc.description.lower():
                raise Rejected(exc.description) from None
            # an unknown refusal: retried with backoff, then the row fails with the reason
            raise Transient(f"refused {code}: {exc.description}") from None
        message_id = (result or {}).get("message_id") if isinstance(result, dict) else None
        return None if message_id is None else str(message_id)


class _TooBig(Exception):
    pass


async def _download(url: str, limit: int, timeout: float) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        response.raise_for_status()
        if response.content_length is not None and response.content_length > limit:
            raise _TooBig()
        data = await response.content.read(limit + 1)
        if len(data) > limit:
            raise _TooBig()
        return data


def endpoint(settings: Settings) -> Endpoint | None:
    """Zalo runs when its token is set."""
    if settings.zalo_token is None:
        return None
    return Endpoint(settings.zalo_token.get_secret_value(), str(settings.zalo_api_url))


def build(rt: Runtime, engine: Engine, where: Endpoint) -> ZaloChannel:
    """Polling, unless a public address and a webhook secret are set: then Zalo calls us."""
    settings = rt.settings
    webhook = settings.public_url is not None and settings.zalo_webhook_secret is not None
    return ZaloChannel(rt, engine, token=where.token, api_url=where.api_url, webhook=webhook)


PLUGIN = ChannelType(endpoint=endpoint, build=build)
