"""Records the sandbox keeps: chats, their messages and callback queries.

These are the sandbox's own bookkeeping, richer than Telegram objects (a message keeps
its deleted flag, a chat keeps every callback answer); `TelegramSandbox` renders them as
Telegram objects for the bot and as transcripts for tests and the web page.
"""

import copy
from dataclasses import dataclass, field
from typing import Any

CHAT_TYPES = ("private", "group", "supergroup")


@dataclass(frozen=True)
class Media:
    """The file a message carries: `payload` is its Telegram object (a PhotoSize list
    for a photo), `file_id` and `size` those of its main file (the largest photo)."""

    kind: str
    payload: Any
    file_id: str
    size: int

    def summary(self) -> dict[str, Any]:
        """What a transcript shows: kind, file_id, size, plus name, type and dimensions."""
        summary: dict[str, Any] = {"kind": self.kind, "file_id": self.file_id, "size": self.size}
        main = self.payload[-1] if isinstance(self.payload, list) else self.payload
        for name in ("file_name", "mime_type", "width", "height", "duration", "emoji"):
            if main.get(name) is not None:
                summary[name] = main[name]
        return summary


@dataclass
class StoredMessage:
    """One message of a chat, sent by the bot or by a user.

    `text` is the message text, or the caption of a media message ("" for none). At
    most one of `media`, `location`, `contact` and `service` (the fields of a service
    message such as migrate_to_chat_id) is set; with none, it is a text message.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    user_id: int
    date: int
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    protect_content: bool = False
    edit_date: int | None = None
    deleted: bool = False
    media: Media | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    media_group_id: str | None = None
    forward_origin: dict[str, Any] | None = None
    service: dict[str, Any] | None = None

    @property
    def is_text(self) -> bool:
        """Whether this is a plain text message (no media, location, contact, service)."""
        return not (self.media or self.location or self.contact or self.service)

    def content_fields(self) -> dict[str, Any]:
        """The content part of the Telegram Message object: text, media or the like."""
        if self.service is not None:
            return copy.deepcopy(self.service)
        if self.location is not None:
            return {"location": dict(self.location)}
        if self.contact is not None:
            return {"contact": dict(self.contact)}
        if self.media is None:
            fields: dict[str, Any] = {"text": self.text}
            if self.entities:
                fields["entities"] = copy.deepcopy(self.entities)
            return fields
        return self._media_fields(self.media)

    def _media_fields(self, media: Media) -> dict[str, Any]:
        fields: dict[str, Any] = {media.kind: copy.deepcopy(media.payload)}
        if self.text:
            fields["caption"] = self.text
        if self.entities:
            fields["caption_entities"] = copy.deepcopy(self.entities)
        if self.media_group_id is not None:
            fields["media_group_id"] = self.media_group_id
        return fields


@dataclass
class ChatState:
    """A chat the bot is in: a private chat with a user, or a group."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    bot_status: str = "member"
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    next_message_id: int = 1

    @property
    def is_private(self) -> bool:
        """Whether this is a one-to-one chat between the bot and a user."""
        return self.type == "private"

    @property
    def bot_is_admin(self) -> bool:
        """Whether the bot is an administrator of this group."""
        return self.bot_status == "administrator"

    @property
    def bot_present(self) -> bool:
        """Whether the bot is in the chat (not removed, not blocked by the user)."""
        return self.bot_status in ("member", "administrator")

    def add_message(self, message: StoredMessage) -> None:
        """Store a message whose id came from `allocate_message_id`."""
        self.messages[message.message_id] = message

    def allocate_message_id(self) -> int:
        """The next message id of this chat (ids are per chat and start at 1)."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_message(self, message_id: int) -> StoredMessage | None:
        """The message with this id unless it does not exist or was deleted."""
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message


@dataclass
class CallbackQueryState:
    """A callback query the bot has received and may answer once."""

    id: str
    chat_id: int
    user_id: int
    message_id: int
    data: str
    answered: bool = False


DEFAULT_PERSONAS: tuple[dict[str, Any], ...] = (
    {
        "label": "Cư dân (Nguyễn Văn An)",
        "user": {
            "id": 1001,
            "first_name": "Nguyễn Văn An",
            "username": "nguyenvanan",
            "language_code": "vi",
        },
    },
    {
        "label": "Cán bộ công an xã (Trần Thị Bình)",
        "user": {
            "id": 2001,
            "first_name": "Trần Thị Bình",
            "username": "tranthibinh",
            "language_code": "vi",
        },
    },
    {
        "label": "Trưởng Công an xã (Lê Văn Cường)",
        "user": {
            "id": 3001,
            "first_name": "Lê Văn Cường",
            "username": "levancuong",
            "language_code": "vi",
        },
    },
    {
        "label": "Tổ trưởng (Phạm Thị Dung)",
        "user": {
            "id": 4001,
            "first_name": "Phạm Thị Dung",
            "username": "phamthidung",
            "language_code": "vi",
        },
    },
)

DEFAULT_GROUPS: tuple[dict[str, Any], ...] = (
    {"id": -100, "type": "group", "title": "Tổ dân cư số 1", "bot_is_admin": True},
)
