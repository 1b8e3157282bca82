"""An in-memory stand-in for Telegram, for running the real bot with no token or network.

`TelegramSandbox` holds every user, chat, message, file and pending update. Its Bot API
methods (`send_message`, `send_photo`, `get_file`, `get_updates`, ...) behave like
Telegram's, with the same error texts, and are reached over HTTP through `call_bot_api`
(see bot.sandbox.server). Its control operations (`user_message`, `press_button`,
`migrate_chat`, `transcript`, `settle`, ...) let tests and the web chat page act as
Telegram users and watch what the bot did. It also carries the injected `faults`, the
flood-control `limiter` and the `stats` the server applies to every request, and settles
like any emulator (see bot.sandbox.core).

A bot may set a webhook (setWebhook, with a secret_token) instead of polling: the pending
updates are then POSTed to it in order, with the `X-Telegram-Bot-Api-Secret-Token` header
(bot.sandbox.webhooks), and getUpdates answers 409 until deleteWebhook, as Telegram does.
Telegram wants an HTTPS URL on port 443, 80, 88 or 8443; the sandbox also takes plain http on
any port of a loopback address, where tests and a local bot listen.

Everything time-based reads `clock()` (message dates, rate-limit windows), so a test can
pass a fake clock and move time instead of sleeping; only long polling and injected
delays wait in real time. All methods are async and safe to call concurrently from one
event loop: state changes never span an `await`.
"""

import copy
import dataclasses
import ipaddress
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from yarl import URL

from bot.sandbox.commands import CommandStore, normalize_scope, validate_commands
from bot.sandbox.content import parse_user_content
from bot.sandbox.core import EmulatorCore
from bot.sandbox.errors import BotApiError, ControlError, bad_request
from bot.sandbox.files import DOWNLOAD_LIMIT_BYTES, StoredFile, Upload
from bot.sandbox.markup import inline_buttons, is_inline, validate_reply_markup
from bot.sandbox.media import FileDetails, MediaLibrary
from bot.sandbox.methods import BOT_API_METHODS, CHAT_ACTIONS
from bot.sandbox.specs import (
    ChatSpec,
    parse_chat,
    parse_membership_status,
    parse_user,
    require_int,
)
from bot.sandbox.state import (
    DEFAULT_GROUPS,
    DEFAULT_PERSONAS,
    CallbackQueryState,
    ChatState,
    StoredMessage,
)
from bot.sandbox.text import command_target, prepare_bot_text, prepare_caption
from bot.sandbox.updates import UpdateQueue
from bot.sandbox.webhooks import Webhook, WebhookDelivery

DEFAULT_TOKEN = "7000000001:SANDBOX-binhyen-local-token"

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_CONNECTIONS = range(1, 101)
DEFAULT_MAX_CONNECTIONS = 40
SMALLEST_SUPERGROUP_ID = -1_000_000_000_000
MEDIA_GROUP_SIZES = range(2, 11)
MEDIA_GROUP_KINDS = frozenset({"photo", "video", "audio", "document"})
_DELIVERY_OPTIONS = (
    "reply_markup",
    "reply_parameters",
    "reply_to_message_id",
    "allow_sending_without_reply",
    "protect_content",
)
MAX_CALLBACK_ANSWER_LENGTH = 200
_FIRST_CALLBACK_QUERY_ID = 4_000_000_000_000_000_001
_FIRST_MEDIA_GROUP_ID = 13_900_000_000_000_001
_DETAIL_OPTIONS = ("duration", "width", "height", "performer", "title", "emoji")
_LOCATION_RANGES: dict[str, tuple[float, float]] = {
    "horizontal_accuracy": (0, 1500),
    "live_period": (60, 0x7FFFFFFF),
    "heading": (1, 360),
    "proximity_alert_radius": (1, 100_000),
}
BOT_ADMIN_RIGHTS: dict[str, bool] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_pin_messages": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
}


def supergroup_id(group_id: int) -> int:
    """The id Telegram gives a group upgraded to a supergroup: -100 then 10 digits."""
    return int(f"-100{abs(group_id):010d}")


