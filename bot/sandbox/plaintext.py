"""An in-memory stand-in for the plain messenger (`bot.channels.plaintext`), mounted under /plain.

The smallest messenger there is, and as strict as one would be:

- one person per chat; the chat's id is the person's (a string of 1-64 characters);
- text only, both ways: 1-4,096 characters, no control characters but line breaks and tabs;
  no buttons, markup, files, groups, edits or deletions — a parameter it does not know is
  refused (400);
- the bot may write only to someone who has written to it (403 otherwise);
- `getUpdates {"offset"?, "timeout"?}` (seconds, 0-50) long-polls and returns the updates not
  yet confirmed, `{"update_id", "message": {"message_id", "chat_id", "from": {"id", "name"},
  "text", "date"}}`; an update comes again until a call's `offset` is above its id;
  `sendMessage {"chat_id", "text"}` returns `{"message_id", "date"}`.

The control API has the shape the tests' harness uses for every emulator: `POST
/control/message {"user": {"id", "name"}, "text"}`, `GET /control/transcript?chat_id=`,
`GET /control/chats`, and the shared faults, stats, limits, settle and reset (see
bot.sandbox.routes). Flood limits are off by default, as in the other emulators.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox.core import Clock, OneToOneEmulator
from bot.sandbox.errors import BotApiError, ControlError, bad_request
from bot.sandbox.params import Kind, Param
from bot.sandbox.routes import control_body, json_answer, query_str, serve_emulator
from bot.sandbox.updates import UpdateQueue

MOUNT = "/plain"
DEFAULT_PLAIN_TOKEN = "3000000001:SANDBOX-binhyen-plain-token"
MAX_TEXT_LENGTH = 4096
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
MAX_POLL_TIMEOUT = 50
NOT_WRITTEN = "Forbidden: the user has not written to the bot"
ALLOWED_CONTROLS = frozenset("\n\t")
PLAIN_METHODS: dict[str, tuple[str, tuple[Param, ...]]] = {
    "getMe": ("get_me", ()),
    "getUpdates": ("get_updates", (Param("offset", Kind.INT), Param("timeout", Kind.INT))),
    "sendMessage": ("send_message", (Param("chat_id", Kind.STR, required=True),
                                     Param("text", Kind.STR, required=True))),
}


@dataclass
class PlainMessage:
    message_id: int
    from_bot: bool
    text: str
    date: int


@dataclass
class PlainChat:
    """The bot's chat with one person."""

    user_id: str
    name: str
    messages: list[PlainMessage] = field(default_factory=list)


