"""Message text as Telegram checks and stores it.

`prepare_bot_text` applies the parse mode (only HTML is supported) or the explicit
entities, trims the result and enforces Telegram's 1-4096 character limit;
`prepare_caption` does the same for a media caption (0-1024 characters).
`command_entities` gives a user's message the `bot_command` entity Telegram adds.
"""

import re
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.html_entities import (
    Entity,
    HtmlParseError,
    finish_text,
    parse_html,
    sort_entities,
    utf16_len,
)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_MARKDOWN_MODES = frozenset({"markdown", "markdownv2"})


def prepare_bot_text(
    text: str | None, parse_mode: str | None, entities: list[Any] | None
) -> tuple[str, list[Entity]]:
    """The plain text and entities to store for a bot's message; raises `Bad Request`."""
    if text is None:
        raise bad_request("message text is empty")
    plain, final_entities = _formatted(text, parse_mode, entities)
    if not plain:
        raise bad_request("message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return plain, final_entities


def prepare_caption(
    caption: str | None, parse_mode: str | None, entities: list[Any] | None
) -> tuple[str, list[Entity]]:
    """The caption and its entities to store for a bot's media ("" for none)."""
    if caption is None:
        return "", []
    plain, final_entities = _formatted(caption, parse_mode, entities)
    if len(plain) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return plain, final_entities


def _formatted(
    text: str, parse_mode: str | None, entities: list[Any] | None
) -> tuple[str, list[Entity]]:
    if entities is not None:
        plain, raw_entities = text, _checked_entities(entities)
    else:
        plain, raw_entities = _apply_parse_mode(text, parse_mode)
    return finish_text(plain, raw_entities)


def _apply_parse_mode(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode in _MARKDOWN_MODES:
        raise bad_request(f"parse_mode {parse_mode} is not supported by the sandbox, use HTML")
    if mode != "html":
        raise bad_request("unsupported parse_mode")
    try:
        return parse_html(text)
    except HtmlParseError as error:
        raise bad_request(f"can't parse entities: {error}") from error


def _checked_entities(entities: list[Any]) -> list[Entity]:
    checked: list[Entity] = []
    for entity in entities:
        if not _is_entity(entity):
            raise bad_request("can't parse entities JSON object")
        checked.append(dict(entity))
    return sort_entities(checked)


def _is_entity(entity: Any) -> bool:
    if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
        return False
    offset, length = entity.get("offset"), entity.get("length")
    return (
        isinstance(offset, int)
        and isinstance(length, int)
        and not isinstance(offset, bool)
        and offset >= 0
        and length > 0
    )


def command_entities(text: str) -> list[Entity]:
    """A `bot_command` entity for a leading /command (with any @botname suffix)."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def command_target(text: str) -> str | None:
    """The @botname a leading command is addressed to, if any ("" for none)."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    _, _, target = match.group().partition("@")
    return target
