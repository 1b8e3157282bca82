"""Validation of what control requests say about users, chats and texts.

Control requests come from tests and the web page as JSON; these functions check them
strictly (unknown fields are errors, to catch typos) and raise `ControlError` with a
message saying what is wrong.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import ControlError
from bot.sandbox.state import CHAT_TYPES

MAX_TEXT_LENGTH = 4096
MEMBERSHIP_STATUSES = ("member", "administrator", "left", "kicked")

_USER_FIELDS: dict[str, type] = {
    "id": int,
    "is_bot": bool,
    "first_name": str,
    "last_name": str,
    "username": str,
    "language_code": str,
    "is_premium": bool,
}
_CHAT_FIELDS: dict[str, type] = {
    "id": int,
    "type": str,
    "title": str,
    "username": str,
    "bot_is_admin": bool,
}


@dataclass(frozen=True)
class ChatSpec:
    """A chat named in a control request; None fields were not given."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    bot_is_admin: bool | None = None

    @property
    def is_private(self) -> bool:
        """Whether this names a private chat."""
        return self.type == "private"


def require_int(value: Any, name: str) -> int:
    """`value` if it is an integer (not a bool), else a ControlError naming it."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f'"{name}" must be an integer')
    return value


def check_fields(spec: Mapping[str, Any], fields: dict[str, type], what: str) -> None:
    """Refuse unknown fields and fields of the wrong type in a JSON object."""
    unknown = sorted(set(spec) - set(fields))
    if unknown:
        raise ControlError(f'unknown field "{unknown[0]}" in {what}')
    for name, expected in fields.items():
        value = spec.get(name)
        if value is None:
            continue
        wrong_bool = expected is int and isinstance(value, bool)
        if wrong_bool or not isinstance(value, expected):
            raise ControlError(f'field "{name}" of {what} must be {expected.__name__}')


def parse_user(spec: Any) -> dict[str, Any]:
    """A Telegram User object from a control request's user spec."""
    if not isinstance(spec, Mapping):
        raise ControlError('"user" must be an object with "id" and "first_name"')
    check_fields(spec, _USER_FIELDS, "user")
    if not isinstance(spec.get("id"), int) or spec["id"] <= 0:
        raise ControlError('user "id" must be a positive integer')
    if spec.get("is_bot"):
        raise ControlError("the sandbox's users are people, not bots")
    if not isinstance(spec.get("first_name"), str) or not spec["first_name"].strip():
        raise ControlError('user "first_name" must be a non-empty string')
    user = {"id": spec["id"], "is_bot": False, "first_name": spec["first_name"]}
    for name in ("last_name", "username", "language_code", "is_premium"):
        if spec.get(name) is not None:
            user[name] = spec[name]
    return user


def parse_chat(spec: Any, user_id: int) -> ChatSpec:
    """The chat a user acts in; None means their private chat with the bot."""
    if spec is None:
        return ChatSpec(id=user_id, type="private")
    if not isinstance(spec, Mapping):
        raise ControlError('"chat" must be an object')
    check_fields(spec, _CHAT_FIELDS, "chat")
    chat_id = require_int(spec.get("id"), "chat.id")
    chat_type = spec.get("type") or ("private" if chat_id > 0 else "group")
    if chat_type not in CHAT_TYPES:
        raise ControlError(f'chat "type" must be one of {", ".join(CHAT_TYPES)}')
    if chat_type == "private" and chat_id != user_id:
        raise ControlError("a private chat's id is the id of its user")
    if chat_type != "private" and chat_id >= 0:
        raise ControlError("group chat ids are negative")
    return ChatSpec(
        id=chat_id,
        type=chat_type,
        title=spec.get("title"),
        username=spec.get("username"),
        bot_is_admin=spec.get("bot_is_admin"),
    )


def parse_user_text(text: Any) -> str:
    """A user's message text, trimmed; it must be 1-4096 characters like Telegram's."""
    if not isinstance(text, str):
        raise ControlError('"text" must be a string')
    clean = text.strip()
    if not clean:
        raise ControlError("message text is empty")
    if len(clean) > MAX_TEXT_LENGTH:
        raise ControlError("message is too long")
    return clean


def parse_membership_status(status: Any, private: bool) -> str:
    """The bot's new status in a chat: member, administrator, left or kicked."""
    if status not in MEMBERSHIP_STATUSES:
        raise ControlError(f'"status" must be one of {", ".join(MEMBERSHIP_STATUSES)}')
    if private and status not in ("member", "kicked"):
        raise ControlError('in a private chat the bot is "member" or "kicked" (blocked)')
    return str(status)
