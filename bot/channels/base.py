"""Channels: each messenger is a plug-in behind one interface, `Channel`.

A channel receives its platform's updates (long polling, or a webhook the platform calls), keeps
each in the durable inbox before anything else, turns it into an `Incoming` for the engine, and
renders every `Outgoing` into its platform's requests (`Renderer`), which the outbox stores and
the delivery worker hands back to the channel's `send`. Only channels know a platform's method
names, markup and message ids; the core sees `bot.messages` and what `Capabilities` say, and
never imports a concrete channel (a ruff rule; only the app wiring picks channels, through the
registry).

Adding a messenger (say, Viber) takes one module and one registry line:

1. `bot/channels/viber.py`, with its `NAME` and a class implementing `Channel` (subclass it:
   what a messenger may lack — webhooks, files to fetch before handling — has defaults):
   receiving (`connect`, then `poll_forever`, or, when its factory sets `webhook`,
   `use_webhook`, `receive` — served at /webhook/<name> by `bot.web` — and `drop_webhook`),
   each update stored in
   `bot.services.inbox_store` before anything else and handled by `handle_stored` → `Engine.handle`;
   sending (`send`, raising the `DeliveryError`s below); `limits()`; and `parts()`: its
   renderer (`TextRenderer` for a text-only messenger) and its `Capabilities`;
2. in the same module `PLUGIN = ChannelType(endpoint=…, build=…)`: where its settings say the
   platform is (None while no token is set) and how to build the channel;
3. one line in `bot/channels/registry.py`: `viber.NAME: viber.PLUGIN`.

Services, flows and handlers do not change: a text-only messenger gets numbered choices, typed
answers and one-line updates instead of edits from the same conversations. (`plaintext.py`, the
test channel, is such a module.)

This module also holds the text-only path every feature must work with: `TextRenderer`,
`render_text` and `match_choice` (numbered choices, answered by "2", "2." or the label typed
with or without diacritics), and `split_text`, the one splitting rule for every messenger.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.messages import Choice, Outgoing, PlatformRequest
from bot.text import QUOTE_BAR, fold
from content import channels as words

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.config import Settings
    from bot.flows import Engine
    from bot.runtime import ChannelParts, Runtime
    from scheduler.lease import LeaseKeeper
    from scheduler.limits import Limits
    from scheduler.supervisor import Beat


class Renderer(Protocol):
    """Turns a message into the requests its messenger needs. Every request fits the
    messenger's limits: a long text becomes several messages, in order, its choices on the
    last. An edit (`Outgoing.edit_of`) becomes a request that changes the original (marked
    with `PlatformRequest.edit_of`) and, if the text outgrew one message, new messages after
    it; where the messenger cannot edit, the `update_note` as a new message, or nothing."""

    def render(self, message: Outgoing) -> list[PlatformRequest]: ...


@dataclass(frozen=True)
class Capabilities:
    buttons: bool
    groups: bool
    share_requests: bool
    max_text: int
    deletes_messages: bool = False
    edits: bool = False
    sends_files: bool = False
    receives_files: bool = False  # a document a person sends reaches the bot (not on Zalo)
    # the platform refuses to write to someone silent for this many hours (Zalo's window)
    contact_window_hours: int | None = None


@dataclass
class Endpoint:
    """Where a messenger's API is, and the token for it."""

    token: str
    api_url: str
    proxy: str | None = None


