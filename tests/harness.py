"""The end-to-end driver: the real bot and the sandbox in one event loop, over real HTTP.

Tests speak in people's terms — `say`, `choose`, `seen` — so the same test runs on any channel:
on Telegram `choose` presses the inline button with that label; on a text-only channel (Zalo, or
"plain", the test messenger of `bot.channels.plaintext`) it types the choice's number. Nothing
here imitates our own code: the bot is `bot.app.App` itself.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from pydantic import AnyHttpUrl

from bot.app import App
from bot.channels.base import Endpoint
from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.flows import Registry
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.web import WebServer, webhook_path
from content.tips import ACTION_COMMANDS
from content.tips import ACTIONS as ACTION_LABELS
from handlers import build_registry

TOKEN = "123456789:SANDBOX-token-for-tests-only_xyz"
ZALO_TOKEN = "987654321:SANDBOX-zalo-token-for-tests"
PLAIN_TOKEN = "555555555:SANDBOX-plain-token-for-tests"
TEXT_ONLY = frozenset({"zalo", "plain"})
MOUNTS = {"zalo": "/zalo", "plain": "/plain"}  # where each emulator is in the sandbox
NUMBERED = re.compile(r"^(\d{1,2})\. (.+)$", re.MULTILINE)
WINDOW_HOURS = 48


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        return data


RESIDENT = User(1001, "An", "Nguyễn Văn")
RESIDENT_2 = User(1002, "Hoa", "Lý Thị")
OFFICER = User(2001, "Bình", "Trần Thị")
OFFICER_OTHER = User(2002, "Đông", "Vũ Văn")
CHIEF = User(3001, "Cường", "Lê Văn")
LEADER = User(4001, "Dung", "Phạm Thị")
GROUP_CHAT = -100


class SettleTimeout(AssertionError):
    pass


@dataclass
class Harness:
    app: App
    sandbox: RunningSandbox
    http: aiohttp.ClientSession
    clock: FakeClock
    channel: str = "telegram"
    window: bool = False  # Zalo's 48-hour contact window is enforced by the sandbox
    web: WebServer | None = None  # the bot's web server, when the platform calls a webhook
    _seen_upto: dict[int | str, int] = field(default_factory=dict)

    async def restart_bot(self, settings: Settings | None = None,
                          db: Database | None = None) -> None:
        """The bot stops and starts again (a deploy, a crash) while the messengers stay up;
        given `settings` and `db`, it starts on another database (a restored backup)."""
        assert self.web is None, "a restart behind a webhook is not built here"
        old = self.app
        await old.stop()
        app = App(settings or old.settings, clock=self.clock, registry=old.registry,
                  run_scheduler=old.run_scheduler, endpoints=old.endpoints)
        await app.prepare(db if db is not None else old.rt.db)
        for emulator in (self.sandbox.sandbox, self.sandbox.zalo, self.sandbox.plain):
            if emulator is not None:
                emulator.idle_probe = app.idle
        await app.start()
        self.app = app
        await self.settle()

    # ---- raw control API ---------------------------------------------------------------
    @property
    def zalo(self) -> bool:
        """A text-only run — Zalo's, or the plain messenger's: no buttons, no groups, no pins;
        choices, places and phone numbers are typed. (What the suites branch on; the name is
        from when Zalo was the only text-only messenger.)"""
        return self.channel in TEXT_ONLY

    @property
    def base(self) -> str:
        """Where this channel's emulator lives in the sandbox."""
        return self.sandbox.base_url + MOUNTS.get(self.channel, "")

    def chat_of(self, user: User, chat: int | None = None) -> int | str:
        if self.zalo:
            return str(user.id)  # text-only ids are strings, and every chat is private
        return chat if chat is not None else user.id

    async def control(self, verb: str, path: str, **payload: Any) -> dict[str, Any]:
        url = f"{self.base}/control/{path}"
        if verb == "GET":
            async with self.http.get(url, params=payload) as response:
                body = await response.json()
        else:
            async with self.http.post(url, json=payload) as response:
                body = await response.json()
        if response.status >= 400:
            raise AssertionError(f"control {path} -> {response.status}: {body}")
        return dict(body)

    async def settle(self, timeout: float = 15.0, *, advance: bool = True,
                     horizon: timedelta = timedelta(minutes=5)) -> None:
        """Return when the bot has nothing left to do. With `advance`, move the fake clock to
        each moment the bot waits for (rate limits, backoff) within `horizon`, as real time
        would; tests about time itself pass `advance=False` and move the clock themselves."""
        limit = self.clock.now() + horizon
        while True:
            async with self.http.post(f"{self.base}/control/settle",
                                      json={"timeout": timeout}) as response:
                body = await response.json()
            if response.status != 200:
                raise SettleTimeout(f"bot did not settle: {body}")
            next_at = self.app.next_work_at() if advance else None
            if next_at is None or next_at > limit:
                return
            if next_at > self.clock.now():
                self.clock.set(next_at)
            else:
                self.clock.advance(timedelta(milliseconds=1))

    async def transcript(self, chat_id: int | str) -> list[dict[str, Any]]:
        url = f"{self.base}/control/transcript"
        async with self.http.get(url, params={"chat_id": str(chat_id)}) as response:
            if response.status == 404:
                return []  # nobody has written in that chat yet
            body = await response.json()
        return list(body["messages"])

    async def stats(self) -> dict[str, Any]:
        return await self.control("GET", "stats")

    async def window_refusals(self) -> dict[str, int]:
        """Zalo: messages the sandbox refused per chat for its contact window."""
        return dict((await self.control("GET", "window"))["refused"])

    async def limits(self, **limits: Any) -> dict[str, Any]:
        return await self.control("POST", "limits", **limits)

    async def fault(self, error: str, **rule: Any) -> int:
        return int((await self.control("POST", "faults", error=error, **rule))["rule_id"])

    def _files(self) -> None:
        """The plain messenger carries text only: a test that sends a file skips there."""
        if self.channel == "plain":
            pytest.skip("the plain messenger carries no files")

    async def send_photo(self, user: User, *, data: bytes | None = None,
                         album: str | None = None, caption: str | None = None) -> None:
        self._files()
        photo: dict[str, Any] = {}
        if data is not None:
            photo = {"data_base64": base64.b64encode(data).decode()}
        payload: dict[str, Any] = {"user": self.user_json(user), "photo": photo}
        if album and not self.zalo:
            payload["media_group_id"] = album
        if caption:
            payload["caption"] = caption
        await self.control("POST", "message", **payload)
        await self.settle()

    async def send_media(self, user: User, kind: str, spec: dict[str, Any]) -> None:
        self._files()
        await self.control("POST", "message", user=self.user_json(user), **{kind: spec})
        await self.settle()

    async def send_location(self, user: User, latitude: float, longitude: float) -> None:
        """Telegram shares a pin; on a text-only messenger the place is typed."""
        if self.zalo:
            await self.send(user, f"Gần vị trí {latitude:.4f}, {longitude:.4f}")
            return
        await self.control("POST", "message", user=user.as_json(),
                           location={"latitude": latitude, "longitude": longitude})
        await self.settle()

    async def send_contact(self, user: User, phone: str, *, own: bool = True) -> None:
        """Telegram's contact button; on a text-only messenger the number is typed."""
        if self.zalo:
            await self.send(user, phone)
            return
        contact: dict[str, Any] = {"phone_number": phone, "first_name": user.first_name}
        if own:
            contact["user_id"] = user.id
        await self.control("POST", "message", user=user.as_json(), contact=contact)
        await self.settle()

    def user_json(self, user: User) -> dict[str, Any]:
        name = f"{user.last_name} {user.first_name}"
        if self.channel == "plain":
            return {"id": str(user.id), "name": name}
        if self.channel == "zalo":
            return {"id": str(user.id), "display_name": name}
        return user.as_json()

    async def callback_answers(self, chat_id: int) -> list[dict[str, Any]]:
        body = await self.control("GET", "transcript", chat_id=str(chat_id))
        return list(body.get("callback_answers", []))

    # ---- people's actions --------------------------------------------------------------
    async def send(self, user: User, text: str, *, chat: int | None = None,
                   title: str = "Tổ dân cư số 1", admin: bool | None = None,
                   settle: bool = True) -> dict[str, Any]:
        payload: dict[str, Any] = {"user": self.user_json(user), "text": text}
        if chat is not None and chat != user.id:
            assert not self.zalo, "Zalo bots have no group chats"
            payload["chat"] = {"id": chat, "type": "group" if chat < 0 else "private",
                               "title": title}
            if admin is not None:
                payload["chat"]["bot_is_admin"] = admin
        result = await self.control("POST", "message", **payload)
        if settle:
            await self.settle()
        return result

    say = send

    async def press(self, user: User, label: str | None = None, *, chat: int | None = None,
                    data: str | None = None, message_id: int | None = None,
                    force: bool = False, settle: bool = True) -> dict[str, Any]:
        chat_id = chat if chat is not None else user.id
        if message_id is None:
            message = await self.last_with_buttons(chat_id)
            message_id = int(message["message_id"])
        payload: dict[str, Any] = {"user_id": user.id, "chat_id": chat_id,
                                   "message_id": message_id}
        if data is not None:
            payload["data"] = data
        else:
            payload["button"] = label
        if force:
            payload["force"] = True
        result = await self.control("POST", "press", **payload)
        if settle:
            await self.settle()
        return result

    async def choose(self, user: User, label: str, *, chat: int | None = None,
                     settle: bool = True) -> None:
        """Pick a choice the bot offered, the way this channel does it: press the inline
        button, tap the reply-keyboard button (which sends its label as text), or — on a
        text-only messenger — type the choice's number."""
        if self.zalo:
            await self.send(user, str(await self._number_of(user, label)), settle=settle)
            return
        chat_id = chat if chat is not None else user.id
        for message in reversed(await self.bot_messages(chat_id)):
            markup = message.get("reply_markup") or {}
            if markup.get("inline_keyboard") and not message.get("deleted"):
                await self.press(user, label, chat=chat, message_id=int(message["message_id"]),
                                 settle=settle)
                return
            if markup.get("keyboard"):
                assert label in self.buttons(message), (label, self.buttons(message))
                await self.send(user, label, chat=chat, settle=settle)
                return
        raise AssertionError(f"nothing to choose from in chat {chat_id}")

    async def _number_of(self, user: User, label: str) -> int:
        for message in reversed(await self.bot_messages(self.chat_of(user))):
            numbered = dict(NUMBERED.findall(message["text"] or ""))
            for number, text in numbered.items():
                if text.strip() == label:
                    return int(number)
            if numbered:
                raise AssertionError(f"{label!r} not offered: {sorted(numbered.values())}")
        raise AssertionError("no numbered choices offered")

    async def act(self, officer: User, ref: int, label: str) -> None:
        """An officer acts on a tip: the card's button on Telegram, its short command on a
        text-only messenger (e.g. `tiepnhan 12`)."""
        if self.zalo:
            command = next(cmd for key, cmd in ACTION_COMMANDS.items()
                           if ACTION_LABELS[key] == label)
            await self.send(officer, f"{command[0]} {ref}")
            return
        for message in reversed(await self.bot_messages(officer.id)):
            if message["text"].startswith(f"📥 Tin báo #{ref}") and label in self.buttons(
                    message):
                await self.press(officer, label, message_id=int(message["message_id"]))
                return
        raise AssertionError(f"no card of tip #{ref} with «{label}»")

    async def bot_messages(self, chat_id: int | str) -> list[dict[str, Any]]:
        return [m for m in await self.transcript(chat_id) if m["from"] == "bot"]

    async def last_with_buttons(self, chat_id: int) -> dict[str, Any]:
        for message in reversed(await self.bot_messages(chat_id)):
            markup = message.get("reply_markup") or {}
            if markup.get("inline_keyboard") and not message.get("deleted"):
                return message
        raise AssertionError(f"no bot message with buttons in chat {chat_id}")

    async def seen(self, user: User, *, chat: int | None = None) -> list[str]:
        """Texts the bot sent into this chat since the last call (a conversation's new lines)."""
        chat_id = self.chat_of(user, chat)
        messages = await self.bot_messages(chat_id)
        start = self._seen_upto.get(chat_id, 0)
        self._seen_upto[chat_id] = len(messages)
        return [m["text"] for m in messages[start:]]

    async def last_text(self, user: User, *, chat: int | None = None) -> str:
        messages = await self.bot_messages(self.chat_of(user, chat))
        assert messages, "the bot has said nothing in this chat"
        return str(messages[-1]["text"])

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[str]:
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [button["text"] for row in rows for button in row]


