"""Validation of the `reply_markup` a bot attaches to a message, as Telegram checks it.

An inline keyboard needs rows of buttons that each carry text and exactly one action;
callback_data must be 1-64 bytes of UTF-8. Reply keyboards, remove_keyboard and
force_reply are accepted in their Telegram shapes. The functions return the markup as
stored (empty rows dropped, an empty inline keyboard meaning "no keyboard") or raise
a `Bad Request`.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.errors import BotApiError, bad_request

Markup = dict[str, Any]

MAX_CALLBACK_DATA_BYTES = 64
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "disabled",
)
REPLY_BUTTON_REQUESTS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_user",
    "request_chat",
    "request_managed_bot",
    "web_app",
)
_MARKUP_KINDS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")
_URL_SCHEMES = frozenset({"http", "https", "tg", "ton"})


def validate_reply_markup(markup: Markup, *, inline_only: bool = False) -> Markup | None:
    """The markup to store, or None for an empty inline keyboard; raises `Bad Request`."""
    kinds = [kind for kind in _MARKUP_KINDS if kind in markup]
    if len(kinds) != 1:
        raise bad_request("can't parse reply keyboard markup JSON object")
    kind = kinds[0]
    if inline_only and kind != "inline_keyboard":
        raise bad_request(
            "can't parse inline keyboard markup JSON object: "
            "only an InlineKeyboardMarkup can be used here"
        )
    if kind == "inline_keyboard":
        return _inline_keyboard(markup)
    if kind == "keyboard":
        return _reply_keyboard(markup)
    if markup[kind] is not True:
        raise bad_request(f'field "{kind}" must be true')
    return dict(markup)


def is_inline(markup: Markup | None) -> bool:
    """Whether `markup` is an inline keyboard (the only markup a Message object shows)."""
    return bool(markup) and "inline_keyboard" in markup


def inline_buttons(markup: Markup | None) -> Iterator[dict[str, Any]]:
    """Every button of an inline keyboard, row by row."""
    if not is_inline(markup):
        return
    for row in markup["inline_keyboard"]:  # type: ignore[index]
        yield from row


def _rows(markup: Markup, field: str, owner: str) -> list[list[Any]]:
    rows = markup[field]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" of the {owner} must be an Array of Arrays')
    return [row for row in rows if row]


def _inline_keyboard(markup: Markup) -> Markup | None:
    rows = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup")
    for row in rows:
        for button in row:
            _check_inline_button(button)
    if not rows:
        return None
    return {**markup, "inline_keyboard": rows}


def _button_error(detail: str) -> BotApiError:
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise _button_error("button text must be non-empty")
    actions = [name for name in INLINE_ACTIONS if button.get(name) not in (None, False)]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(
            f'only one of the optional fields can be used, got "{actions[0]}" and "{actions[1]}"'
        )
    if actions[0] == "callback_data":
        _check_callback_data(button["callback_data"])
    elif actions[0] == "url":
        _check_button_url(button["url"])


def _check_callback_data(data: Any) -> None:
    if not isinstance(data, str):
        raise bad_request("BUTTON_DATA_INVALID")
    size = len(data.encode("utf-8"))
    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def _check_button_url(url: Any) -> None:
    if not isinstance(url, str):
        raise _button_error('Field "url" must be of type String')
    parts = urlsplit(url)
    scheme_ok = parts.scheme.lower() in _URL_SCHEMES
    host_ok = parts.scheme.lower() not in ("http", "https") or "." in (parts.hostname or "")
    if not (scheme_ok and host_ok):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _reply_keyboard(markup: Markup) -> Markup:
    rows = _rows(markup, "keyboard", "ReplyKeyboardMarkup")
    if not rows:
        raise bad_request("keyboard must be non-empty")
    normalized = [[_reply_button(button) for button in row] for row in rows]
    return {**markup, "keyboard": normalized}


def _reply_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict):
        raise bad_request("can't parse keyboard button: KeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request('can\'t parse keyboard button: Field "text" must be a non-empty String')
    requests = [name for name in REPLY_BUTTON_REQUESTS if button.get(name) not in (None, False)]
    if len(requests) > 1:
        raise bad_request(
            f'can\'t parse keyboard button: only one of "{requests[0]}" and "{requests[1]}" '
            "can be used"
        )
    return button
