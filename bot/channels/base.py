"""The contract between the core and every messenger.

A channel turns platform updates into `Incoming` events and renders `Outgoing` messages into
platform requests. The core (services, flows) sees only these types, so a conversation written
once runs on Telegram, Zalo or any text-only messenger. `TextRenderer` and `match_choice` are
the text-only path every feature must work with: numbered choices, answered by "2", "2." or the
label typed with or without diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.text import QUOTE_BAR, fold

CALLBACK_SEPARATOR = "|"
MAX_CALLBACK_BYTES = 64


class InputKind(StrEnum):
    """What a user sent. A `Prompt` lists the kinds it accepts."""

    TEXT = "text"
    COMMAND = "command"
    CHOICE = "choice"
    PHOTO = "photo"
    VIDEO = "video"
    VOICE = "voice"
    AUDIO = "audio"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    STICKER = "sticker"
    MEMBERSHIP = "membership"
    OTHER = "other"


MEDIA_KINDS = frozenset(
    {InputKind.PHOTO, InputKind.VIDEO, InputKind.VOICE, InputKind.AUDIO, InputKind.DOCUMENT}
)


class ChatType(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class Request(StrEnum):
    """Something a prompt asks the user to share; a reply keyboard on Telegram, typed elsewhere."""

    CONTACT = "contact"
    LOCATION = "location"


@dataclass(frozen=True)
class Attachment:
    """A file the user sent. Before handling, the channel fetches it (outside the database
    transaction) and stores it as evidence: `evidence_id`, or `problem` ("too_big",
    "failed") when it could not."""

    kind: InputKind
    file_ref: str
    size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None
    album: str | None = None
    evidence_id: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Incoming:
    """One thing a user did, in messenger-neutral form."""

    channel: str
    update_key: str
    chat_id: str
    chat_type: ChatType
    user_id: str
    kind: InputKind
    user_name: str | None = None
    chat_title: str | None = None
    text: str = ""
    command: str | None = None
    args: str = ""
    addressed: bool = True
    callback_data: str | None = None
    callback_id: str | None = None
    message_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    location: tuple[float, float] | None = None
    contact_phone: str | None = None
    contact_is_own: bool = False
    sent_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_private(self) -> bool:
        return self.chat_type is ChatType.PRIVATE


@dataclass(frozen=True)
class Choice:
    """An option in a prompt. `id` travels in callback data, so keep it short."""

    id: str
    label: str


@dataclass(frozen=True)
class Prompt:
    """What a flow step asks: text, optional choices, the kinds of input it accepts."""

    text: str
    choices: tuple[Choice, ...] = ()
    accepts: frozenset[InputKind] | None = None
    request: Request | None = None
    columns: int = 1

    @property
    def accepted(self) -> frozenset[InputKind]:
        """What the step takes besides its choices: by default text, or nothing if it offers
        choices (then only a choice — a button, a number or a typed label — answers it)."""
        if self.accepts is not None:
            return self.accepts
        return frozenset() if self.choices else frozenset({InputKind.TEXT})

    def __post_init__(self) -> None:
        for choice in self.choices:
            if len(choice.id.encode()) > 40 or CALLBACK_SEPARATOR in choice.id:
                raise ValueError(f"choice id too long or has a separator: {choice.id!r}")


@dataclass(frozen=True)
class OutgoingFile:
    """A stored evidence file to send, on messengers that send files (`Capabilities`);
    `kind` as stored: "photo", "video", "voice", "audio" or "document"."""

    kind: str
    evidence_id: int


@dataclass(frozen=True)
class Outgoing:
    """A message for one chat. `token` ties buttons to the flow step that showed them. With a
    `file`, `text` is its caption."""

    text: str
    choices: tuple[Choice, ...] = ()
    token: str = ""
    request: Request | None = None
    columns: int = 1
    remove_keyboard: bool = False
    file: OutgoingFile | None = None

    @classmethod
    def of(cls, prompt: Prompt, token: str = "") -> Outgoing:
        return cls(
            text=prompt.text,
            choices=prompt.choices,
            token=token,
            request=prompt.request,
            columns=prompt.columns,
        )


@dataclass(frozen=True)
class PlatformRequest:
    """One request to a messenger's API, without the chat id (added at send time)."""

    method: str
    params: dict[str, Any]


class Renderer(Protocol):
    """Turns a message into the requests its messenger needs. Every request fits the
    messenger's limits: a long text becomes several messages, in order, its buttons on the
    last."""

    def render(self, message: Outgoing) -> list[PlatformRequest]: ...

    def edit(self, message: Outgoing) -> list[PlatformRequest]:
        """`message` as the replacement of an earlier one (messengers that edit): the first
        request edits it, any further ones send what no longer fits, buttons on the last."""
        ...


@dataclass(frozen=True)
class Capabilities:
    buttons: bool
    groups: bool
    share_requests: bool
    max_text: int
    deletes_messages: bool = False
    edits: bool = False
    sends_files: bool = False
    # the platform refuses to write to someone silent for this many hours (Zalo's window)
    contact_window_hours: int | None = None


# ---- choices ---------------------------------------------------------------------------------

def callback_data(token: str, choice_id: str) -> str:
    data = f"{token}{CALLBACK_SEPARATOR}{choice_id}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError("callback data over 64 bytes")
    return data


def split_callback(data: str) -> tuple[str, str]:
    token, sep, choice_id = data.partition(CALLBACK_SEPARATOR)
    return (token, choice_id) if sep else ("", data)


