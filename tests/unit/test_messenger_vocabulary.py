"""The core speaks no messenger (issue 15, items 1 and 2): outside `bot/channels/` and
`bot/sandbox/` (and the tests and benchmarks, which drive the sandbox), no source file names a
Bot API method or a Telegram markup key, nothing checks which class a channel is, and nothing
builds a platform request. A third messenger must not have to edit the services.

Each finding names the file and line, and what was found there."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# where a messenger's words belong, and what drives the messengers
ALLOWED = ("bot/channels/", "bot/sandbox/", "tests/", "bench/")
SKIPPED_DIRS = {"__pycache__", "node_modules", "build", "dist"}

METHODS = (
    "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "getFile",
    "setMyCommands", "sendMessage", "sendPhoto", "sendVideo", "sendVoice", "sendAudio",
    "sendDocument", "sendSticker", "sendLocation", "sendContact", "sendMediaGroup",
    "sendChatAction", "copyMessage", "forwardMessage", "editMessageText",
    "editMessageCaption", "editMessageMedia", "editMessageReplyMarkup", "deleteMessage",
    "answerCallbackQuery",
)
MARKUP_KEYS = (
    "inline_keyboard", "reply_markup", "callback_data", "callback_query", "resize_keyboard",
    "one_time_keyboard", "remove_keyboard", "input_field_placeholder", "parse_mode",
    "request_contact", "request_location", "media_group_id",
)
# common words, or names our own code has for other things: found only as a string literal,
# where they are a request's parameters or keys
LITERAL_ONLY = {"keyboard", "message_id", "caption", "text_link", "entities"}
WORDS = re.compile(r"\b(" + "|".join(METHODS + MARKUP_KEYS) + r")\b")


def sources() -> Iterator[Path]:
    """Every Python file of the project outside the allowed folders."""
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO)
        parts = relative.parts
        if any(part.startswith(".") or part in SKIPPED_DIRS or part.endswith(".egg-info")
               for part in parts):
            continue
        if relative.as_posix().startswith(ALLOWED):
            continue
        yield path


def vocabulary(source: str) -> Iterator[tuple[int, str]]:
    """(line, word) for each method name or markup key in names, strings and comments."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in (tokenize.NAME, tokenize.STRING, tokenize.COMMENT):
            continue
        for match in WORDS.finditer(token.string):
            line = token.start[0] + token.string.count("\n", 0, match.start())
            yield line, match.group(1)
        if token.type == tokenize.STRING:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):
                continue
            if value in LITERAL_ONLY:
                yield token.start[0], repr(value)


def channel_checks_and_requests(source: str) -> Iterator[tuple[int, str]]:
    """`isinstance(x, SomeChannel)` (a channel is used through its protocol), and a
    `PlatformRequest(...)` built by hand (only a channel's renderer makes requests)."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name == "PlatformRequest":
            yield node.lineno, "PlatformRequest(...)"
        if name == "isinstance" and len(node.args) == 2:
            classes = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            for cls in classes:
                if _name(cls).endswith("Channel"):
                    yield node.lineno, f"isinstance(…, {_name(cls)})"


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def findings(check: object) -> list[str]:
    found = []
    for path in sources():
        source = path.read_text(encoding="utf-8")
        for line, what in check(source):  # type: ignore[operator]
            found.append(f"{path.relative_to(REPO)}:{line}: {what}")
    return found


def test_the_scan_sees_the_core() -> None:
    scanned = {path.relative_to(REPO).as_posix() for path in sources()}
    assert {"bot/services/outbox.py", "bot/flows.py", "scheduler/delivery.py",
            "handlers/report.py", "bot/app.py", "bot/messages.py"} <= scanned
    assert not any(name.startswith(ALLOWED) for name in scanned)


def test_no_messenger_vocabulary_outside_the_channels() -> None:
    found = findings(vocabulary)
    assert not found, "a messenger's words outside bot/channels/:\n" + "\n".join(found)


def test_no_channel_class_checks_or_hand_made_requests_outside_the_channels() -> None:
    found = findings(channel_checks_and_requests)
    assert not found, "outside bot/channels/:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for() -> None:
    """It would catch the shortcuts the core used to take (bot/services/outbox.py and
    scheduler/delivery.py before issue 15)."""
    leaked = (
        'edit = PlatformRequest(first.method, {**first.params, "_message_of": 4})\n'
        'if "inline_keyboard" not in markup:  # only inline buttons survive an edit\n'
        '    params["message_id"] = int(original.platform_message_id)\n'
        "# Zalo's sendPhoto needs a public URL\n"
        "if isinstance(channel, ZaloChannel) and webhook:\n"
        "    pass\n"
    )
    assert sorted(vocabulary(leaked)) == [(2, "inline_keyboard"), (3, "'message_id'"),
                                          (4, "sendPhoto")]
    assert sorted(channel_checks_and_requests(leaked)) == [
        (1, "PlatformRequest(...)"), (5, "isinstance(…, ZaloChannel)")]
    assert list(vocabulary("platform_message_id = message.message_id\n")) == []
