"""Records of the Zalo emulator: its users' chats and their messages, as Zalo shows them.

Zalo bots talk to people one to one, so a chat is a user: its id is the user's id (a
string), its messages are the user's and the bot's. A user message keeps the content
fields of its update (`text`; `photo_url` and `caption`; `sticker` and `url`; `url` of
a voice note; none for an unsupported message) and renders as the update the bot
receives; every message renders as a transcript entry for tests and the web page.
"""

import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import ControlError
from bot.sandbox.state import DEFAULT_PERSONAS

CHAT_TYPE = "PRIVATE"
EVENT_NAMES = {
    "text": "message.text.received",
    "photo": "message.image.received",
    "sticker": "message.sticker.received",
    "voice": "message.voice.received",
    "unsupported": "message.unsupported.received",
}
MAX_NAME_LENGTH = 100


@dataclass
class ZaloMessage:
    """One message of a chat. `fields` is the content part of Zalo's message object;
    `media` is what a transcript shows of an image, sticker or voice note."""

    message_id: str
    from_bot: bool
    date: int
    event_name: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    media: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The text, or the caption of an image ("" for none)."""
        return str(self.fields.get("text") or self.fields.get("caption") or "")


@dataclass
class ZaloChat:
    """The bot's chat with one user."""

    user_id: str
    display_name: str
    blocked: bool = False
    messages: list[ZaloMessage] = field(default_factory=list)

    def last_user_message_at(self) -> int | None:
        """When the user last wrote to the bot (milliseconds), or None if never."""
        return next((m.date for m in reversed(self.messages) if not m.from_bot), None)

    def chat_object(self) -> dict[str, Any]:
        """Zalo's `chat` of a message."""
        return {"id": self.user_id, "chat_type": CHAT_TYPE}

    def sender_object(self) -> dict[str, Any]:
        """Zalo's `from` of a user's message."""
        return {"id": self.user_id, "display_name": self.display_name, "is_bot": False}

    def update(self, message: ZaloMessage) -> dict[str, Any]:
        """The update the bot receives for a user's message."""
        body = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chat_object(),
            "from": self.sender_object(),
            **copy.deepcopy(message.fields),
        }
        return {"event_name": message.event_name, "message": body}

    def sent_object(self, message: ZaloMessage) -> dict[str, Any]:
        """What sendMessage, sendPhoto and sendSticker return for the bot's message."""
        return {"message_id": message.message_id, "date": message.date, "chat": self.chat_object()}

    def transcript_entry(self, message: ZaloMessage, bot_name: str) -> dict[str, Any]:
        """A message as GET /zalo/control/transcript lists it."""
        return {
            "message_id": message.message_id,
            "from": "bot" if message.from_bot else "user",
            "user_id": None if message.from_bot else self.user_id,
            "sender_name": bot_name if message.from_bot else self.display_name,
            "event_name": message.event_name,
            "text": message.text,
            "media": copy.deepcopy(message.media),
            "photo_url": message.fields.get("photo_url"),
            "date": message.date,
        }


def zalo_user_id(seed: object) -> str:
    """A Zalo-looking user id (20 hex digits), the same for the same seed."""
    return hashlib.sha256(f"binhyen-zalo-user-{seed}".encode()).hexdigest()[:20]


def default_personas() -> list[dict[str, Any]]:
    """The Telegram sandbox's personas as Zalo users: {"label", "user": {"id",
    "display_name"}}."""
    return [
        {
            "label": persona["label"],
            "user": {
                "id": zalo_user_id(persona["user"]["id"]),
                "display_name": persona["user"]["first_name"],
            },
        }
        for persona in DEFAULT_PERSONAS
    ]


def copy_personas(personas: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The personas a ZaloSandbox offers: those given, else `default_personas()`."""
    if personas is None:
        return default_personas()
    return [copy.deepcopy(dict(persona)) for persona in personas]


def parse_user_id(value: Any) -> str:
    """A user id from a control request: a non-empty string, or an integer as its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ControlError('user "id" must be a non-empty string or an integer')


def parse_zalo_user(spec: Any, known_name: str | None) -> tuple[str, str]:
    """(id, display_name) of a control request's `user`; the name may be left out for a
    user the emulator already knows."""
    if not isinstance(spec, Mapping):
        raise ControlError('"user" must be an object with "id" and "display_name"')
    unknown = sorted(set(spec) - {"id", "display_name"})
    if unknown:
        raise ControlError(f'unknown field "{unknown[0]}" in user')
    user_id = parse_user_id(spec.get("id"))
    name = spec.get("display_name", known_name)
    if not isinstance(name, str) or not name.strip():
        raise ControlError('user "display_name" must be a non-empty string')
    if len(name) > MAX_NAME_LENGTH:
        raise ControlError(f'user "display_name" must be at most {MAX_NAME_LENGTH} characters')
    return user_id, name.strip()
