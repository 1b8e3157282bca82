"""Telegram, through aiogram 3: long polling we drive ourselves (or a webhook), rendering, and
sending.

We call `getUpdates` ourselves (aiogram's polling confirms offsets before handlers finish): each
batch is stored in the durable inbox and committed *before* the next call confirms it, then fed
from the inbox to aiogram's dispatcher, whose handlers only translate to `Incoming` and call the
engine. With `BINHYEN_PUBLIC_URL` set, Telegram calls us instead (`setWebhook` with a
`secret_token`): a call without that secret in `X-Telegram-Bot-Api-Secret-Token` gets 401 and
stores nothing, and the 200 goes out only once the update is committed to the inbox. The
secret is `BINHYEN_TELEGRAM_WEBHOOK_SECRET`, or a keyed digest of the bot's id (the same in
every worker sharing the key file); it is never logged. A bot that polls removes a webhook
left registered, or `getUpdates` would be refused. Choices become inline buttons (callback data ≤ 64 bytes), contact and location requests
reply keyboards. Every request the bot makes goes through the outbox; `send` performs one.
Tokens never reach a log line (see `bot.logs`).

Whatever `getUpdates` returns is stored and acknowledged, whatever its shape: reading it at
poll time (`_sender`, `_update_id`) never raises, and an update aiogram cannot read is
`inbox_store.Malformed` when handled (`parse_update`), kept and skipped. One bad update must never
stop polling, let alone again after every restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher, Router, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    Message,
    Update,
    User,
)
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import (
    Capabilities,
    Channel,
    ChannelType,
    ChatGone,
    ChatMoved,
    DeliveryError,
    Endpoint,
    Rejected,
    RetryLater,
    Transient,
    WebhookRefused,
    pause,
    split_text,
    webhook_line,
)
from bot.config import Settings
from bot.flows import ButtonAnswer, Ctx, Engine
from bot.messages import (
    Attachment,
    ChatType,
    Incoming,
    InputKind,
    Media,
    Outgoing,
    PlatformRequest,
    choice_data,
)
from bot.models import Chat, ChatKind
from bot.runtime import ChannelParts, Runtime
from bot.services import evidence, inbox_store, meta, outbox, people
from content import channels as channel_words
from content.texts import INTERNAL_ERROR
from scheduler.lease import LeaseKeeper
from scheduler.limits import Limits
from scheduler.supervisor import Beat

log = logging.getLogger(__name__)

NAME = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_PURPOSE = "telegram-webhook"
MAX_TEXT = 4096
MAX_CAPTION = 1024
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
CAPABILITIES = Capabilities(
    buttons=True, groups=True, share_requests=True, max_text=MAX_TEXT, deletes_messages=True,
    edits=True, sends_files=True, receives_files=True,
)
CHOSEN_MARK = "\n\n» {label}"
REMOVE_KEYBOARD = {"remove_keyboard": True}
EVIDENCE_PARAM = "_evidence"
MEDIA_METHODS = {"photo": "sendPhoto", "video": "sendVideo", "voice": "sendVoice",
                 "audio": "sendAudio", "document": "sendDocument"}
# what may share an album (`sendMediaGroup`); a voice note never goes in one
ALBUM_FAMILIES = {"photo": "visual", "video": "visual", "document": "document", "audio": "audio"}
MAX_ALBUM = 10
CHAT_METHODS = {
    "sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage",
    "sendPhoto", "sendDocument", "sendVideo", "sendVoice", "sendMediaGroup", "sendChatAction",
    "sendLocation",
}
DONE_ANYWAY = (
    "message is not modified",
    "message to delete not found",
    "message to edit not found",
    "query is too old",
    "message can't be deleted",
)
BACKOFF_MAX_S = 60.0
HTTP_MARGIN_S = 15  # a long poll's HTTP timeout is the poll's timeout plus this
# Telegram's update ids are positive integers, in practice 32-bit; anything outside this range
# is not an id we can acknowledge by (JSON's safe integers).
MAX_UPDATE_ID = 2**53
NOT_AN_OBJECT = "_not_an_object"  # how an update that is not a JSON object is kept
USED_METHODS = (
    "GetMe", "GetUpdates", "SetMyCommands", "GetFile", "SendMessage", "EditMessageText",
    "EditMessageReplyMarkup", "DeleteMessage", "AnswerCallbackQuery", "SendPhoto", "SendVideo",
    "SendVoice", "SendAudio", "SendDocument", "SendMediaGroup",
)
# aiogram builds `Response[<return type>]` for every answer; pydantic keeps such generic
# classes only weakly, so under load they are rebuilt again and again (milliseconds each).
# Holding them here makes every lookup hit the cache.
_RESPONSE_TYPES = [Response[getattr(methods, name).__returning__] for name in USED_METHODS]
Prepared = dict[str, tuple[int | None, str | None]]  # file id → (evidence id, problem)


class TelegramRenderer:
    """Outgoing → Bot API requests: inline buttons for choices, reply keyboards for requests,
    files by the evidence they come from (`EVIDENCE_PARAM`, read by `TelegramChannel.send`),
    several files as albums (`sendMediaGroup`), an edit as `editMessageText`.

    Every request fits: a text longer than `MAX_TEXT` becomes several messages (`split_text`),
    a caption longer than `MAX_CAPTION` continues in text messages after its file, and the
    buttons go on the last message, after everything they act on (an album cannot carry
    buttons: then its text follows it as messages)."""

    def render(self, message: Outgoing) -> list[PlatformRequest]:
        if message.edit_of is not None:
            return self._edit(message)
        if message.request is not None:  # how to answer here: type, or the button
            hint = channel_words.REQUEST_HINTS[message.request]
            message = replace(message, text=f"{message.text.rstrip()}\n\n{hint}")
        markup = self.markup(message)
        closing: list[PlatformRequest] = []
        if message.close_request and markup is None:
            markup = REMOVE_KEYBOARD
        elif message.close_request and "inline_keyboard" in markup:
            # one markup a message: the reply keyboard goes with a short line of its own
            closing = [PlatformRequest("sendMessage", {"text": channel_words.REQUEST_CLOSED,
                                                       "reply_markup": REMOVE_KEYBOARD})]
        if len(message.attachments) > 1:
            return closing + self._with_markup(self._album(message, markup is None), markup)
        if message.attachments:
            caption, *texts = split_text(message.text, MAX_TEXT, first_limit=MAX_CAPTION) or [""]
            requests = [self._file(message.attachments[0], caption)]
        else:
            texts, requests = split_text(message.text, MAX_TEXT), []
        requests += [PlatformRequest("sendMessage", {"text": text}) for text in texts]
        return closing + self._with_markup(requests, markup)

    def _edit(self, message: Outgoing) -> list[PlatformRequest]:
        """The first part replaces the old text (a message keeps its place in the chat); what
        no longer fits follows as new messages. An edit carries inline buttons only."""
        first, *more = split_text(message.text, MAX_TEXT) or [message.text]
        requests = [PlatformRequest("editMessageText", {"text": first}, edit_of=message.edit_of,
                                    new_message=False)]
        requests += [PlatformRequest("sendMessage", {"text": text}) for text in more]
        markup = self.markup(message)
        if markup is not None and "inline_keyboard" not in markup:
            markup = None
        return self._with_markup(requests, markup)

    def _album(self, message: Outgoing, captioned: bool) -> list[PlatformRequest]:
        """The files as media groups (a lone file of its kind as itself), the caption on the
        first; uncaptioned (it has buttons to carry), the text follows as messages."""
        if captioned:
            caption, *texts = split_text(message.text, MAX_TEXT, first_limit=MAX_CAPTION) or [""]
        else:
            caption, texts = "", split_text(message.text, MAX_TEXT)
            if not texts:
                raise ValueError("an album's choices need a text to go under")
        requests = []
        for group in _albums(message.attachments):
            if len(group) == 1:
                requests.append(self._file(group[0], caption))
            else:
                media = [{"type": _sent_as(file.kind), EVIDENCE_PARAM: file.evidence_id}
                         for file in group]
                if caption:
                    media[0]["caption"] = caption
                requests.append(PlatformRequest("sendMediaGroup", {"media": media}))
            caption = ""
        return requests + [PlatformRequest("sendMessage", {"text": text}) for text in texts]

    @staticmethod
    def _file(file: Media, caption: str) -> PlatformRequest:
        params: dict[str, Any] = {EVIDENCE_PARAM: file.evidence_id}
        if caption:
            params["caption"] = caption
        return PlatformRequest(MEDIA_METHODS[_sent_as(file.kind)], params)

    @staticmethod
    def _with_markup(requests: list[PlatformRequest], markup: dict[str, Any] | None
                     ) -> list[PlatformRequest]:
        if markup is not None and requests:
            last = requests[-1]
            requests[-1] = replace(last, params={**last.params, "reply_markup": markup})
        return requests

    @staticmethod
    def chosen_mark(message_id: int, text: str, label: str) -> PlatformRequest | None:
        """The edit that shows under a prompt which choice was taken; none when the mark would
        not fit the message (the answer that follows shows the choice anyway)."""
        marked = text + CHOSEN_MARK.format(label=label)
        if len(marked) > MAX_TEXT:
            return None
        return PlatformRequest("editMessageText", {"message_id": message_id, "text": marked},
                               new_message=False)

    @staticmethod
    def markup(message: Outgoing) -> dict[str, Any] | None:
        if message.request is not None:  # a choice ("Bỏ qua") first, the share button last
            rows = [[{"text": choice.label}] for choice in message.choices]
            rows += [[{"text": channel_words.REQUEST_BUTTONS[message.request],
                       f"request_{message.request.value}": True}]]
            return {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
        if message.choices:
            columns = max(1, message.columns)
            buttons = [
                {"text": c.label, "callback_data": choice_data(message.token, c.id)}
                for c in message.choices
            ]
            rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
            return {"inline_keyboard": rows}
        return None


def _sent_as(kind: str) -> str:
    """How a stored file goes: as its kind, or as a document when Telegram has no such kind."""
    return kind if kind in MEDIA_METHODS else "document"


def _albums(files: tuple[Media, ...]) -> list[list[Media]]:
    """The files in order, grouped as Telegram's albums take them: photos and videos together,
    documents together, audio together, at most `MAX_ALBUM` each; a voice note on its own."""
    groups: list[list[Media]] = []
    for file in files:
        family = ALBUM_FAMILIES.get(_sent_as(file.kind))  # None: never in an album
        if (groups and family is not None and len(groups[-1]) < MAX_ALBUM
                and ALBUM_FAMILIES.get(_sent_as(groups[-1][-1].kind)) == family):
            groups[-1].append(file)
        else:
            groups.append([file])
    return groups


def _command(message: Message, bot_username: str) -> tuple[str | None, str, bool]:
    """(command, args, addressed) from a message whose first entity is a bot command."""
    text = message.text or ""
    entity = (message.entities or [None])[0]
    if entity is None or entity.type != "bot_command" or entity.offset != 0:
        return None, "", True
    word = text[1 : entity.length]
    name, _, target = word.partition("@")
    addressed = not target or target.lower() == bot_username.lower()
    return name, text[entity.length :].strip(), addressed


def _attachments(message: Message) -> tuple[InputKind, tuple[Attachment, ...]]:
    album = message.media_group_id
    if message.photo:
        biggest = message.photo[-1]
        return InputKind.PHOTO, (
            Attachment(InputKind.PHOTO, biggest.file_id, biggest.file_size, "image/jpeg",
                       None, album),
        )
    for kind, media in (
        (InputKind.VIDEO, message.video),
        (InputKind.VOICE, message.voice),
        (InputKind.AUDIO, message.audio),
        (InputKind.DOCUMENT, message.document),
    ):
        if media is not None:
            return kind, (
                Attachment(kind, media.file_id, media.file_size,
                           getattr(media, "mime_type", None),
                           getattr(media, "file_name", None), album),
            )
    if message.sticker:
        return InputKind.STICKER, ()
    return InputKind.OTHER, ()


class TelegramChannel(Channel):
    """One Telegram bot: polls, stores, dispatches, renders, sends."""

    name = NAME

    def __init__(
        self,
        rt: Runtime,
        engine: Engine,
        *,
        token: str,
        api_url: str,
        proxy: str | None = None,
        commands: list[tuple[str, str]] | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self.rt = rt
        # Telegram calls us (the webhook) when there is a secret to check its calls by
        self.webhook = webhook_secret is not None
        self._secret = webhook_secret or ""
        self.engine = engine
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/")), proxy=proxy)
        self.bot = Bot(token=token, session=session)
        self.username = ""
        self.dispatcher = Dispatcher(disable_fsm=True)  # conversation state is ours
        self.dispatcher.include_router(self._router())
        self.renderer = TelegramRenderer()
        self.offset: int | None = None
        self.commands = commands or []
        self.on_stored: Callable[[], None] = lambda: None

    # ---- wiring ------------------------------------------------------------------------
    def parts(self) -> ChannelParts:
        return ChannelParts(self.renderer, CAPABILITIES, self.deep_link)

    def limits(self) -> Limits:
        settings = self.rt.settings
        return Limits(global_per_second=settings.telegram_limit_per_second,
                      group_per_minute=settings.telegram_limit_group_per_minute,
                      private_per_second=settings.telegram_limit_private_per_second,
                      margin=settings.rate_margin)

    def deep_link(self, payload: str) -> str | None:
        return f"https://t.me/{self.username}?start={payload}" if self.username else None

    async def connect(self, stop: asyncio.Event) -> bool:
        """getMe with backoff until the Bot API answers (or `stop`); then publish commands."""
        delay = 1.0
        while not stop.is_set():
            try:
                me = await self.bot.get_me()
                break
            except TelegramUnauthorizedError:
                log.error("Telegram rejected the bot token (401); check BINHYEN_TELEGRAM_TOKEN")
                raise
            except (TelegramNetworkError, TelegramServerError, OSError) as exc:
                log.warning("Bot API unreachable (%s); retrying in %.0f s", type(exc).__name__,
                            delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
        else:
            return False
        self.username = me.username or ""
        async with self.rt.transaction() as session:
            if await meta.get(session, "telegram_username") != self.username:
                await meta.put(session, "telegram_username", self.username)
        await self.bot.set_my_commands(
            [BotCommand(command=c, description=d) for c, d in self.commands])
        log.info("connected to Telegram as @%s", self.username)
        if not self.webhook:
            await self._remove_stale_webhook()
        return True

    # ---- the webhook ------------------------------------------------------------------
    async def use_webhook(self, url: str) -> None:
        """setWebhook with our secret and the updates polling asks for, saying whether it is
        new, changed or the same as before."""
        old = await self._webhook_url()
        await self._webhook_call("setWebhook", {
            "url": url, "secret_token": self._secret, "allowed_updates": ALLOWED_UPDATES})
        log.info(webhook_line("Telegram", old, url))

    async def drop_webhook(self) -> None:
        await self._webhook_call("deleteWebhook", {})
        log.info("Telegram webhook removed: Telegram keeps updates until the bot starts again")

    async def _remove_stale_webhook(self) -> None:
        """A bot that polls cannot while a webhook is set (409): remove one left behind."""
        try:
            old = await self._webhook_url()
            if old:
                await self._webhook_call("deleteWebhook", {})
                log.info("Telegram webhook at %s removed: this bot polls for updates "
                         "(BINHYEN_PUBLIC_URL is not set)", old)
        except (Transient, WebhookRefused) as exc:
            log.warning("could not check Telegram for a webhook left registered (%s)", exc)

    async def _webhook_url(self) -> str:
        info = await self._webhook_call("getWebhookInfo", {})
        url = info.get("url") if isinstance(info, dict) else None
        return url if isinstance(url, str) else ""

    async def _webhook_call(self, method: str, params: dict[str, Any]) -> Any:
        status, answer = await self._post_json(method, params, self.rt.settings.request_timeout)
        if not isinstance(answer, dict) or status >= 500:
            raise Transient(f"{method}: HTTP {status}")
        if not answer.get("ok"):
            raise WebhookRefused(f"Telegram {method}: {answer.get('description') or status}")
        return answer.get("result")

    async def receive(self, headers: Mapping[str, str], body: bytes) -> int:
        """A webhook call: 401 without our secret (nothing stored), 200 once the update is
        committed to the inbox — whatever its shape, as when polling. A database error
        propagates (the web server answers 503 and Telegram tries again)."""
        offered = headers.get(SECRET_HEADER) or ""
        if not self.webhook or not hmac.compare_digest(offered.encode(), self._secret.encode()):
            return 401
        try:
            update = json.loads(body)
        except ValueError:
            return 400
        await self.store([update if isinstance(update, dict) else {NOT_AN_OBJECT: update}])
        return 200

    async def close(self) -> None:
        await self.bot.session.close()

    # ---- receiving: getUpdates → inbox ------------------------------------------------
    @property
    def longest_wait(self) -> float:
        """Seconds between two rounds at most, normally: a long poll's HTTP timeout, the
        longest pause after a failed poll, or a standby's wait for the lease."""
        return max(self.rt.settings.poll_timeout + HTTP_MARGIN_S, BACKOFF_MAX_S,
                   self.rt.settings.lease_ttl_seconds / 3)

    async def poll_forever(self, stop: asyncio.Event, lease: LeaseKeeper,
                           beat: Beat = lambda: None) -> None:
        """Fetch, store, acknowledge (with the next call's offset), until `stop`. A database
        error ends this loop (the supervisor starts it again): what was fetched and not yet
        stored was not acknowledged either, so it comes again."""
        delay = 1.0
        standby = lease.ttl.total_seconds() / 3
        while not stop.is_set():
            beat()
            if await lease.acquire() is None:
                await pause(stop, standby, jitter=False)  # another process polls this bot
                continue
            try:
                updates = await self._get_updates()
                delay = 1.0
            except _PollProblem as problem:
                if problem.conflict:
                    log.warning("another program is polling this bot (409); waiting")
                else:
                    log.warning("getUpdates failed (%s); retrying in %.0f s", problem, delay)
                await pause(stop, delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            if not updates:
                continue
            self.rt.faults.reach("after_fetch")
            await self.store(updates)
            self.rt.faults.reach("after_store")
            offset = next_offset(self.offset, updates)
            if offset is None:
                # nothing in the batch says where it ends: it comes again; do not spin on it
                log.warning("getUpdates gave %d update(s) without a readable update_id and "
                            "nothing to count from; asking again", len(updates))
                await pause(stop, delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
                continue
            self.offset = offset

    async def _get_updates(self) -> list[dict[str, Any]]:
        """getUpdates as plain JSON: the inbox stores updates as they came and aiogram parses
        each once, when it is handled (parsing here and dumping again for storage cost more
        than the rest of receiving)."""
        params: dict[str, Any] = {"timeout": self.rt.settings.poll_timeout,
                                  "allowed_updates": ALLOWED_UPDATES}
        if self.offset is not None:
            params["offset"] = self.offset
        try:
            status, answer = await self._post_json(
                "getUpdates", params, self.rt.settings.poll_timeout + 15)
        except Transient as exc:
            raise _PollProblem(str(exc)) from None
        if isinstance(answer, dict) and answer.get("ok"):
            result = answer.get("result")
            if not isinstance(result, list):
                return []
            return [u if isinstance(u, dict) else {NOT_AN_OBJECT: u} for u in result]
        description = answer.get("description") if isinstance(answer, dict) else None
        raise _PollProblem(f"HTTP {status}: {description or 'not a Bot API answer'}",
                           conflict=status == 409)

    async def _post_json(self, method: str, params: dict[str, Any], timeout_s: float
                         ) -> tuple[int, Any]:
        """One Bot API call over aiogram's HTTP session: (status, decoded answer or None).
        Network failures become `Transient`, never carrying the URL (it holds the token)."""
        url = self.bot.session.api.api_url(token=self.bot.token, method=method)
        try:
            http = await self.bot.session.create_session()
            async with http.post(url, json=params,
                                 timeout=aiohttp.ClientTimeout(total=timeout_s)) as response:
                try:
                    return response.status, await response.json(content_type=None)
                except ValueError:
                    return response.status, None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Transient(f"network: {type(exc).__name__}") from None

    async def store(self, updates: list[dict[str, Any]]) -> None:
        received = [inbox_store.Received(
            inbox_store.update_key(self.rt, str(_update_id(payload)), payload), _sender(payload),
            payload) for payload in updates]
        async with self.rt.db.statement() as session:
            stored = await inbox_store.store(session, self.rt, NAME, received,
                                             shared=not self.webhook)
        self.rt.metrics.got(NAME, stored)
        self.on_stored()

    # ---- handling: inbox → dispatcher → engine ---------------------------------------
    @staticmethod
    def needs_prepare(payload: dict[str, Any]) -> bool:
        """Only a private message carrying a file needs fetching before it is handled."""
        message = _object(payload.get("message"))
        if _object(message.get("chat")).get("type") != "private":
            return False
        return any(key in message for key in ("photo", "video", "voice", "audio", "document"))

    async def prepare(self, payload: dict[str, Any]) -> dict[str, tuple[int | None, str | None]]:
        """Fetch the files of a private message and store them as evidence (metadata stripped,
        encrypted), before the handling transaction; returns file id → (evidence id, problem)."""
        update = parse_update(payload, self.bot)
        message = update.message
        if message is None or message.chat.type != "private" or message.from_user is None:
            return {}
        _, attachments = _attachments(message)
        if not attachments:
            return {}
        owner = people.user_ref(self.rt, NAME, str(message.from_user.id))
        limit = int(self.rt.settings.max_download_mb * 1024 * 1024)
        found: dict[str, tuple[int | None, str | None]] = {}
        for item in attachments:
            if item.size is not None and item.size > limit:
                found[item.file_ref] = (None, "too_big")
                continue
            try:
                file = await self.bot.get_file(item.file_ref)
                if file.file_size is not None and file.file_size > limit:
                    found[item.file_ref] = (None, "too_big")
                    continue
                assert file.file_path is not None
                data = await self.bot.download_file(file.file_path)
                assert data is not None
                async with self.rt.transaction() as session:
                    row = await evidence.store(
                        session, self.rt, owner_ref=owner, kind=item.kind.value,
                        mime_type=item.mime_type, file_name=item.file_name, data=data.read())
                found[item.file_ref] = (row.id, None)
            except (TelegramBadRequest, TelegramNetworkError, TelegramServerError,
                    AssertionError, ValueError, OSError) as exc:
                log.warning("could not fetch a file (%s)", type(exc).__name__)
                found[item.file_ref] = (None, "failed")
        return found

    async def handle_stored(self, session: AsyncSession, payload: dict[str, Any],
                            prepared: Any = None) -> None:
        update = parse_update(payload, self.bot)
        await self.dispatcher.feed_update(self.bot, update, session=session, channel=self,
                                          prepared=prepared or {})

    async def apologise(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        """An update failed every attempt: tell its sender, in private chats only."""
        update = parse_update(payload, self.bot)
        message = update.message or (update.callback_query and update.callback_query.message)
        if not isinstance(message, Message) or message.chat.type != "private":
            return
        chat = await people.ensure_chat(session, self.rt, NAME, str(message.chat.id),
                                        ChatKind.PRIVATE)
        await outbox.enqueue(session, self.rt, chat, Outgoing(INTERNAL_ERROR))

    def _router(self) -> Router:
        router = Router(name="telegram")

        @router.message()
        async def on_message(message: Message, session: AsyncSession, event_update: Update,
                             prepared: Prepared) -> None:
            await self._on_message(session, message, str(event_update.update_id), prepared)

        @router.callback_query()
        async def on_button(query: CallbackQuery, session: AsyncSession,
                            event_update: Update) -> None:
            await self._on_button(session, query, str(event_update.update_id))

        @router.my_chat_member()
        async def on_membership(update: ChatMemberUpdated, session: AsyncSession) -> None:
            await self._on_membership(session, update)

        return router

    async def _on_message(self, session: AsyncSession, message: Message, key: str,
                          prepared: Prepared) -> None:
        if message.migrate_to_chat_id:
            await self._follow_migration(session, message.chat.id, message.migrate_to_chat_id)
            return
        incoming = message_incoming(message, key, self.username, prepared)
        if incoming is None:
            return
        ctx = await self.engine.handle(session, incoming)
        if ctx.delete_command and incoming.chat_type is ChatType.GROUP:
            await outbox.enqueue_request(
                session, self.rt, ctx.chat,
                PlatformRequest("deleteMessage", {"message_id": message.message_id},
                                new_message=False),
            )

    async def _on_button(self, session: AsyncSession, query: CallbackQuery, key: str) -> None:
        message = query.message
        incoming = button_incoming(query, key)
        if incoming is None or not isinstance(message, Message):
            return

        def answer_button(ctx: Ctx) -> ButtonAnswer:
            """Stop the button's spinner (with the step's toast) and mark what was chosen."""
            answer: dict[str, Any] = {"callback_query_id": query.id}
            if ctx.toast:
                answer["text"] = ctx.toast
            mark = []
            if ctx.chosen is not None and message.text:
                edit = self.renderer.chosen_mark(message.message_id, message.text,
                                                 ctx.chosen.label)
                mark += [edit] if edit is not None else []
            return ButtonAnswer([PlatformRequest("answerCallbackQuery", answer)], mark)

        await self.engine.handle(session, incoming, answer_button=answer_button)

    async def _on_membership(self, session: AsyncSession, update: ChatMemberUpdated) -> None:
        if update.chat.type not in ("group", "supergroup"):
            return
        chat = await people.ensure_chat(
            session, self.rt, NAME, str(update.chat.id), ChatKind.GROUP, update.chat.title
        )
        if update.new_chat_member.status in ("member", "administrator", "creator"):
            chat.active, chat.inactive_reason = True, None
        else:
            await people.mark_chat_gone(session, self.rt, chat, "bot removed from the group")

    async def _follow_migration(self, session: AsyncSession, old_id: int, new_id: int) -> None:
        old_ref = people.chat_ref(self.rt, NAME, str(old_id))
        chat = await session.scalar(select(Chat).where(Chat.channel == NAME,
                                                       Chat.chat_ref == old_ref))
        if chat is not None:
            await people.move_chat(session, self.rt, chat, str(new_id))

    async def _evidence_file(self, evidence_id: int) -> evidence.EvidenceFile | None:
        async with self.rt.db.reading() as session:
            return await evidence.load(session, self.rt, evidence_id)

    # ---- sending: one outbox request --------------------------------------------------
    async def send(self, chat_id: str, request: PlatformRequest,
                   original: str | None = None) -> str | None:
        """Perform one request (`original`: the id of the message an edit changes). Plain JSON
        requests (almost all) go straight over aiogram's own HTTP session, skipping its
        per-call model building, which costs more than the network at broadcast rates; file
        uploads go through aiogram's typed methods."""
        params = dict(request.params)
        if request.method in CHAT_METHODS:
            params["chat_id"] = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        if original is not None:
            params["message_id"] = int(original)
        evidence_id = params.pop(EVIDENCE_PARAM, None)
        if evidence_id is not None or request.method == "sendMediaGroup":
            return await self._upload(request.method, params, evidence_id)
        status, answer = await self._post_json(request.method, params,
                                               self.rt.settings.request_timeout)
        if not isinstance(answer, dict):
            raise Transient(f"HTTP {status}: not a Bot API answer")
        if answer.get("ok"):
            result = answer.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return None if message_id is None else str(message_id)
        error = _delivery_error(status, answer)
        if error is None:
            return None  # e.g. "message is not modified": nothing left to do
        raise error

    async def _upload(self, method: str, params: dict[str, Any], evidence_id: Any
                      ) -> str | None:
        """A file (its evidence id), or an album (each item's), uploaded."""
        if evidence_id is not None:
            field = method.removeprefix("send").lower()
            params[field] = await self._input_file(int(evidence_id), field)
        else:
            params["media"] = [
                {**{k: v for k, v in item.items() if k != EVIDENCE_PARAM},
                 "media": await self._input_file(int(item[EVIDENCE_PARAM]), item["type"])}
                for item in params["media"]]
        method_class = getattr(methods, method[0].upper() + method[1:])
        try:
            result = await self.bot(method_class.model_validate(params),
                                    request_timeout=int(self.rt.settings.request_timeout))
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after)) from None
        except TelegramMigrateToChat as exc:
            raise ChatMoved(str(exc.migrate_to_chat_id)) from None
        except TelegramForbiddenError as exc:
            raise ChatGone(exc.message) from None
        except (TelegramServerError, TelegramNetworkError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc.message}") from None
        except TelegramBadRequest as exc:
            raise Rejected(exc.message) from None
        first = result[0] if isinstance(result, list) and result else result  # an album's first
        message_id = getattr(first, "message_id", None)
        return None if message_id is None else str(message_id)

    async def _input_file(self, evidence_id: int, kind: str) -> BufferedInputFile:
        file = await self._evidence_file(evidence_id)
        if file is None:
            raise Rejected("evidence no longer stored")
        return BufferedInputFile(file.data, file.file_name or f"{kind}-{file.id}")


def _delivery_error(status: int, answer: dict[str, Any]) -> DeliveryError | None:
    """What a refused Bot API answer means for the delivery worker (as aiogram reads it)."""
    description = str(answer.get("description") or f"HTTP {status}")
    parameters = answer.get("parameters") or {}
    code = int(answer.get("error_code") or status)
    if parameters.get("retry_after") is not None or code == 429:
        return RetryLater(float(parameters.get("retry_after") or 1))
    if parameters.get("migrate_to_chat_id") is not None:
        return ChatMoved(str(parameters["migrate_to_chat_id"]))
    if code == 403:
        return ChatGone(description)
    if code >= 500:
        return Transient(f"{code}: {description}")
    if any(phrase in description for phrase in DONE_ANYWAY):
        return None
    return Rejected(description)


def read_update(payload: dict[str, Any], username: str = "") -> Incoming | None:
    """What a stored update says, in the core's terms, as the dispatcher routes it: None for
    an update that is no person's input (membership changes, migrations, other bots), or
    `inbox_store.Malformed`. Nothing else may come out of any payload (the fuzz tests hold it)."""
    update = parse_update(payload)
    key = str(update.update_id)
    if update.message is not None:
        return message_incoming(update.message, key, username)
    if update.callback_query is not None:
        return button_incoming(update.callback_query, key)
    return None


def message_incoming(message: Message, key: str, username: str,
                     prepared: Prepared | None = None) -> Incoming | None:
    """A person's message in the core's terms; None for a migration notice, a channel post, a
    bot's message or a command addressed to another bot."""
    if message.migrate_to_chat_id or message.migrate_from_chat_id:
        return None  # the group's upgrade, followed by `_follow_migration`
    if message.chat.type not in ("private", "group", "supergroup") or message.from_user is None:
        return None
    if message.from_user.is_bot:
        return None
    command, args, addressed = _command(message, username)
    if command is not None and not addressed:
        return None
    prepared = prepared or {}
    kind, attachments = _attachments(message)
    attachments = tuple(
        replace(a, evidence_id=prepared.get(a.file_ref, (None, None))[0],
                problem=prepared.get(a.file_ref, (None, "failed"))[1])
        for a in attachments
    )
    location = contact = None
    contact_is_own = False
    if message.location:
        kind, location = InputKind.LOCATION, (message.location.latitude,
                                             message.location.longitude)
    elif message.contact:
        kind, contact = InputKind.CONTACT, message.contact.phone_number
        contact_is_own = message.contact.user_id == message.from_user.id
    elif command is not None:
        kind = InputKind.COMMAND
    elif message.text is not None:
        kind = InputKind.TEXT
    return _incoming(
        key, message, message.from_user, kind,
        text=message.text or message.caption or "",
        command=command,
        args=args,
        message_id=str(message.message_id),
        attachments=attachments,
        location=location,
        contact_phone=contact,
        contact_is_own=contact_is_own,
        sent_at=message.date,
    )


def button_incoming(query: CallbackQuery, key: str) -> Incoming | None:
    """A pressed button in the core's terms; None when its message is no longer accessible."""
    message = query.message
    if not isinstance(message, Message):
        return None
    return _incoming(
        key, message, query.from_user, InputKind.CHOICE,
        pressed=query.data or "",
        message_id=str(message.message_id),
    )


def _incoming(key: str, message: Message, user: User, kind: InputKind,
              **details: Any) -> Incoming:
    """What every Telegram event shares, in the core's terms."""
    return Incoming(
        channel=NAME, update_key=key, chat_id=str(message.chat.id),
        chat_type=ChatType.PRIVATE if message.chat.type == "private" else ChatType.GROUP,
        chat_title=message.chat.title, user_id=str(user.id), user_name=user.full_name,
        kind=kind, **details,
    )


def parse_update(payload: dict[str, Any], bot: Bot | None = None) -> Update:
    """A stored update as aiogram's typed model, or `inbox_store.Malformed` naming what is wrong
    (field paths and error kinds only: the content never reaches the message)."""
    if _update_id(payload) is None:
        raise inbox_store.Malformed("update_id: missing or not an id")
    try:
        return Update.model_validate(payload, context={"bot": bot})
    except ValidationError as exc:
        problems = [f"{'.'.join(str(part) for part in error['loc'])}: {error['type']}"
                    for error in exc.errors(include_url=False, include_input=False)[:3]]
        raise inbox_store.Malformed("; ".join(problems)[:300]) from None


def _update_id(update: dict[str, Any]) -> int | None:
    """The update's id, if it is one (an integer Telegram could have sent)."""
    value = update.get("update_id")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_UPDATE_ID:
        return value
    return None


def next_offset(offset: int | None, updates: list[dict[str, Any]]) -> int | None:
    """The offset that acknowledges the whole batch; None when nothing tells where it ends.

    As always, one past the last update's id. An update whose id cannot be read counts as one
    more than the update before it (or than the last offset): Telegram's ids grow by at least
    one from one update to the next, so this never passes an update the batch does not hold.
    At worst an unreadable last update comes again, and the next offset is one further on."""
    last = None if offset is None else offset - 1
    for update in updates:
        known = _update_id(update)
        if known is not None:
            last = known
        elif last is not None:
            last += 1
    return None if last is None else last + 1


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _sender(update: dict[str, Any]) -> str:
    """Whose updates must be handled in order: the user (per chat for groups). Read from the
    update as received, before any parsing, so it takes any shape without raising."""
    message = update.get("message")
    if isinstance(message, dict) and isinstance(message.get("from"), dict):
        return f"{_object(message.get('chat')).get('id')}:{message['from'].get('id')}"
    query = update.get("callback_query")
    if isinstance(query, dict):
        chat_id = _object(_object(query.get("message")).get("chat")).get("id", 0)
        return f"{chat_id}:{_object(query.get('from')).get('id')}"
    member = update.get("my_chat_member")
    if isinstance(member, dict):
        return f"{_object(member.get('chat')).get('id')}:membership"
    return f"update:{_update_id(update)}"


class _PollProblem(Exception):
    """getUpdates did not give updates: the network, the server, or a 409 conflict."""

    def __init__(self, reason: str, *, conflict: bool = False) -> None:
        super().__init__(reason)
        self.conflict = conflict


def endpoint(settings: Settings) -> Endpoint | None:
    """Telegram runs when its token is set (through the proxy, if one is)."""
    if settings.telegram_token is None:
        return None
    return Endpoint(settings.telegram_token.get_secret_value(), str(settings.telegram_api_url),
                    settings.telegram_proxy)


def webhook_secret(rt: Runtime, token: str) -> str:
    """The secret Telegram's webhook calls must carry: the setting, or a keyed digest of the
    bot's id (every worker with the same key file derives the same; hex fits Telegram's
    alphabet for it)."""
    configured = rt.settings.telegram_webhook_secret
    if configured is not None:
        return configured.get_secret_value()
    return rt.digest(token.partition(":")[0], SECRET_PURPOSE)


def build(rt: Runtime, engine: Engine, where: Endpoint) -> TelegramChannel:
    """The channel, with the public commands of the engine's registry as the bot's menu;
    taking webhooks when the bot has a public address, else polling."""
    commands = [(c.name, c.description) for c in engine.registry.commands.values() if c.public]
    secret = webhook_secret(rt, where.token) if rt.settings.public_url is not None else None
    return TelegramChannel(rt, engine, token=where.token, api_url=where.api_url,
                           proxy=where.proxy, commands=commands, webhook_secret=secret)


PLUGIN = ChannelType(endpoint=endpoint, build=build)