class Channel(Protocol):
    """One messenger, as the app runs it. Subclass it: the defaults below are what a messenger
    without webhooks and without files to fetch needs."""

    name: str
    # the platform calls us (`receive`) instead of being polled; the factory decides, from the
    # settings
    webhook: bool = False
    on_stored: Callable[[], None]  # the app's: wakes the inbox processor after a store

    # ---- what the core may know, and how fast it may send ----
    def parts(self) -> ChannelParts: ...

    def limits(self) -> Limits: ...

    # ---- receiving ----
    async def connect(self, stop: asyncio.Event) -> bool:
        """Reach the platform (retrying with backoff until `stop`); False if stopped first."""
        ...

    @property
    def longest_wait(self) -> float:
        """Seconds between two rounds of `poll_forever` at most, normally."""
        ...

    async def poll_forever(self, stop: asyncio.Event, lease: LeaseKeeper,
                           beat: Beat) -> None:
        """Fetch and store updates until `stop`, while holding `lease` (one poller per bot)."""
        ...

    async def use_webhook(self, url: str) -> None:
        """Ask the platform to call `url` with every update, saying in one log line whether
        the webhook is new, changed or the same (`webhook_line`). Raises `Transient` when the
        platform cannot be reached (tried again), `WebhookRefused` when it says no."""
        raise NotImplementedError(f"{self.name} takes no webhook")

    async def drop_webhook(self) -> None:
        """Remove the webhook at stop (the last process serving it), saying so in one line:
        the platform then keeps updates until the bot polls or sets it again."""

    async def receive(self, headers: Mapping[str, str], body: bytes) -> int:
        """One call of the webhook: store the update; the HTTP status to answer (200 only once
        it is committed)."""
        return 404

    # ---- handling what was stored ----
    def needs_prepare(self, payload: dict[str, Any]) -> bool:
        """Whether the update carries files to fetch before its transaction."""
        return False

    async def prepare(self, payload: dict[str, Any]) -> Any:
        """Fetch the update's files and store them as evidence (outside the transaction)."""
        return {}

    async def handle_stored(self, session: AsyncSession, payload: dict[str, Any],
                            prepared: Any = None) -> None:
        """Turn the update into `Incoming` and hand it to the engine, in `session`."""
        ...

    async def apologise(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        """An update failed every attempt: tell its sender (in a private chat)."""
        ...

    # ---- sending ----
    async def send(self, chat_id: str, request: PlatformRequest,
                   original: str | None = None) -> str | None:
        """Perform `request` in `chat_id`; `original` is the platform id of the message it
        changes (`request.edit_of`). Returns the platform id of the message, if any; raises a
        `DeliveryError`."""
        ...

    async def close(self) -> None: ...


class WebhookRefused(Exception):
    """The platform would not take the webhook's address; the message says why (its own
    words), for the operator's log."""


def webhook_line(platform: str, old: str, new: str) -> str:
    """The log line for registering a webhook: new, changed, or the same again. Addresses
    only: never a secret or a token."""
    if not old:
        return f"{platform} webhook registered: updates now come to {new}"
    if old != new:
        return f"{platform} webhook changed from {old} to {new}"
    return f"{platform} webhook at {new} registered again (with the current secret)"


@dataclass(frozen=True)
class ChannelType:
    """A messenger the bot can run on, as `bot.channels.registry` lists it."""

    # where the settings say the platform is; None while the messenger is not set up
    endpoint: Callable[[Settings], Endpoint | None]
    build: Callable[[Runtime, Engine, Endpoint], Channel]


def no_endpoint(_settings: Settings) -> Endpoint | None:
    """For a messenger no setting names (a test channel): it runs only when given one."""
    return None


async def pause(stop: asyncio.Event, seconds: float, *, jitter: bool = True) -> None:
    """Wait `seconds` (half to all of them, with `jitter`, so retries spread), or until
    `stop`."""
    factor = 0.5 + random.random() / 2 if jitter else 1.0
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds * factor)


# ---- the text-only path ----------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")


def typed_number(text: str) -> int | None:
    """The number of a choice typed alone ("2", "2.", "2)"), or None."""
    number = _NUMBER.match(text)
    return int(number.group(1)) if number else None


def is_number(text: str) -> bool:
    """A bare number as a text-only messenger's choices are answered: "2", "2.", "2)"."""
    return typed_number(text) is not None


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """Which choice a typed answer means: "2", "2.", "2)" or the label, diacritics optional."""
    if not choices:
        return None
    number = typed_number(text)
    if number is not None:
        return choices[number - 1] if 0 < number <= len(choices) else None
    typed = fold(text)
    if not typed:
        return None
    for choice in choices:
        if fold(choice.label) == typed:
            return choice
    matches = [c for c in choices if fold(c.label).startswith(typed) and len(typed) >= 3]
    return matches[0] if len(matches) == 1 else None


def render_text(message: Outgoing) -> str:
    """Numbered choices under the text, then how to answer: what to type for a request, and
    the number to type ("Gõ 1 để chọn «Bỏ qua»" when there is one choice)."""
    parts = [message.text.rstrip()]
    how: list[str] = []
    if message.request is not None:
        how.append(words.TEXT_REQUEST_HINTS[message.request])
    if message.choices:
        lines = [f"{i}. {choice.label}" for i, choice in enumerate(message.choices, start=1)]
        parts.append("\n".join(lines))
        how.append(words.TEXT_CHOICE_HINT if len(message.choices) > 1
                   else words.TEXT_ONE_CHOICE_HINT.format(label=message.choices[0].label))
    if how:
        parts.append(" ".join(how))
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
    """Renders for any text-only messenger: plain text, numbered choices, split at `limit`.
    It cannot edit: an edit becomes its `update_note` as a new message, or nothing. It sends no
    files: services ask `Capabilities.sends_files` first (and give a link instead)."""

    def __init__(self, method: str = "sendMessage", limit: int = 2000) -> None:
        self.method = method
        self.limit = limit

    def render(self, message: Outgoing) -> list[PlatformRequest]:
        if message.attachments:
            raise ValueError("a text-only messenger cannot send files")
        edit = message.edit_of is not None
        text = (message.update_note or "") if edit else render_text(message)
        return [PlatformRequest(self.method, {"text": piece})
                for piece in split_text(text, self.limit)]


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

