"""The bot's command menus: setMyCommands validation, storage by scope and lookup.

Telegram keeps one command list per (scope, language_code) and shows a user the list of
the most specific scope that has one. `CommandStore` does the same, except that the
administrator scopes are stored but never chosen (the sandbox does not model admins).
"""

import json
import re
from typing import Any

from bot.sandbox.errors import bad_request

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MAX_COMMANDS = 100
_MAX_DESCRIPTION = 256
_SCOPE_FIELDS: dict[str, tuple[str, ...]] = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}

Scope = dict[str, Any]


def normalize_scope(scope: Scope | None) -> Scope:
    """The scope with only its meaningful fields; raises `Bad Request` if malformed."""
    if scope is None:
        return {"type": "default"}
    scope_type = scope.get("type")
    if scope_type not in _SCOPE_FIELDS:
        raise bad_request("unsupported bot command scope type")
    normalized: Scope = {"type": scope_type}
    for name in _SCOPE_FIELDS[scope_type]:
        value = scope.get(name)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise bad_request(f'field "{name}" of the bot command scope is required')
        normalized[name] = value
    return normalized


def validate_commands(commands: list[Any]) -> list[dict[str, str]]:
    """The BotCommand list as stored; raises `Bad Request` for an invalid command."""
    if len(commands) > _MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    validated: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if (
            not isinstance(description, str)
            or not 1 <= len(description.strip()) <= _MAX_DESCRIPTION
        ):
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        validated.append({"command": name, "description": description})
    return validated


def _key(scope: Scope, language_code: str) -> tuple[str, str]:
    return json.dumps(scope, sort_keys=True), language_code


class CommandStore:
    """Command lists per (scope, language_code), as setMyCommands leaves them."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], dict[str, Any]] = {}

    def set(self, commands: list[dict[str, str]], scope: Scope, language_code: str) -> None:
        """Store a list; an empty list deletes it, as on Telegram."""
        key = _key(scope, language_code)
        if not commands:
            self._lists.pop(key, None)
            return
        self._lists[key] = {"scope": scope, "language_code": language_code, "commands": commands}

    def get(self, scope: Scope, language_code: str) -> list[dict[str, str]]:
        """The list stored for exactly this scope and language (getMyCommands)."""
        entry = self._lists.get(_key(scope, language_code))
        return list(entry["commands"]) if entry else []

    def all(self) -> list[dict[str, Any]]:
        """Every stored list, in the order they were first set."""
        return [dict(entry) for entry in self._lists.values()]

    def clear(self) -> None:
        """Forget every list."""
        self._lists.clear()

    def visible(
        self, chat_id: int, private: bool, user_id: int | None, language_code: str
    ) -> list[dict[str, str]]:
        """The menu a user sees in a chat: the most specific scope that has commands."""
        for scope in _candidate_scopes(chat_id, private, user_id):
            for language in dict.fromkeys((language_code, "")):
                entry = self._lists.get(_key(scope, language))
                if entry:
                    return list(entry["commands"])
        return []


def _candidate_scopes(chat_id: int, private: bool, user_id: int | None) -> list[Scope]:
    if private:
        return [
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
    scopes: list[Scope] = []
    if user_id is not None:
        scopes.append({"type": "chat_member", "chat_id": chat_id, "user_id": user_id})
    scopes += [
        {"type": "chat", "chat_id": chat_id},
        {"type": "all_group_chats"},
        {"type": "default"},
    ]
    return scopes
