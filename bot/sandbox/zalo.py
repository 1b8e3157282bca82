"""An in-memory stand-in for the Zalo Bot Platform, beside the Telegram sandbox.

Zalo's bot API looks like Telegram's (`POST {base}/bot{TOKEN}/{method}` with a JSON
body, answers `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
"description"}`) but is smaller and stricter:

- bots talk to people one to one: every chat is "PRIVATE" and its id is the user's id;
  ids are strings and dates milliseconds;
- getUpdates (`{"timeout": "30"}`, seconds as a string) returns ONE update per call,
  long-polls, answers 408 "Request timeout" when nothing came, and has no offset: an
  update handed out is gone (see bot.sandbox.zalo_updates). A webhook (setWebhook with a
  secret) replaces it: updates are POSTed to it and getUpdates answers 409;
- sendMessage carries plain text of 1-2000 characters and nothing else (no buttons,
  no parse modes); sendPhoto takes an http(s) URL, sendSticker a sticker id;
- the bot may only write to a user who has written to it and has not blocked it (403);
- with `window_hours` set (off by default; `POST /zalo/control/window {"hours": 48}`), only
  within that many hours of the user's last message, on the sandbox's clock, as Zalo
  Official Accounts may (Zalo does not publish whether bots keep the same window): outside
  it a message is refused with 403 "Forbidden: user has not interacted with the bot in the
  last 48 hours", counted per chat in `window_refusals`.

`ZaloSandbox` implements those methods and the control operations the tests and the web
chat page use to act as Zalo users (`user_message`, `block`, `transcript`...). A photo
a user sends is stored and served by the emulator at `{public_url}/files/{name}`; that
URL is the update's `photo_url`, so the bot downloads it as from Zalo's CDN. Faults,
flood limits (off by default: Zalo publishes none), statistics and `settle` work as in
the Telegram sandbox (see bot.sandbox.core).
"""

import copy
import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from yarl import URL

from bot.sandbox.content import parse_user_content
from bot.sandbox.core import Clock, OneToOneEmulator
from bot.sandbox.errors import BotApiError, ControlError, bad_request
from bot.sandbox.faults import forbidden_text
from bot.sandbox.files import StoredFile
from bot.sandbox.images import generated_jpeg
from bot.sandbox.media import MediaLibrary
from bot.sandbox.params import Kind, Param
from bot.sandbox.webhooks import Webhook, WebhookDelivery
from bot.sandbox.zalo_state import (
    EVENT_NAMES,
    ZaloChat,
    ZaloMessage,
    copy_personas,
    parse_user_id,
    parse_zalo_user,
)
from bot.sandbox.zalo_updates import SECRET_HEADER, ZaloInbox, describe

DEFAULT_ZALO_TOKEN = "2000000001:SANDBOX-binhyen-zalo-token"
MOUNT = "/zalo"
DEFAULT_PUBLIC_URL = f"http://127.0.0.1{MOUNT}"
ACCOUNT_NAME = "bot.BinhYen"
BOT_DISPLAY_NAME = "Bình Yên"
MAX_TEXT_LENGTH = 2000
DEFAULT_POLL_TIMEOUT = 30
MAX_POLL_TIMEOUT = 120
SECRET_LENGTHS = range(8, 257)
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
STICKER_SIDE = 128
NOT_INTERACTED = "Forbidden: user has not interacted with the bot"
OUTSIDE_WINDOW = NOT_INTERACTED + " in the last {hours} hours"
WEBHOOK_ACTIVE = "Conflict: webhook is active"
# Zalo does not say how many calls it makes to a webhook at once; Telegram's default is 40.
# Several, so a bot with several workers is called in parallel, as it will be.
WEBHOOK_CONNECTIONS = 10
POLL_TIMEOUT = "Request timeout"
CONTENT_KINDS = ("photo", "sticker", "voice", "unsupported")
MESSAGE_FIELDS = frozenset({"user", "text", "caption", *CONTENT_KINDS})
_EXTENSIONS = {"image/jpeg": ".jpg", "audio/aac": ".aac"}


