"""Records the sandbox keeps: chats, their messages and callback queries.

These are the sandbox's own bookkeeping, richer than Telegram objects (a message keeps
its deleted flag, a chat keeps every callback answer); `TelegramSandbox` renders them as
Telegram objects for the bot and as transcripts for tests and the web page.
"""

from dataclasses import dataclass, field
from typing import Any

CHAT_TYPES = ("private", "group", "supergroup")


@dataclass
class StoredMessage:
    """One message of a chat, sent by the bot or by a user."""

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