_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")
_EMOJI_PREFIX = re.compile(r"^[^\w]+", re.UNICODE)


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Which choice a typed answer means: "2", "2.", "2)" or the label, diacritics optional."""
    if not choices:
        return None
    number = _NUMBER.match(text)
    if number:
        index = int(number.group(1)) - 1
        return choices[index] if 0 <= index < len(choices) else None
    typed = fold(text)
    if not typed:
        return None
    for choice in choices:
        if fold(choice.label) == typed:
            return choice
    matches = [c for c in choices if fold(c.label).startswith(typed) and len(typed) >= 3]
    return matches[0] if len(matches) == 1 else None


# ---- the text-only renderer ------------------------------------------------------------------

TEXT_CHOICE_HINT = "Trả lời bằng số thứ tự (ví dụ: 1)."
TEXT_REQUEST_HINTS = {
    Request.CONTACT: "Gõ số điện thoại của bạn.",
    Request.LOCATION: "Gõ địa chỉ hoặc mô tả nơi đó (ví dụ: số nhà, tên đường, gần đâu).",
}


def render_text(message: Outgoing) -> str:
    """Numbered choices under the text; what to type for a request."""
    parts = [message.text.rstrip()]
    if message.choices:
        lines = [f"{i}. {choice.label}" for i, choice in enumerate(message.choices, start=1)]
        parts.append("\n".join(lines))
        parts.append(TEXT_CHOICE_HINT)
    if message.request is not None:
        parts.append(TEXT_REQUEST_HINTS[message.request])
    return "\n\n".join(parts)


_BOUNDARIES = ("\n\n", "\n", ". ", "! ", "? ", "… ", "; ", ", ", " ")


def split_text(text: str, limit: int, *, first_limit: int | None = None) -> list[str]:
    """`text` as pieces that each fit a message: at most `limit` characters (the first at most
    `first_limit`, e.g. a caption), none empty, nothing lost or reordered.

    Each cut falls at the last paragraph break in the piece's room, else the last line break,
    sentence end, clause or word, as long as that keeps at least a third of the room; only a
    word longer than that is cut inside (never before a combining mark or a joiner). A cut
    inside a line that starts with `QUOTE_BAR` (a resident's quoted words) starts the next
    piece with the bar too, so no quoted line ever shows without it. The one splitting rule
    for every messenger."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        room = first_limit if first_limit is not None and not pieces else limit
        if len(rest) <= room:
            pieces.append(rest)
            break
        cut = _cut(rest, room)
        pieces.append(rest[:cut].rstrip())
        tail = rest[cut:]
        following = tail.lstrip()
        line_start = rest.rfind("\n", 0, cut) + 1
        inside_line = "\n" not in tail[: len(tail) - len(following)]
        if following and inside_line and rest.startswith(QUOTE_BAR, line_start):
            following = QUOTE_BAR + following
        rest = following
    return pieces


def _cut(text: str, room: int) -> int:
    """Where to end the next piece of `text` (longer than `room`)."""
    for boundary in _BOUNDARIES:
        # a boundary may end right after the room: its space or line break is not kept
        position = text.rfind(boundary, 0, room + 1)
        if room // 3 < position:
            return position + len(boundary.rstrip())
    cut = room
    while cut > 1 and _joins_previous(text[cut]):
        cut -= 1
    return cut


def _joins_previous(char: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a variation selector,
    a zero-width joiner."""
    return bool(unicodedata.combining(char)) or unicodedata.category(char) in ("Mn", "Me", "Cf")


class TextRenderer:
    """Renders for any text-only messenger: plain text, numbered choices, split at `limit`."""

    def __init__(self, method: str = "sendMessage", limit: int = 2000) -> None:
        self.method = method
        self.limit = limit

    def render(self, message: Outgoing) -> list[PlatformRequest]:
        if message.file is not None:
            raise ValueError("a text-only messenger cannot send files")
        return [
            PlatformRequest(self.method, {"text": piece})
            for piece in split_text(render_text(message), self.limit)
        ]

    def edit(self, message: Outgoing) -> list[PlatformRequest]:
        raise ValueError("a text-only messenger cannot edit its messages")


# ---- delivery outcomes a channel reports to the delivery worker -----------------------------

class DeliveryError(Exception):
    """A send failed; the subclass says what the delivery worker should do."""


class RetryLater(DeliveryError):
    """The platform asked us to wait (HTTP 429). `whole_channel` when the global limit was hit."""

    def __init__(self, seconds: float, *, whole_channel: bool = False) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds
        self.whole_channel = whole_channel


class Transient(DeliveryError):
    """5xx, timeouts, network errors: retry with backoff."""


class ChatGone(DeliveryError):
    """403: blocked by the user, kicked from the group; the chat becomes inactive."""


class ChatMoved(DeliveryError):
    """The group became a supergroup with a new id; follow it and resend."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Rejected(DeliveryError):
    """400 and the like: the request itself is wrong; retrying will not help."""


class NeedsContact(DeliveryError):
    """The platform will not write to this person until they write to the bot again (Zalo's
    48-hour window): the message waits, without retries, and goes when they next write."""


class Sender(Protocol):
    """The part of a channel the delivery worker uses."""

    name: str

    async def send(self, chat_id: str, request: PlatformRequest) -> str | None:
        """Perform `request` in `chat_id`; return the platform message id, if any."""
        ...