def _p(name: str, kind: Kind = Kind.STR, required: bool = False) -> Param:
    return Param(name, kind, required=required)


_CHAT = _p("chat_id", required=True)
ZALO_METHODS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "getMe": ("get_me", ()),
    "getUpdates": ("get_updates", (_p("timeout", Kind.INT),)),
    "setWebhook": ("set_webhook", (_p("url", required=True), _p("secret_token", required=True))),
    "deleteWebhook": ("delete_webhook", ()),
    "getWebhookInfo": ("get_webhook_info", ()),
    "sendMessage": ("send_message", (_CHAT, _p("text", required=True))),
    "sendPhoto": ("send_photo", (_CHAT, _p("photo", required=True), _p("caption"))),
    "sendSticker": ("send_sticker", (_CHAT, _p("sticker", required=True))),
    "sendChatAction": ("send_chat_action", (_CHAT, _p("action", required=True))),
}


def zalo_bot_id(token: str) -> str:
    """The bot's id: the digits before the colon of its token (else ten made from it)."""
    left, sep, _ = token.partition(":")
    if sep and left.isdigit():
        return left
    return str(int(hashlib.sha256(token.encode()).hexdigest(), 16) % 10**10).zfill(10)


class ZaloSandbox(OneToOneEmulator):
    """All of the fake Zalo's state, its bot API methods and its control operations."""

    def __init__(
        self,
        token: str = DEFAULT_ZALO_TOKEN,
        *,
        clock: Clock = time.time,
        personas: Sequence[Mapping[str, Any]] | None = None,
        window_hours: float | None = None,
    ) -> None:
        super().__init__(token, ZALO_METHODS, clock, chat_id_type=str)
        self.bot_id = zalo_bot_id(token)
        self.window_hours = _window_hours(window_hours)
        self.window_refusals: Counter[str] = Counter()
        self.public_url = DEFAULT_PUBLIC_URL
        self._personas = copy_personas(personas)
        self._chats: dict[str, ZaloChat] = {}
        self.media = MediaLibrary()
        self._inbox = ZaloInbox(on_change=self._touch)
        self.webhooks = WebhookDelivery(self._inbox, self._now, self.pause, self._touch,
                                        header=SECRET_HEADER, describe=describe,
                                        connections=lambda: WEBHOOK_CONNECTIONS)

    # ---------------------------------------------------------------- Bot API methods

    async def get_me(self) -> dict[str, Any]:
        """getMe: the bot's account."""
        return {
            "id": self.bot_id,
            "account_name": ACCOUNT_NAME,
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def get_updates(self, timeout: int | None = None) -> dict[str, Any]:
        """getUpdates: the oldest update not handed out yet, waiting up to `timeout`
        seconds for one; 408 when none came, 409 while a webhook is set."""
        seconds = DEFAULT_POLL_TIMEOUT if timeout is None else timeout
        if not 0 <= seconds <= MAX_POLL_TIMEOUT:
            raise bad_request(f"timeout must be 0-{MAX_POLL_TIMEOUT} seconds")
        self._refuse_while_webhook()
        await self._inbox.wait(seconds)
        self._refuse_while_webhook()
        update = self._inbox.pop()
        if update is None:
            raise BotApiError(408, POLL_TIMEOUT)
        return update

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """setWebhook: deliver updates to `url` (http or https) with the secret header."""
        url = url.strip()
        if not _is_web_url(url):
            raise bad_request("url must be an http or https URL")
        if len(secret_token) not in SECRET_LENGTHS:
            raise bad_request("secret_token must be 8 to 256 characters")
        webhook = Webhook(url, secret_token, self._now())
        self.webhooks.set(webhook)
        self._inbox.interrupt()
        return {"url": webhook.url, "updated_at": webhook.updated_at}

    async def delete_webhook(self) -> dict[str, Any]:
        """deleteWebhook: back to getUpdates (pending updates are kept)."""
        self.webhooks.set(None)
        return {"url": ""}

    async def get_webhook_info(self) -> dict[str, Any]:
        """getWebhookInfo: the webhook's url and when it was set ({"url": ""} if none)."""
        webhook = self.webhooks.webhook
        if webhook is None:
            return {"url": ""}
        return {"url": webhook.url, "updated_at": webhook.updated_at}

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """sendMessage: plain text of 1-2000 characters."""
        chat = self._reachable_chat(chat_id)
        _check_text(text, "text")
        return self._post(chat, {"text": text})

    async def send_photo(
        self, chat_id: str, photo: str, caption: str | None = None
    ) -> dict[str, Any]:
        """sendPhoto: a picture by its http(s) URL (stored, never fetched)."""
        chat = self._reachable_chat(chat_id)
        if not _is_web_url(photo):
            raise bad_request("photo must be an http or https URL")
        fields: dict[str, Any] = {"photo_url": photo}
        if caption:
            _check_text(caption, "caption")
            fields["caption"] = caption
        media = {"kind": "photo", "url": photo}
        return self._post(chat, fields, media)

    async def send_sticker(self, chat_id: str, sticker: str) -> dict[str, Any]:
        """sendSticker: a sticker by its id."""
        chat = self._reachable_chat(chat_id)
        if not sticker.strip():
            raise bad_request("sticker is empty")
        return self._post(chat, {"sticker": sticker}, {"kind": "sticker", "sticker": sticker})

    async def send_chat_action(self, chat_id: str, action: str) -> bool:
        """sendChatAction: "typing" or "upload_photo", checked and forgotten."""
        self._reachable_chat(chat_id)
        if action not in CHAT_ACTIONS:
            raise bad_request("action must be typing or upload_photo")
        return True

    # ------------------------------------------------------------- control operations

    @property
    def personas(self) -> list[dict[str, Any]]:
        """The people the web chat page offers to act as: {"label", "user"}."""
        return copy.deepcopy(self._personas)

    async def user_message(
        self,
        user: Any,
        text: Any = None,
        caption: Any = None,
        content: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot: `text`, or one of `content`'s "photo" ({"data_base64"?,
        "width"?, "height"?}, with `caption`), "sticker" (true or a sticker id), "voice"
        (true or {"data_base64"?, "duration"?}) or "unsupported" (true). A blocked user
        who writes unblocks the bot. Returns {"message_id", "chat_id"}."""
        user_id, name = parse_zalo_user(user, self._known_name(user))
        kind, spec = _content_kind(text, caption, content or {})
        fields, media = self._content(kind, spec, text, caption)
        chat = self._chats.setdefault(user_id, ZaloChat(user_id, name))
        chat.display_name, chat.blocked = name, False
        message = ZaloMessage(_message_id(), False, self._now(), EVENT_NAMES[kind], fields, media)
        chat.messages.append(message)
        self._inbox.push(chat.update(message))
        self.webhooks.kick()
        return {"message_id": message.message_id, "chat_id": chat.user_id}

    async def raw_update(self, update: Any) -> dict[str, Any]:
        """Queue an update exactly as given, whatever its shape (tests only: what Zalo is not
        documented to send), for getUpdates or the webhook."""
        self._inbox.push(update)
        self.webhooks.kick()
        return {"ok": True}

    async def block(self, user_id: Any) -> dict[str, Any]:
        """The user blocks the bot: sending to them answers 403 until they write again."""
        chat = self._known_chat(parse_user_id(user_id))
        chat.blocked = True
        self._touch()
        return {"ok": True, "user_id": chat.user_id}

    async def set_window(self, hours: Any) -> dict[str, Any]:
        """Refuse messages to users silent for longer than `hours` (None: never)."""
        self.window_hours = _window_hours(hours)
        self._touch()
        return self.window_json()

    def window_json(self) -> dict[str, Any]:
        """The window and how many messages it refused, per chat."""
        return {"hours": self.window_hours, "refused": dict(self.window_refusals)}

    async def transcript(self, chat_id: str) -> dict[str, Any]:
        """Everything said in a chat, oldest first (404 for an unknown chat)."""
        chat = self._known_chat(chat_id)
        return {
            "chat": {**chat.chat_object(), "display_name": chat.display_name},
            "blocked": chat.blocked,
            "messages": [chat.transcript_entry(m, BOT_DISPLAY_NAME) for m in chat.messages],
        }

    async def list_chats(self) -> list[dict[str, Any]]:
        """Every chat: its user, whether they blocked the bot, how many messages."""
        return [
            {
                "chat": {**chat.chat_object(), "display_name": chat.display_name},
                "blocked": chat.blocked,
                "message_count": len(chat.messages),
            }
            for chat in self._chats.values()
        ]

    def file(self, name: str) -> StoredFile:
        """The file served at {public_url}/files/{name} (ControlError 404 if unknown)."""
        stored = self.media.file(name.partition(".")[0])
        if stored is None:
            raise ControlError(f"file {name} not found", status=404)
        return stored

    async def reset(self) -> None:
        """Forget users, chats, files, updates not handed out, fault rules, statistics,
        the rate-limit history, the window's refusals and the webhook delivery log. The
        webhook, the limit settings and the window stay."""
        self._chats.clear()
        self.media.clear()
        self._inbox.clear()
        self.faults.clear()
        self.limiter.clear()
        self.stats.clear()
        self.window_refusals.clear()
        self.webhooks.clear_log()
        self._touch()

    def shutdown(self) -> None:
        """Answer a waiting getUpdates, end injected delays and webhook retry pauses."""
        self._inbox.close()
        super().shutdown()

    async def close(self) -> None:
        """Shut down and stop webhook deliveries (closes their HTTP client)."""
        self.shutdown()
        await self.webhooks.close()

    # ------------------------------------------------------------------ internals

    def _state_busy_reasons(self) -> list[str]:
        """Busy while an update waits to be handed out or delivered, a request other than
        getUpdates is in progress, or the bot (once seen polling, without a webhook) is
        not waiting in getUpdates."""
        reasons: list[str] = []
        if self._inbox.pending_count:
            reasons.append(f"{self._inbox.pending_count} update(s) not received by the bot")
        if self.webhooks.delivering:
            reasons.append("a webhook delivery is in progress")
        reasons.extend(self._requests_busy_reasons())
        polling = self.webhooks.webhook is None and self._inbox.poller_seen
        if polling and not self._inbox.waiting:
            reasons.append("the bot is not waiting in getUpdates")
        return reasons

    def _now(self) -> int:
        return int(self._clock() * 1000)

    def _refuse_while_webhook(self) -> None:
        if self.webhooks.webhook is not None:
            raise BotApiError(409, WEBHOOK_ACTIVE)

    def _known_name(self, user: Any) -> str | None:
        if not isinstance(user, Mapping):
            return None
        with_id = str(user.get("id"))
        chat = self._chats.get(with_id)
        if chat is not None:
            return chat.display_name
        for persona in self._personas:
            if str(persona.get("user", {}).get("id")) == with_id:
                return persona["user"].get("display_name")
        return None

    def _known_chat(self, chat_id: str) -> ZaloChat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ControlError(f"chat {chat_id} not found", status=404)
        return chat

    def _reachable_chat(self, chat_id: str) -> ZaloChat:
        """The chat the bot may write to; 403 if the user never wrote, blocked it, or (with
        the window on) has been silent for longer than the window."""
        chat = self._chats.get(chat_id.strip())
        if chat is None:
            raise BotApiError(403, NOT_INTERACTED)
        if chat.blocked:
            raise BotApiError(403, forbidden_text("private"))
        if self.window_hours is not None:
            last = chat.last_user_message_at()
            if last is None or self._now() - last > self.window_hours * 3_600_000:
                self.window_refusals[chat.user_id] += 1
                hours = f"{self.window_hours:g}"
                raise BotApiError(403, OUTSIDE_WINDOW.format(hours=hours))
        return chat

    def _post(
        self, chat: ZaloChat, fields: dict[str, Any], media: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Add the bot's message to the chat, unless the flood limits refuse it (429)."""
        now = self._admit_messages(chat.user_id, False, 1)
        message = ZaloMessage(_message_id(), True, int(now * 1000), None, fields, media)
        chat.messages.append(message)
        self._touch()
        return chat.sent_object(message)

    def _content(
        self, kind: str, spec: Any, text: Any, caption: Any
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The content fields of a user's update and what the transcript shows of it."""
        if kind == "text":
            return {"text": parse_user_content(text, {}, self.media).text}, None
        if kind == "unsupported":
            return {}, None
        if kind == "sticker":
            return self._sticker(spec)
        extras = {kind: _file_spec(kind, spec), "caption": caption}
        parsed = parse_user_content(None, extras, self.media)
        if parsed.media is None:
            raise ControlError(f"the {kind} could not be stored")
        summary = parsed.media.summary()
        media = {**summary, **self._served(summary.pop("file_id"))}
        if kind == "voice":
            return {"url": media["url"]}, media
        fields = {"photo_url": media["url"]}
        if parsed.text:
            fields["caption"] = parsed.text
        return fields, media

    def _sticker(self, spec: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        sticker_id = spec if isinstance(spec, str) and spec.strip() else secrets.token_hex(8)
        picture = generated_jpeg(STICKER_SIDE, STICKER_SIDE)
        stored = self.media.files.add("sticker", picture, mime_type="image/jpeg")
        media = {"kind": "sticker", "sticker": sticker_id, **self._served(stored.file_id)}
        return {"sticker": sticker_id, "url": media["url"]}, media

    def _served(self, file_id: str) -> dict[str, str]:
        """Where a stored file is downloaded: "url" for the bot, "path" for the web page."""
        stored = self.media.file(file_id)
        extension = _EXTENSIONS.get((stored.mime_type if stored else None) or "", "")
        name = f"{file_id}{extension}"
        return {"url": f"{self.public_url}/files/{name}", "path": f"{MOUNT}/files/{name}"}


def _window_hours(value: Any) -> float | None:
    """A window length from a setting or a control request: positive hours, or None (off)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ControlError('"hours" must be a positive number of hours, or null for no window')
    return float(value)


def _is_web_url(text: str) -> bool:
    """Whether `text` is an absolute http or https URL."""
    try:
        parsed = URL(text)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _check_text(text: str, name: str) -> None:
    if not text.strip():
        raise bad_request(f"{name} is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request(f"{name} is too long")


def _message_id() -> str:
    return secrets.token_hex(10)


def _content_kind(text: Any, caption: Any, content: Mapping[str, Any]) -> tuple[str, Any]:
    """Which kind of message a control request sends, and its spec."""
    kinds = [kind for kind in CONTENT_KINDS if content.get(kind) not in (None, False)]
    if len(kinds) > 1 or (kinds and text is not None):
        raise ControlError(f"send text or one of {', '.join(CONTENT_KINDS)}, not several")
    if caption is not None and kinds != ["photo"]:
        raise ControlError('"caption" goes with a "photo"')
    if not kinds:
        return "text", None
    return kinds[0], content[kinds[0]]


def _file_spec(kind: str, spec: Any) -> Mapping[str, Any]:
    """The photo or voice spec for bot.sandbox.content (true means a made-up file)."""
    if spec is True:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ControlError(f'"{kind}" must be true or an object')
    if kind == "voice":
        return {"mime_type": "audio/aac", **spec}
    return spec