class PlainSandbox(OneToOneEmulator):
    """The fake plain messenger: its three API methods and its control operations."""

    def __init__(self, token: str = DEFAULT_PLAIN_TOKEN, *, clock: Clock = time.time) -> None:
        super().__init__(token, PLAIN_METHODS, clock, chat_id_type=str)
        self._chats: dict[str, PlainChat] = {}
        self._updates = UpdateQueue(on_change=self._touch)

    # ---------------------------------------------------------------- API methods

    async def get_me(self) -> dict[str, Any]:
        return {"id": self.token.partition(":")[0], "name": "Bình Yên"}

    async def get_updates(self, offset: int | None = None,
                          timeout: int | None = None) -> list[Any]:
        if timeout is not None and not 0 <= timeout <= MAX_POLL_TIMEOUT:
            raise bad_request(f"timeout must be 0-{MAX_POLL_TIMEOUT} seconds")
        return await self._updates.get_updates(offset, None, timeout, None)

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise BotApiError(403, NOT_WRITTEN)
        _check_text(text, bad_request)
        now = self._admit_messages(chat_id, False, 1)
        message = self._add(chat, True, text, now)
        return {"message_id": message.message_id, "date": message.date}

    # ---------------------------------------------------------- control operations

    async def user_message(self, user: Any, text: Any) -> dict[str, Any]:
        """A person writes `text` to the bot. Returns {"update_id", "message_id", "chat_id"}."""
        user_id, name = _user(user)
        if not isinstance(text, str):
            raise ControlError('"text" must be a string')
        _check_text(text, ControlError)
        chat = self._chats.setdefault(user_id, PlainChat(user_id, name))
        chat.name = name
        message = self._add(chat, False, text, self._clock())
        update = {"message_id": message.message_id, "chat_id": user_id,
                  "from": {"id": user_id, "name": name}, "text": text, "date": message.date}
        update_id = self._updates.push("message", update)
        return {"update_id": update_id, "message_id": message.message_id, "chat_id": user_id}

    async def transcript(self, chat_id: str) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ControlError(f"chat {chat_id} not found", status=404)
        return {"chat": {"id": chat.user_id, "name": chat.name},
                "messages": [{"message_id": m.message_id, "from": "bot" if m.from_bot else "user",
                              "user_id": None if m.from_bot else chat.user_id,
                              "text": m.text, "date": m.date} for m in chat.messages]}

    async def list_chats(self) -> list[dict[str, Any]]:
        return [{"chat": {"id": chat.user_id, "name": chat.name},
                 "message_count": len(chat.messages)} for chat in self._chats.values()]

    async def reset(self) -> None:
        self._chats.clear()
        self._updates.drop_pending()
        self.faults.clear()
        self.limiter.clear()
        self.stats.clear()
        self._touch()

    def shutdown(self) -> None:
        self._updates.close()
        super().shutdown()

    # ----------------------------------------------------------------- internals

    def _add(self, chat: PlainChat, from_bot: bool, text: str, now: float) -> PlainMessage:
        message = PlainMessage(len(chat.messages) + 1, from_bot, text, int(now))
        chat.messages.append(message)
        self._touch()
        return message

    def _state_busy_reasons(self) -> list[str]:
        reasons: list[str] = []
        pending = self._updates.pending_ids
        if pending:
            reasons.append(f"{len(pending)} update(s) not confirmed by getUpdates")
        reasons.extend(self._requests_busy_reasons())
        if self._updates.poller_seen and not self._updates.waiting:
            reasons.append("the bot is not waiting in getUpdates")
        return reasons


def _check_text(text: str, error: Any) -> None:
    """1-4,096 characters, not all blank, no control characters but line breaks and tabs."""
    if not text.strip():
        raise error("text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise error(f"text is longer than {MAX_TEXT_LENGTH} characters")
    if any((ord(c) < 32 or 127 <= ord(c) < 160) and c not in ALLOWED_CONTROLS for c in text):
        raise error("text has control characters")


def _user(spec: Any) -> tuple[str, str]:
    """(id, name) of a control request's `user`."""
    if not isinstance(spec, Mapping) or set(spec) - {"id", "name"}:
        raise ControlError('"user" must be an object with "id" and "name"')
    user_id, name = spec.get("id"), spec.get("name")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not 0 < len(user_id.strip()) <= MAX_ID_LENGTH:
        raise ControlError(f'user "id" must be 1-{MAX_ID_LENGTH} characters')
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME_LENGTH:
        raise ControlError(f'user "name" must be 1-{MAX_NAME_LENGTH} characters')
    return user_id.strip(), name.strip()


# ------------------------------------------------------------------------ HTTP face

PLAIN_KEY = web.AppKey("plain", PlainSandbox)


async def plain_message(request: web.Request) -> web.Response:
    """POST /control/message {"user": {"id", "name"}, "text"}."""
    body = await control_body(request, {"user", "text"})
    return json_answer(await request.app[PLAIN_KEY].user_message(body.get("user"),
                                                                 body.get("text")))


async def plain_transcript(request: web.Request) -> web.Response:
    """GET /control/transcript?chat_id=C (the person's id)."""
    return json_answer(await request.app[PLAIN_KEY].transcript(query_str(request, "chat_id")))


async def plain_chats(request: web.Request) -> web.Response:
    """GET /control/chats."""
    return json_answer({"chats": await request.app[PLAIN_KEY].list_chats()})


def build_plain_app(plain: PlainSandbox) -> web.Application:
    """The emulator's sub-application, to mount at `MOUNT`."""
    app = web.Application()
    app[PLAIN_KEY] = plain
    serve_emulator(app, plain)
    app.router.add_post("/control/message", plain_message)
    app.router.add_get("/control/transcript", plain_transcript)
    app.router.add_get("/control/chats", plain_chats)
    return app