INVITE_IN_TEXT = re.compile(r"/start ([0-9A-Z]{16})")


@asynccontextmanager
async def start_harness(
    settings: Settings, db: Database, clock: FakeClock, registry: Registry | None = None,
    channel: str = "telegram", *, run_scheduler: bool = False,
) -> AsyncIterator[Harness]:
    """The sandbox (every emulator, on the fake clock) and the bot on one of the channels:
    "telegram", "zalo" or "plain". `zalo-window` is Zalo with its 48-hour contact window
    enforced by the sandbox; `telegram-webhook` is Telegram calling the bot's webhook (the
    bot's web server on a free port as its public address) instead of being polled. With
    `run_scheduler`, APScheduler ticks too (every `settings.tick_seconds`, real time)."""
    channel, _, variant = channel.partition("-")
    if variant == "webhook":
        settings.public_url = AnyHttpUrl("http://127.0.0.1/")  # its port is known once served
    running = await start_sandbox(host="127.0.0.1", port=0, token=TOKEN, zalo_token=ZALO_TOKEN,
                                  plain_token=PLAIN_TOKEN, clock=lambda: clock.now().timestamp())
    assert running.zalo is not None and running.plain is not None
    if variant == "window":
        await running.zalo.set_window(WINDOW_HOURS)
    where = {"telegram": Endpoint(TOKEN, running.base_url),
             "zalo": Endpoint(ZALO_TOKEN, running.zalo_base_url),
             "plain": Endpoint(PLAIN_TOKEN, running.plain_base_url)}
    app = App(settings, clock=clock, registry=registry or build_registry(),
              run_scheduler=run_scheduler, endpoints={channel: where[channel]})
    await app.prepare(db)
    for emulator in (running.sandbox, running.zalo, running.plain):
        emulator.idle_probe = app.idle
    web = None
    if variant == "webhook":
        web = WebServer(app.rt, app.channels, app.health)
        settings.public_url = AnyHttpUrl(f"http://127.0.0.1:{await web.start('127.0.0.1', 0)}")
        app.use_webhooks(str(settings.public_url), webhook_path)
    await app.start()
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    harness = Harness(app, running, http, clock, channel, window=variant == "window", web=web)
    try:
        await harness.settle()
        yield harness
    finally:
        await http.close()
        await harness.app.stop()
        if web is not None:
            await web.stop()
        await running.close()