def raw_chat_id(params: Mapping[str, Any]) -> int | None:
    """The integer chat_id of raw Bot API parameters, if they have one."""
    value = params.get("chat_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def bot_id_from_token(token: str) -> int:
    """The bot's user id, which Telegram puts before the colon of its token."""
    left, sep, right = token.partition(":")
    if not (sep and left.isdigit() and right):
        raise ValueError("a bot token looks like '123456:secret'")
    return int(left)


class TelegramSandbox(EmulatorCore):
    """All of the fake Telegram's state, its Bot API methods and its control operations."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_first_name: str = "Bình Yên",
        bot_username: str = "binhyen_bot",
        privacy_mode: bool = True,
        personas: Sequence[Mapping[str, Any]] | None = None,
        groups: Sequence[Mapping[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token, BOT_API_METHODS, clock)
        self.bot_id = bot_id_from_token(token)
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self.privacy_mode = privacy_mode
        self._personas = [dict(p) for p in (DEFAULT_PERSONAS if personas is None else personas)]
        self._groups = [dict(g) for g in (DEFAULT_GROUPS if groups is None else groups)]
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, ChatState] = {}
        self._callback_queries: dict[str, CallbackQueryState] = {}
        self._next_callback_query_id = _FIRST_CALLBACK_QUERY_ID
        self._commands = CommandStore()
        self._migrations: dict[int, int] = {}
        self._next_media_group_id = _FIRST_MEDIA_GROUP_ID
        self._updates = UpdateQueue(on_change=self._touch)
        self._max_connections = DEFAULT_MAX_CONNECTIONS
        self.webhooks = WebhookDelivery(self._updates, lambda: int(self._clock() * 1000),
                                        self.pause, self._touch, header=SECRET_HEADER,
                                        describe=_describe_update,
                                        connections=lambda: self._max_connections)
        self._updates.on_push = self.webhooks.kick
        self.media = MediaLibrary()
        self.post_watchers: list[Callable[[int], None]] = []
        """Called with the chat id whenever the bot posts there: lets a load generator wait
        for answers in thousands of chats without polling each one."""
        self.answer_watchers: list[Callable[[str], None]] = []
        """Called with the callback query's id whenever the bot answers a pressed button."""

    # ----------------------------------------------------------------- Bot API entry

    def downloadable(self, token: str, file_path: str) -> StoredFile:
        """The file served at /file/bot{token}/{file_path}; 401 or 404 like Telegram."""
        if token != self.token:
            raise BotApiError(401, "Unauthorized")
        stored = self.media.files.by_path(file_path)
        if stored is None or stored.size > DOWNLOAD_LIMIT_BYTES:
            raise BotApiError(404, "Not Found")
        return stored

    def _fault_chat_id(self, params: Mapping[str, Any]) -> int | None:
        return raw_chat_id(params)

    def _fault_chat_type(self, chat_id: int | str | None) -> str | None:
        return self._chat_type(chat_id if isinstance(chat_id, int) else None)

    # ---------------------------------------------------------------- Bot API methods

    async def get_me(self) -> dict[str, Any]:
        """getMe: the bot's User object."""
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | None = None,
        allowed_updates: list[Any] | None = None,
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm updates below `offset`, return pending ones or long-poll."""
        _check_allowed(allowed_updates)
        if self.webhooks.webhook is not None:
            raise BotApiError(409, WEBHOOK_ACTIVE)
        updates = await self._updates.get_updates(offset, limit, timeout, allowed_updates)
        if self.webhooks.webhook is not None:  # set while this call waited
            raise BotApiError(409, WEBHOOK_ACTIVE)
        return updates

    async def send_message(
        self,
        chat_id: int | str,
        text: str,
        parse_mode: str | None = None,
        entities: list[Any] | None = None,
        reply_markup: dict[str, Any] | None = None,
        reply_parameters: dict[str, Any] | None = None,
        reply_to_message_id: int | None = None,
        allow_sending_without_reply: bool | None = None,
        protect_content: bool | None = None,
    ) -> dict[str, Any]:
        """sendMessage: store the bot's message in the chat and return it."""
        chat = self._resolve_chat(chat_id)
        plain, final_entities = prepare_bot_text(text, parse_mode, entities)
        delivery = self._delivery(
            chat,
            {
                "reply_markup": reply_markup,
                "reply_parameters": reply_parameters,
                "reply_to_message_id": reply_to_message_id,
                "allow_sending_without_reply": allow_sending_without_reply,
                "protect_content": protect_content,
            },
        )
        draft = self._bot_draft(chat, text=plain, entities=final_entities, **delivery)
        return self._message_object(self._post(chat, [draft])[0])

    async def send_photo(self, chat_id: int | str, photo: Upload | str, **options: Any) -> Any:
        """sendPhoto: an uploaded picture or a photo's file_id, with an optional caption.

        Like the other media methods, `options` are the caption (caption, parse_mode,
        caption_entities), the delivery options of sendMessage and the method's own.
        """
        return self._send_media(chat_id, "photo", photo, options)

    async def send_video(self, chat_id: int | str, video: Upload | str, **options: Any) -> Any:
        """sendVideo; duration, width and height are taken as given (never probed)."""
        return self._send_media(chat_id, "video", video, options)

    async def send_voice(self, chat_id: int | str, voice: Upload | str, **options: Any) -> Any:
        """sendVoice: a voice note, with its duration if given."""
        return self._send_media(chat_id, "voice", voice, options)

    async def send_audio(self, chat_id: int | str, audio: Upload | str, **options: Any) -> Any:
        """sendAudio: a music file, with duration, performer and title if given."""
        return self._send_media(chat_id, "audio", audio, options)

    async def send_document(
        self, chat_id: int | str, document: Upload | str, **options: Any
    ) -> Any:
        """sendDocument: any file, keeping its name."""
        return self._send_media(chat_id, "document", document, options)

    async def send_sticker(self, chat_id: int | str, sticker: Upload | str, **options: Any) -> Any:
        """sendSticker: a sticker file or file_id, with its emoji if given."""
        return self._send_media(chat_id, "sticker", sticker, options)

    async def send_location(
        self, chat_id: int | str, latitude: float, longitude: float, **options: Any
    ) -> Any:
        """sendLocation: a point on the map (live locations are stored, never updated)."""
        chat = self._resolve_chat(chat_id)
        location = self._location(latitude, longitude, options)
        draft = self._bot_draft(chat, location=location, **self._delivery(chat, options))
        return self._message_object(self._post(chat, [draft])[0])

    async def send_contact(
        self, chat_id: int | str, phone_number: str, first_name: str, **options: Any
    ) -> Any:
        """sendContact: a phone contact card."""
        chat = self._resolve_chat(chat_id)
        if not phone_number.strip() or not first_name.strip():
            raise bad_request("phone number and first name must be non-empty")
        contact = {"phone_number": phone_number, "first_name": first_name}
        for name in ("last_name", "vcard"):
            value = options.pop(name, None)
            if value:
                contact[name] = value
        draft = self._bot_draft(chat, contact=contact, **self._delivery(chat, options))
        return self._message_object(self._post(chat, [draft])[0])

    async def send_media_group(
        self, chat_id: int | str, media: list[Any], **options: Any
    ) -> list[dict[str, Any]]:
        """sendMediaGroup: an album of 2-10 photos and videos, or of audio, or of documents."""
        chat = self._resolve_chat(chat_id)
        if len(media) not in MEDIA_GROUP_SIZES:
            raise bad_request("media group must include 2-10 items")
        kinds = {self._album_kind(item) for item in media}
        if len(kinds) > 1 and kinds & {"audio", "document"}:
            raise bad_request("documents and audio files can't be mixed with other media")
        delivery = self._delivery(chat, options)
        group_id = str(self._next_media_group_id)
        self._next_media_group_id += 1
        drafts = [self._album_draft(chat, item, group_id, delivery) for item in media]
        return [self._message_object(message) for message in self._post(chat, drafts)]

    async def copy_message(
        self, chat_id: int | str, from_chat_id: int | str, message_id: int, **options: Any
    ) -> dict[str, int]:
        """copyMessage: the content of a message, without a link to the original."""
        source = self._source_message(from_chat_id, message_id, "copy")
        chat = self._resolve_chat(chat_id)
        content = self._copied_content(source)
        caption, parse_mode, entities = (
            options.pop(name, None) for name in ("caption", "parse_mode", "caption_entities")
        )
        if source.media is not None and caption is not None:
            content["text"], content["entities"] = prepare_caption(caption, parse_mode, entities)
        draft = self._bot_draft(chat, **content, **self._delivery(chat, options))
        return {"message_id": self._post(chat, [draft])[0].message_id}

    async def forward_message(
        self,
        chat_id: int | str,
        from_chat_id: int | str,
        message_id: int,
        protect_content: bool | None = None,
    ) -> dict[str, Any]:
        """forwardMessage: the message with a forward_origin naming its sender."""
        source = self._source_message(from_chat_id, message_id, "forward")
        if source.protect_content:
            raise bad_request("message has protected content and can't be forwarded")
        chat = self._resolve_chat(chat_id)
        sender = self._bot_user() if source.from_bot else self._user_object(source.user_id)
        origin = {"type": "user", "sender_user": sender, "date": source.date}
        draft = self._bot_draft(
            chat,
            **self._copied_content(source),
            forward_origin=origin,
            protect_content=bool(protect_content),
        )
        return self._message_object(self._post(chat, [draft])[0])

    async def get_file(self, file_id: str) -> dict[str, Any]:
        """getFile: the File object with the path to download it (files up to 20 MB)."""
        stored = self.media.file(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > DOWNLOAD_LIMIT_BYTES:
            raise bad_request("file is too big")
        return stored.file_object()

    async def edit_message_text(
        self,
        text: str | None = None,
        chat_id: int | str | None = None,
        message_id: int | None = None,
        inline_message_id: str | None = None,
        parse_mode: str | None = None,
        entities: list[Any] | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """editMessageText; leaving out reply_markup removes an inline keyboard."""
        message = self._text_message(self._editable_message(chat_id, message_id, inline_message_id))
        plain, final_entities = prepare_bot_text(text, parse_mode, entities)
        markup = self._edited_markup(message, reply_markup)
        unchanged = (plain, final_entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        )
        if unchanged:
            raise bad_request(NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = plain, final_entities, markup
        return self._mark_edited(message)

    async def edit_message_reply_markup(
        self,
        chat_id: int | str | None = None,
        message_id: int | None = None,
        inline_message_id: str | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """editMessageReplyMarkup; leaving out reply_markup removes the inline keyboard."""
        message = self._editable_message(chat_id, message_id, inline_message_id)
        markup = self._edited_markup(message, reply_markup)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        return self._mark_edited(message)

    async def delete_message(self, chat_id: int | str, message_id: int) -> bool:
        """deleteMessage: flag the message deleted (it stays in the transcript)."""
        chat = self._resolve_chat(chat_id)
        message = chat.live_message(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        if not message.from_bot and not chat.is_private and not chat.bot_is_admin:
            raise bad_request("message can't be deleted")
        message.deleted = True
        self._touch()
        return True

    async def answer_callback_query(
        self,
        callback_query_id: str,
        text: str | None = None,
        show_alert: bool | None = None,
        url: str | None = None,
        cache_time: int | None = None,
    ) -> bool:
        """answerCallbackQuery: each query can be answered once."""
        query = self._callback_queries.get(callback_query_id)
        if query is None or query.answered:
            raise bad_request(QUERY_INVALID)
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        chat = self._chats.get(query.chat_id)
        if chat is not None:
            chat.callback_answers.append(
                {
                    "callback_query_id": callback_query_id,
                    "text": text,
                    "show_alert": bool(show_alert),
                    "url": url,
                    "cache_time": cache_time,
                    "user_id": query.user_id,
                    "message_id": query.message_id,
                    "date": self._now(),
                }
            )
        self._touch()
        for watcher in self.answer_watchers:
            watcher(callback_query_id)
        return True

    async def set_my_commands(
        self,
        commands: list[Any],
        scope: dict[str, Any] | None = None,
        language_code: str | None = None,
    ) -> bool:
        """setMyCommands: store the command menu for a scope and language."""
        validated = validate_commands(commands)
        self._commands.set(validated, normalize_scope(scope), language_code or "")
        self._touch()
        return True

    async def get_my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[dict[str, str]]:
        """getMyCommands: the list stored for exactly this scope and language."""
        return self._commands.get(normalize_scope(scope), language_code or "")

    async def delete_my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> bool:
        """deleteMyCommands: forget the list of this scope and language."""
        self._commands.set([], normalize_scope(scope), language_code or "")
        self._touch()
        return True

    async def send_chat_action(self, chat_id: int | str, action: str) -> bool:
        """sendChatAction: checked, then forgotten (nothing to show in a transcript)."""
        self._resolve_chat(chat_id)
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong type of action")
        return True

    async def set_webhook(
        self,
        url: str,
        max_connections: int | None = None,
        allowed_updates: list[Any] | None = None,
        drop_pending_updates: bool | None = None,
        secret_token: str | None = None,
    ) -> bool:
        """setWebhook: POST updates to `url` from now on (an empty url removes the webhook),
        with `secret_token` in the secret header; getUpdates answers 409 meanwhile."""
        url = url.strip()
        if not url:
            return await self.delete_webhook(drop_pending_updates)
        _check_webhook_url(url)
        if secret_token is not None and not SECRET_TOKEN.fullmatch(secret_token):
            raise bad_request("secret token contains unallowed characters")
        if max_connections is not None and max_connections not in MAX_CONNECTIONS:
            raise bad_request("bad max_connections")
        _check_allowed(allowed_updates)
        self._updates.set_allowed(allowed_updates)
        if drop_pending_updates:
            self._updates.drop_pending()
        self._max_connections = max_connections or DEFAULT_MAX_CONNECTIONS
        self.webhooks.set(Webhook(url, secret_token, int(self._clock() * 1000)))
        self._updates.interrupt()
        return True

    async def delete_webhook(self, drop_pending_updates: bool | None = None) -> bool:
        """deleteWebhook: back to getUpdates; optionally drop pending updates."""
        if drop_pending_updates:
            self._updates.drop_pending()
        self.webhooks.set(None)
        return True

    async def get_webhook_info(self) -> dict[str, Any]:
        """getWebhookInfo: the webhook's url ("" if none), the updates waiting for it, and the
        latest failed delivery (never the secret, as on Telegram)."""
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": self._updates.pending_count,
        }
        webhook = self.webhooks.webhook
        if webhook is None:
            return info
        info["url"] = webhook.url
        info["max_connections"] = self._max_connections
        if self._updates.allowed_updates is not None:
            info["allowed_updates"] = self._updates.allowed_updates
        failed = self.webhooks.last_error
        if failed is not None:
            info["last_error_date"] = failed["at"] // 1000
            info["last_error_message"] = (f"Wrong response from the webhook: {failed['status']}"
                                          if failed["status"] is not None else
                                          f"Connection failed: {failed['error']}")
        return info

    # ------------------------------------------------------------- control operations

    @property
    def personas(self) -> list[dict[str, Any]]:
        """The people the web chat page offers to act as: {"label", "user"}."""
        return copy.deepcopy(self._personas)

    @property
    def groups(self) -> list[dict[str, Any]]:
        """The group chats the web chat page offers: chat specs for user_message."""
        return copy.deepcopy(self._groups)

    async def user_message(
        self,
        user: Mapping[str, Any],
        text: str | None = None,
        chat: Mapping[str, Any] | None = None,
        reply_to_message_id: int | None = None,
        attachments: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user writes `text` in `chat` (default: their private chat with the bot).

        `attachments` may hold one of photo, video, voice, audio, document, sticker,
        location or contact, plus caption and media_group_id (see bot.sandbox.content);
        with a media file, `text` is its caption. Returns {"update_id", "message_id",
        "chat_id"}; update_id is None when Telegram would not deliver the message to the
        bot (group privacy mode, allowed_updates).
        """
        sender = self._register_user(user)
        content = parse_user_content(text, attachments or {}, self.media)
        spec = parse_chat(chat, sender["id"])
        chat_state = self._chat_for(spec, "administrator" if spec.bot_is_admin else "member")
        if chat_state.is_private and not chat_state.bot_present:
            self._change_membership(chat_state, sender, "member")  # "Restart bot" unblocks it
        if reply_to_message_id is not None and not self._is_live(chat_state, reply_to_message_id):
            raise ControlError(f"message {reply_to_message_id} to reply to is not in the chat")
        message = StoredMessage(
            message_id=chat_state.allocate_message_id(),
            chat_id=chat_state.id,
            from_bot=False,
            user_id=sender["id"],
            date=self._now(),
            text=content.text,
            entities=content.entities,
            reply_to_message_id=reply_to_message_id,
            media=content.media,
            location=content.location,
            contact=content.contact,
            media_group_id=content.media_group_id,
        )
        chat_state.add_message(message)
        update_id = None
        if chat_state.bot_present and self._delivered_to_bot(chat_state, message):
            update_id = self._updates.push("message", self._message_object(message))
        self._touch()
        return {"update_id": update_id, "message_id": message.message_id, "chat_id": chat_state.id}

    async def raw_update(self, update: Any, with_id: bool = True) -> dict[str, Any]:
        """Queue an update exactly as given (tests only: shapes Telegram would never send).
        With `with_id` (a JSON object only) its `update_id` is set to its place in the
        sequence; without, it goes as given, with or without an `update_id` of any type.
        Returns {"update_id"}: its place, which an offset above confirms."""
        if with_id and not isinstance(update, dict):
            raise ControlError('"with_id" needs "update" to be a JSON object')
        update_id = self._updates.push_raw(update, with_id=with_id)
        self._touch()
        return {"update_id": update_id}

    async def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str | None = None,
        button: str | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """A user presses an inline button, found by callback data or by label.

        With `force`, the callback query is created with `data` even if no such button or
        message exists (stale or forged callback data). Returns {"update_id",
        "callback_query_id"}.
        """
        presser = self._known_user(user_id)
        require_int(chat_id, "chat_id")
        require_int(message_id, "message_id")
        chat = self._known_chat(chat_id)
        if chat.is_private and chat.id != presser["id"]:
            raise ControlError("only the user of a private chat can press its buttons")
        message = chat.live_message(message_id)
        callback_data = self._pressed_data(message, data, button, force)
        query_id = str(self._next_callback_query_id)
        self._next_callback_query_id += 1
        self._callback_queries[query_id] = CallbackQueryState(
            query_id, chat.id, presser["id"], message_id, callback_data
        )
        payload = {
            "id": query_id,
            "from": dict(presser),
            "message": self._pressed_message_object(chat, message, message_id),
            "chat_instance": self._chat_instance(chat.id),
            "data": callback_data,
        }
        update_id = self._updates.push("callback_query", payload)
        self._touch()
        return {"update_id": update_id, "callback_query_id": query_id}

    async def set_membership(
        self, user: Mapping[str, Any], status: str, chat: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """`user` adds, promotes or removes the bot in a group, or blocks/unblocks it.

        `status` is the bot's new status: member, administrator, left or kicked (in a
        private chat "kicked" means the user blocked the bot). Emits a my_chat_member
        update like Telegram; returns {"update_id", "chat_id", "status"} (update_id None
        when nothing changed or allowed_updates excludes it).
        """
        actor = self._register_user(user)
        spec = parse_chat(chat, actor["id"])
        new_status = parse_membership_status(status, spec.is_private)
        chat_state = self._chat_for(spec, "left")
        update_id = self._change_membership(chat_state, actor, new_status)
        self._touch()
        return {"update_id": update_id, "chat_id": chat_state.id, "status": new_status}

    async def migrate_chat(
        self,
        chat_id: int,
        new_chat_id: int | None = None,
        user: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Upgrade a group to a supergroup, as Telegram does.

        A service message with migrate_to_chat_id ends the old group and one with
        migrate_from_chat_id starts the supergroup (both delivered to the bot if it is a
        member); the chat's messages move to the new id, and from then on the Bot API
        answers the old id with 400 and parameters.migrate_to_chat_id. `user` (default:
        the last user who wrote there, else the first persona) is who upgraded it.
        Returns {"old_chat_id", "new_chat_id", "update_ids"}.
        """
        chat = self._known_chat(require_int(chat_id, "chat_id"))
        if chat.type != "group" or chat.id != chat_id:
            raise ControlError(f"chat {chat_id} is not a basic group, only those are upgraded")
        new_id = self._new_supergroup_id(chat_id, new_chat_id)
        actor = self._register_user(user) if user is not None else self._migration_actor(chat)
        farewell = self._service_message(chat, actor, {"migrate_to_chat_id": new_id})
        old_payload = self._message_object(farewell)
        moved = self._move_chat(chat, new_id)
        welcome = self._service_message(moved, actor, {"migrate_from_chat_id": chat_id})
        update_ids: list[int | None] = []
        if moved.bot_present:
            update_ids.append(self._updates.push("message", old_payload))
            update_ids.append(self._updates.push("message", self._message_object(welcome)))
        self._touch()
        return {"old_chat_id": chat_id, "new_chat_id": new_id, "update_ids": update_ids}

    async def file_content(self, file_id: str) -> StoredFile:
        """A stored file, for the web page to show (any size, no token needed)."""
        stored = self.media.file(file_id)
        if stored is None:
            raise ControlError(f"file {file_id} not found", status=404)
        return stored

    async def transcript(self, chat_id: int) -> dict[str, Any]:
        """Everything that happened in a chat, deleted messages included.

        The old id of a group upgraded to a supergroup shows the supergroup's transcript.
        """
        chat = self._known_chat(chat_id)
        ordered = [chat.messages[i] for i in sorted(chat.messages)]
        return {
            "chat": self._chat_object(chat),
            "bot_status": chat.bot_status,
            "messages": [self._transcript_entry(message) for message in ordered],
            "callback_answers": copy.deepcopy(chat.callback_answers),
            "reply_keyboard": self._active_reply_keyboard(ordered),
        }

    async def list_chats(self) -> list[dict[str, Any]]:
        """Every chat: its Telegram object and how many messages it holds."""
        return [
            {
                "chat": self._chat_object(chat),
                "bot_status": chat.bot_status,
                "message_count": len(chat.messages),
            }
            for chat in self._chats.values()
        ]

    async def stored_commands(self) -> list[dict[str, Any]]:
        """Every command list setMyCommands stored: {"scope", "language_code", "commands"}."""
        return copy.deepcopy(self._commands.all())

    async def visible_commands(
        self, chat_id: int, user_id: int | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The command menu a user would see in a chat (admin scopes are not modelled)."""
        chat_id = self._migrations.get(chat_id, chat_id)
        chat = self._chats.get(chat_id)
        private = chat.is_private if chat is not None else chat_id > 0
        return self._commands.visible(chat_id, private, user_id, language_code)

    async def reset(self) -> None:
        """Forget users, chats, files, migrations, callback queries, commands, pending
        updates, fault rules, statistics and the rate-limit history.

        The rate-limit settings stay. Update ids keep increasing so that a running bot's
        getUpdates offset stays valid.
        """
        self._users.clear()
        self._chats.clear()
        self._migrations.clear()
        self._callback_queries.clear()
        self._commands.clear()
        self.media.clear()
        self.faults.clear()
        self.limiter.clear()
        self.stats.clear()
        self._updates.drop_pending()
        self.webhooks.clear_log()
        self._touch()

    def shutdown(self) -> None:
        """Answer a waiting getUpdates at once, stop long polling, end injected delays."""
        self._updates.close()
        super().shutdown()

    async def close(self) -> None:
        """Shut down and stop webhook deliveries (closes their HTTP client)."""
        self.shutdown()
        await self.webhooks.close()

    # ------------------------------------------------------------------ idle tracking

    def _state_busy_reasons(self) -> list[str]:
        """Busy while an update is unconfirmed, a request other than getUpdates is in
        progress, or a bot that polled before is not waiting in getUpdates."""
        reasons: list[str] = []
        pending = self._updates.pending_ids
        if pending:
            reasons.append(
                f"{len(pending)} update(s) not confirmed by getUpdates "
                f"(update_id {pending[0]}..{pending[-1]})"
            )
        if self.webhooks.delivering:
            reasons.append("a webhook delivery is in progress")
        reasons.extend(self._requests_busy_reasons())
        polling = self.webhooks.webhook is None and self._updates.poller_seen
        if polling and not self._updates.waiting:
            reasons.append("the bot is not waiting in getUpdates")
        return reasons

    # ------------------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self._clock())

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @staticmethod
    def _chat_instance(chat_id: int) -> str:
        return str(-(abs(chat_id) * 7919 + 104729))

    def _resolve_chat(self, chat_id: int | str) -> ChatState:
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise bad_request("chat not found")
            wanted = chat_id.removeprefix("@").lower()
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == wanted:
                    return self._present(chat)
            raise bad_request("chat not found")
        if chat_id in self._migrations:
            new_id = self._migrations[chat_id]
            raise BotApiError(400, UPGRADED, {"migrate_to_chat_id": new_id})
        chat = self._chats.get(chat_id)
        if chat is not None:
            return self._present(chat)
        if chat_id in self._users:
            raise BotApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad_request("chat not found")

    @staticmethod
    def _present(chat: ChatState) -> ChatState:
        """The chat, if the bot is in it; else Telegram's 403 for a blocked or removed bot."""
        if chat.bot_present:
            return chat
        if chat.is_private:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if chat.bot_status == "kicked":
            raise BotApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        raise BotApiError(403, f"Forbidden: bot is not a member of the {kind} chat")

    def _reply_target(
        self,
        chat: ChatState,
        reply_parameters: dict[str, Any] | None,
        reply_to_message_id: int | None,
        allow_without_reply: bool,
    ) -> int | None:
        target = reply_to_message_id
        if reply_parameters is not None:
            target = reply_parameters.get("message_id")
            if not isinstance(target, int) or isinstance(target, bool):
                raise bad_request('field "message_id" of ReplyParameters must be an Integer')
            other_chat = reply_parameters.get("chat_id")
            if other_chat is not None and other_chat != chat.id:
                raise bad_request("the sandbox only supports replies within the same chat")
            allowed = reply_parameters.get("allow_sending_without_reply")
            allow_without_reply = allow_without_reply if allowed is None else bool(allowed)
        if target is None:
            return None
        if chat.live_message(target) is not None:
            return target
        if allow_without_reply:
            return None
        raise bad_request("message to be replied not found")

    # -------------------------------------------------------------- creating messages

    def _delivery(self, chat: ChatState, options: dict[str, Any]) -> dict[str, Any]:
        """The keyboard, reply target and protection of a new bot message, from the
        delivery options (which are removed from `options`)."""
        values = {name: options.pop(name, None) for name in _DELIVERY_OPTIONS}
        markup = values["reply_markup"]
        reply_to = self._reply_target(
            chat,
            values["reply_parameters"],
            values["reply_to_message_id"],
            bool(values["allow_sending_without_reply"]),
        )
        return {
            "reply_markup": None if markup is None else validate_reply_markup(markup),
            "reply_to_message_id": reply_to,
            "protect_content": bool(values["protect_content"]),
        }

    def _bot_draft(self, chat: ChatState, text: str = "", **fields: Any) -> StoredMessage:
        """A bot message not yet in the chat: `_post` gives it its id and date."""
        return StoredMessage(
            message_id=0,
            chat_id=chat.id,
            from_bot=True,
            user_id=self.bot_id,
            date=0,
            text=text,
            **fields,
        )

    def _post(self, chat: ChatState, drafts: list[StoredMessage]) -> list[StoredMessage]:
        """Add the bot's new messages to a chat, unless flood control refuses them (429)."""
        now = self._admit_messages(chat.id, not chat.is_private, len(drafts))
        for draft in drafts:
            draft.message_id = chat.allocate_message_id()
            draft.date = int(now)
            chat.add_message(draft)
        self._touch()
        for watcher in self.post_watchers:
            watcher(chat.id)
        return drafts

    def _send_media(
        self, chat_id: int | str, kind: str, source: Upload | str, options: dict[str, Any]
    ) -> dict[str, Any]:
        chat = self._resolve_chat(chat_id)
        caption, entities = prepare_caption(
            options.pop("caption", None),
            options.pop("parse_mode", None),
            options.pop("caption_entities", None),
        )
        delivery = self._delivery(chat, options)
        details = FileDetails(
            **{name: options[name] for name in _DETAIL_OPTIONS if name in options}
        )
        media = self.media.bot_media(kind, source, details)
        draft = self._bot_draft(chat, text=caption, entities=entities, media=media, **delivery)
        return self._message_object(self._post(chat, [draft])[0])

    @staticmethod
    def _location(latitude: float, longitude: float, options: dict[str, Any]) -> dict[str, Any]:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified")
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        for name, (low, high) in _LOCATION_RANGES.items():
            value = options.pop(name, None)
            if value is None:
                continue
            if not low <= value <= high:
                raise bad_request(f"{name} must be between {low:g} and {high:g}")
            location[name] = value
        return location

    @staticmethod
    def _album_kind(item: Any) -> str:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in MEDIA_GROUP_KINDS:
            raise bad_request("album items must be of type photo, video, audio or document")
        if not isinstance(item.get("media"), Upload | str):
            raise bad_request('album items need their "media": a file or a file_id')
        return str(kind)

    def _album_draft(
        self, chat: ChatState, item: dict[str, Any], group_id: str, delivery: dict[str, Any]
    ) -> StoredMessage:
        entities = item.get("caption_entities")
        if entities is not None and not isinstance(entities, list):
            raise bad_request("can't parse entities JSON object")
        caption, final_entities = prepare_caption(
            _optional_str(item.get("caption")), _optional_str(item.get("parse_mode")), entities
        )
        details = FileDetails(
            duration=_optional_int(item.get("duration")),
            width=_optional_int(item.get("width")),
            height=_optional_int(item.get("height")),
            performer=_optional_str(item.get("performer")),
            title=_optional_str(item.get("title")),
        )
        media = self.media.bot_media(item["type"], item["media"], details)
        return self._bot_draft(
            chat,
            text=caption,
            entities=final_entities,
            media=media,
            media_group_id=group_id,
            **delivery,
        )

    def _source_message(self, chat_id: int | str, message_id: int, verb: str) -> StoredMessage:
        """The message copyMessage or forwardMessage (`verb`) starts from."""
        message = self._resolve_chat(chat_id).live_message(message_id)
        if message is None:
            raise bad_request(f"message to {verb} not found")
        if message.service is not None:
            raise bad_request(f"message can't be {'copied' if verb == 'copy' else 'forwarded'}")
        return message

    @staticmethod
    def _copied_content(source: StoredMessage) -> dict[str, Any]:
        return {
            "text": source.text,
            "entities": copy.deepcopy(source.entities),
            "media": source.media,
            "location": copy.deepcopy(source.location),
            "contact": copy.deepcopy(source.contact),
        }

    # ----------------------------------------------------------------- chat lookups

    def _editable_message(
        self,
        chat_id: int | str | None,
        message_id: int | None,
        inline_message_id: str | None,
    ) -> StoredMessage:
        if inline_message_id is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        if chat_id is None or message_id is None:
            raise bad_request("message identifier is not specified")
        message = self._resolve_chat(chat_id).live_message(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _text_message(message: StoredMessage) -> StoredMessage:
        if not message.is_text:
            raise bad_request("there is no text in the message to edit")
        return message

    @staticmethod
    def _edited_markup(
        message: StoredMessage, reply_markup: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        if reply_markup is not None:
            return validate_reply_markup(reply_markup, inline_only=True)
        if is_inline(message.reply_markup):
            return None
        return message.reply_markup

    def _mark_edited(self, message: StoredMessage) -> dict[str, Any]:
        message.edit_date = self._now()
        self._touch()
        return self._message_object(message)

    def _register_user(self, spec: Any) -> dict[str, Any]:
        user = parse_user(spec)
        self._users[user["id"]] = user
        return user

    def _known_user(self, user_id: Any) -> dict[str, Any]:
        require_int(user_id, "user_id")
        if user_id in self._users:
            return self._users[user_id]
        for persona in self._personas:
            if persona.get("user", {}).get("id") == user_id:
                return self._register_user(persona["user"])
        raise ControlError(f"user {user_id} is unknown: let them send a message first")

    def _chat_for(self, spec: ChatSpec, new_group_status: str) -> ChatState:
        """The chat a control request names, created on first use.

        A group upgraded to a supergroup is found by its old id too, and may still be
        called a "group" (a Telegram client hides the upgrade from its users).
        """
        upgraded = spec.id in self._migrations.values() and spec.type == "group"
        if spec.id in self._migrations or upgraded:
            spec = dataclasses.replace(
                spec, id=self._migrations.get(spec.id, spec.id), type="supergroup"
            )
        chat = self._chats.get(spec.id)
        if chat is None:
            status = "member" if spec.is_private else new_group_status
            chat = ChatState(
                id=spec.id, type=spec.type, title=f"Group {spec.id}", bot_status=status
            )
            self._chats[spec.id] = chat
        elif chat.type != spec.type:
            raise ControlError(f"chat {spec.id} is a {chat.type}, not a {spec.type}")
        if spec.is_private:
            chat.title = None
            return chat
        if spec.title is not None:
            chat.title = spec.title
        if spec.username is not None:
            chat.username = spec.username
        if spec.bot_is_admin is not None and chat.bot_present:
            chat.bot_status = "administrator" if spec.bot_is_admin else "member"
        return chat

    def _known_chat(self, chat_id: int) -> ChatState:
        """A chat for a control request, by its id or its id before an upgrade; else 404."""
        chat = self._chats.get(self._migrations.get(chat_id, chat_id))
        if chat is None:
            raise ControlError(f"chat {chat_id} not found", status=404)
        return chat

    def _chat_kind(self, chat_id: int) -> str | None:
        chat = self._chats.get(chat_id)
        return None if chat is None else chat.type

    def _chat_type(self, chat_id: int | None) -> str | None:
        """The type of the chat a Bot API request names (a guess for unknown chats)."""
        if chat_id is None:
            return None
        known = self._chat_kind(self._migrations.get(chat_id, chat_id))
        if known is not None:
            return known
        return "private" if chat_id > 0 else "group"

    def _new_supergroup_id(self, old_id: int, new_chat_id: Any) -> int:
        new_id = supergroup_id(old_id) if new_chat_id is None else new_chat_id
        require_int(new_id, "new_chat_id")
        if new_id > SMALLEST_SUPERGROUP_ID:
            raise ControlError("supergroup ids look like -100xxxxxxxxxx (13 digits or more)")
        if new_id in self._chats or new_id in self._migrations:
            raise ControlError(f"chat {new_id} already exists")
        return int(new_id)

    def _migration_actor(self, chat: ChatState) -> dict[str, Any]:
        for message_id in sorted(chat.messages, reverse=True):
            message = chat.messages[message_id]
            if not message.from_bot and message.user_id in self._users:
                return self._users[message.user_id]
        if not self._personas:
            raise ControlError('give "user": who upgrades the group')
        return self._register_user(self._personas[0]["user"])

    def _service_message(
        self, chat: ChatState, actor: Mapping[str, Any], fields: dict[str, Any]
    ) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.allocate_message_id(),
            chat_id=chat.id,
            from_bot=False,
            user_id=actor["id"],
            date=self._now(),
            text="",
            service=fields,
        )
        chat.add_message(message)
        return message

    def _move_chat(self, chat: ChatState, new_id: int) -> ChatState:
        """The supergroup taking over a group's messages, answers and bot status."""
        moved = dataclasses.replace(chat, id=new_id, type="supergroup")
        for message in moved.messages.values():
            message.chat_id = new_id
        for query in self._callback_queries.values():
            if query.chat_id == chat.id:
                query.chat_id = new_id
        del self._chats[chat.id]
        self._chats[new_id] = moved
        self._migrations[chat.id] = new_id
        return moved

    def _change_membership(self, chat: ChatState, actor: dict[str, Any], status: str) -> int | None:
        """Set the bot's status in a chat and emit my_chat_member, as Telegram does."""
        old_status = chat.bot_status
        if old_status == status:
            return None
        chat.bot_status = status
        payload = {
            "chat": self._chat_object(chat),
            "from": dict(actor),
            "date": self._now(),
            "old_chat_member": self._bot_chat_member(old_status),
            "new_chat_member": self._bot_chat_member(status),
        }
        return self._updates.push("my_chat_member", payload)

    def _bot_chat_member(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": self._bot_user()}
        if status == "administrator":
            member.update(BOT_ADMIN_RIGHTS)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    @staticmethod
    def _is_live(chat: ChatState, message_id: Any) -> bool:
        return isinstance(message_id, int) and chat.live_message(message_id) is not None

    def _delivered_to_bot(self, chat: ChatState, message: StoredMessage) -> bool:
        """Whether Telegram gives this message to the bot (group privacy mode)."""
        if chat.is_private or not self.privacy_mode or chat.bot_is_admin:
            return True
        target = command_target(message.text)
        if target is not None and target.lower() in ("", self.bot_username.lower()):
            return True
        if f"@{self.bot_username.lower()}" in message.text.lower():
            return True
        replied = chat.messages.get(message.reply_to_message_id or 0)
        return replied is not None and replied.from_bot

    def _pressed_data(
        self,
        message: StoredMessage | None,
        data: str | None,
        label: str | None,
        force: bool,
    ) -> str:
        if data is not None and not isinstance(data, str):
            raise ControlError('"data" must be a string')
        if label is not None and not isinstance(label, str):
            raise ControlError('"button" must be a string')
        if data is None and label is None:
            raise ControlError('give "data" or "button" (the label) of the button to press')
        found = self._find_button(message, data, label)
        if found is not None and isinstance(found.get("callback_data"), str):
            return found["callback_data"]
        if force and data is not None:
            return data
        if message is None or not message.from_bot:
            raise ControlError("no such bot message in the chat (or it was deleted)")
        if found is not None:
            raise ControlError("that button has no callback_data (it is not a callback button)")
        wanted = f'callback_data "{data}"' if label is None else f'label "{label}"'
        raise ControlError(f"the message has no inline button with {wanted}")

    @staticmethod
    def _find_button(
        message: StoredMessage | None, data: str | None, label: str | None
    ) -> dict[str, Any] | None:
        if message is None or not message.from_bot:
            return None
        for candidate in inline_buttons(message.reply_markup):
            if data is not None and candidate.get("callback_data") != data:
                continue
            if label is not None and candidate.get("text") != label:
                continue
            return candidate
        return None

    def _pressed_message_object(
        self, chat: ChatState, message: StoredMessage | None, message_id: int
    ) -> dict[str, Any]:
        if message is not None:
            return self._message_object(message)
        return {"chat": self._chat_object(chat), "message_id": message_id, "date": 0}

    def _user_object(self, user_id: int) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            return {"id": user_id, "is_bot": False, "first_name": str(user_id)}
        return dict(user)

    def _chat_object(self, chat: ChatState) -> dict[str, Any]:
        if chat.is_private:
            user = self._user_object(chat.id)
            obj = {"id": chat.id, "type": "private", "first_name": user["first_name"]}
            for name in ("last_name", "username"):
                if user.get(name):
                    obj[name] = user[name]
            return obj
        obj = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.username:
            obj["username"] = chat.username
        return obj

    def _message_object(self, message: StoredMessage, with_reply: bool = True) -> dict[str, Any]:
        chat = self._chats[message.chat_id]
        sender = self._bot_user() if message.from_bot else self._user_object(message.user_id)
        obj: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": self._chat_object(chat),
            "date": message.date,
        }
        if message.forward_origin is not None:
            obj["forward_origin"] = copy.deepcopy(message.forward_origin)
        obj.update(message.content_fields())
        if is_inline(message.reply_markup):
            obj["reply_markup"] = copy.deepcopy(message.reply_markup)
        if message.edit_date is not None:
            obj["edit_date"] = message.edit_date
        if message.protect_content:
            obj["has_protected_content"] = True
        replied = chat.live_message(message.reply_to_message_id or 0)
        if with_reply and replied is not None:
            obj["reply_to_message"] = self._message_object(replied, with_reply=False)
        return obj

    def _sender_name(self, message: StoredMessage) -> str:
        if message.from_bot:
            return self.bot_first_name
        user = self._user_object(message.user_id)
        return " ".join(filter(None, (user["first_name"], user.get("last_name"))))

    def _transcript_entry(self, message: StoredMessage) -> dict[str, Any]:
        return {
            "message_id": message.message_id,
            "from": "bot" if message.from_bot else "user",
            "user_id": message.user_id,
            "sender_name": self._sender_name(message),
            "text": message.text,
            "entities": copy.deepcopy(message.entities),
            "reply_markup": copy.deepcopy(message.reply_markup),
            "reply_to_message_id": message.reply_to_message_id,
            "date": message.date,
            "edited": message.edit_date is not None,
            "deleted": message.deleted,
            "media": None if message.media is None else message.media.summary(),
            "location": copy.deepcopy(message.location),
            "contact": copy.deepcopy(message.contact),
            "media_group_id": message.media_group_id,
            "forward_origin": copy.deepcopy(message.forward_origin),
            "service": copy.deepcopy(message.service),
        }

    @staticmethod
    def _active_reply_keyboard(messages: list[StoredMessage]) -> dict[str, Any] | None:
        """The reply keyboard a user of the chat currently sees, if any.

        The latest keyboard or remove_keyboard a bot message carried decides; a one-time
        keyboard hides once a user has used one of its buttons (sent its text, or the
        contact or location it requests).
        """
        for index in range(len(messages) - 1, -1, -1):
            message = messages[index]
            markup = message.reply_markup
            if not message.from_bot or not markup:
                continue
            if "remove_keyboard" in markup:
                return None
            if "keyboard" not in markup:
                continue
            later = messages[index + 1 :]
            used = any(_answers_keyboard(m, markup) for m in later)
            if markup.get("one_time_keyboard") and used:
                return None
            return copy.deepcopy(markup)
        return None


def _check_allowed(allowed_updates: list[Any] | None) -> None:
    if allowed_updates is not None and not all(isinstance(t, str) for t in allowed_updates):
        raise bad_request('parameter "allowed_updates" must be an Array of String')


def _check_webhook_url(url: str) -> None:
    """Telegram's rules for a webhook's address (HTTPS, ports 443, 80, 88, 8443), which the
    sandbox relaxes for loopback addresses only."""
    try:
        parsed = URL(url)
    except ValueError:
        raise bad_request("bad webhook: invalid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise bad_request("bad webhook: invalid URL")
    if _loopback(parsed.host):
        return
    if parsed.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if parsed.port not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe_update(update: Any) -> dict[str, Any]:
    """What the webhook log shows of an update: its id and type."""
    body = update if isinstance(update, dict) else {}
    kinds = [key for key in body if key != "update_id"]
    return {"update_id": body.get("update_id"), "type": kinds[0] if kinds else None}


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request("album item sizes and durations must be integers")
    return value


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request("album item captions, parse modes and names must be strings")
    return value


def _answers_keyboard(message: StoredMessage, markup: dict[str, Any]) -> bool:
    """Whether a user's message is what pressing a button of this reply keyboard sends."""
    if message.from_bot:
        return False
    buttons = [button for row in markup["keyboard"] for button in row]
    if message.contact is not None:
        return any(button.get("request_contact") for button in buttons)
    if message.location is not None:
        return any(button.get("request_location") for button in buttons)
    return message.is_text and any(button.get("text") == message.text for button in buttons)
