"""The contract between the core and every messenger: what comes in, what goes out.

A channel (`bot.channels`) turns its platform's updates into `Incoming` and renders `Outgoing`
into its platform's requests; services and flows see only the types here. They say *what* to
show — a text, choices, files, the new version of a message sent earlier — and never how: no
method name, markup key or platform id of a message belongs in the core (a test scans the tree
for them). So a conversation written once runs on Telegram, Zalo or any text-only messenger.

- `Incoming`: one thing a person did (a message, a file, a pressed choice, a pin, a contact).
- `Prompt`: what a flow step asks — text, `Choice`s, the `InputKind`s it accepts, a `Request`.
- `Outgoing`: a message for one chat — text, choices, `Media` attachments (one file, or an
  album of several), or (`edit_of`) the new version of a message we sent earlier, with an
  optional `update_note`: the one line a messenger that cannot edit sends instead.
- `PlatformRequest`: what a channel's renderer makes of an `Outgoing`, stored in the outbox
  as it is and handed back to the same channel to send. Opaque to the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

CHOICE_SEPARATOR = "|"
MAX_CHOICE_DATA_BYTES = 64  # what a pressed choice carries back: `token|id`
MAX_CHOICE_ID_BYTES = 40


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
    """Something a prompt asks the user to share: a button that shares it where the messenger
    has one, typed elsewhere."""

    CONTACT = "contact"
    LOCATION = "location"


# ---- in ---------------------------------------------------------------------------------------

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
    """One thing a user did, in messenger-neutral form. `pressed` is the data of a pressed
    choice (`token|id`, see `choice_data`); a choice answered by typing comes as text."""

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
    pressed: str | None = None
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


# ---- asked ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """An option in a prompt. `id` comes back when the choice is pressed, so keep it short."""

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
    max_text: int | None = None  # longest text taken (None: the engine's own limit)

    @property
    def accepted(self) -> frozenset[InputKind]:
        """What the step takes besides its choices: by default text, or nothing if it offers
        choices (then only a choice — a button, a number or a typed label — answers it)."""
        if self.accepts is not None:
            return self.accepts
        return frozenset() if self.choices else frozenset({InputKind.TEXT})

    def __post_init__(self) -> None:
        for choice in self.choices:
            if len(choice.id.encode()) > MAX_CHOICE_ID_BYTES or CHOICE_SEPARATOR in choice.id:
                raise ValueError(f"choice id too long or has a separator: {choice.id!r}")


def choice_data(token: str, choice_id: str) -> str:
    """What a pressed choice carries back: the token of the step that showed it and its id."""
    data = f"{token}{CHOICE_SEPARATOR}{choice_id}"
    if len(data.encode()) > MAX_CHOICE_DATA_BYTES:
        raise ValueError(f"choice data over {MAX_CHOICE_DATA_BYTES} bytes")
    return data


def split_choice_data(data: str) -> tuple[str, str]:
    token, sep, choice_id = data.partition(CHOICE_SEPARATOR)
    return (token, choice_id) if sep else ("", data)


# ---- out --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Media:
    """A stored evidence file to send, on messengers that send files (`Capabilities`);
    `kind` as stored: "photo", "video", "voice", "audio" or "document"."""

    kind: str
    evidence_id: int


@dataclass(frozen=True)
class Outgoing:
    """A message for one chat. `token` ties its choices to the flow step that showed them.

    With `attachments`, `text` is their caption: one file, or an album of several, sent as
    one message where the messenger can. With `edit_of` (the outbox row of a message we sent
    earlier) it is the new version of that message, text and choices; a messenger that cannot
    edit sends `update_note` instead, as a new message, or nothing when there is none."""

    text: str
    choices: tuple[Choice, ...] = ()
    token: str = ""
    request: Request | None = None
    columns: int = 1
    attachments: tuple[Media, ...] = ()
    edit_of: int | None = None
    update_note: str | None = None
    # the way to share a contact or place that an earlier prompt offered (`request`) is over:
    # a messenger that showed it as a keyboard takes it away with this message
    close_request: bool = False

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
    """One request to a messenger's API, as its renderer made it, without the chat (added at
    send time). `edit_of` is the outbox row of the message the request changes: the delivery
    worker hands the channel that message's platform id when it sends. `new_message` False:
    it changes or removes a message already in the chat (an edit, a deletion), which the
    messengers' flood limits do not count; only the renderer knows which requests those are."""

    method: str
    params: dict[str, Any]
    edit_of: int | None = None
    new_message: bool = True

    def stored(self) -> dict[str, Any]:
        """As the outbox keeps it (JSON)."""
        kept: dict[str, Any] = {"method": self.method, "params": self.params}
        if self.edit_of is not None:
            kept["edit_of"] = self.edit_of
        if not self.new_message:
            kept["new_message"] = False
        return kept

    @classmethod
    def from_stored(cls, kept: dict[str, Any]) -> PlatformRequest:
        params = kept["params"]
        # an edit queued before the edited row moved out of the params (issue 15) finds it
        return cls(kept["method"], params, kept.get("edit_of", params.pop("_message_of", None)),
                   bool(kept.get("new_message", True)))
