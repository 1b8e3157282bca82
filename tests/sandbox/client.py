"""HTTP clients for the sandbox, as the bot (Bot API) or as users (control API): `Tg` for
the Telegram sandbox, `Zl` for the Zalo emulator under /zalo.

Shared by the sandbox tests; the fixtures building them are in tests/sandbox/conftest.py.
"""

from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.server import RunningSandbox
from bot.sandbox.telegram import DEFAULT_TOKEN, TelegramSandbox
from bot.sandbox.zalo import DEFAULT_ZALO_TOKEN, ZaloSandbox


@dataclass
class Tg:
    """Speaks to a running sandbox over HTTP, as the bot (Bot API) or as users (control)."""

    http: aiohttp.ClientSession
    running: RunningSandbox
    token: str = DEFAULT_TOKEN

    @property
    def sandbox(self) -> TelegramSandbox:
        return self.running.sandbox

    def url(self, path: str) -> str:
        return f"{self.running.base_url}{path}"

    async def call(
        self, method: str, token: str | None = None, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        path = f"/bot{token or self.token}/{method}"
        async with self.http.post(self.url(path), json=params) as response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.call(method, **params)
        assert (status, body["ok"]) == (200, True), body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str]:
        status, body = await self.call(method, **params)
        assert body["ok"] is False and body["error_code"] == status, body
        return status, body["description"]

    async def multipart(
        self, method: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """A multipart request; `files` maps part names to (file name, bytes)."""
        form = aiohttp.FormData(quote_fields=False)
        for name, value in fields.items():
            form.add_field(name, value)
        for name, (file_name, data) in (files or {}).items():
            form.add_field(name, data, filename=file_name)
        async with self.http.post(self.url(f"/bot{self.token}/{method}"), data=form) as response:
            return response.status, await response.json()

    async def control(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        if body is None:
            async with self.http.get(self.url(path)) as response:
                return response.status, await response.json()
        async with self.http.post(self.url(path), json=body) as response:
            return response.status, await response.json()

    async def control_ok(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, answer = await self.control(path, body)
        assert status == 200, answer
        return answer

    async def delete(self, path: str) -> tuple[int, Any]:
        async with self.http.delete(self.url(path)) as response:
            return response.status, await response.json()

    async def say(self, user: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
        status, body = await self.control("/control/message", {"user": user, "text": text, **extra})
        assert status == 200, body
        return body

    async def send(self, user: dict[str, Any], **content: Any) -> dict[str, Any]:
        """A user message with any content fields (photo, location, caption...)."""
        return await self.control_ok("/control/message", {"user": user, **content})

    async def press(self, **fields: Any) -> tuple[int, dict[str, Any]]:
        return await self.control("/control/press", fields)

    async def transcript(self, chat_id: int) -> dict[str, Any]:
        status, body = await self.control(f"/control/transcript?chat_id={chat_id}")
        assert status == 200, body
        return body

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return list((await self.transcript(chat_id))["messages"])

    async def updates(self, **params: Any) -> list[dict[str, Any]]:
        return await self.ok("getUpdates", **params)

    async def settle(self, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
        return await self.control("/control/settle", {"timeout": timeout})

    async def fault(self, **rule: Any) -> int:
        """Add a fault rule; returns its id."""
        return int((await self.control_ok("/control/faults", rule))["rule_id"])

    async def limits(self, **settings: Any) -> dict[str, Any]:
        return dict(await self.control_ok("/control/limits", settings))

    async def stats(self) -> dict[str, Any]:
        return dict(await self.control_ok("/control/stats"))


@dataclass
class Zl(Tg):
    """Speaks to the Zalo emulator of a running sandbox (Zalo's bot API and its control)."""

    token: str = DEFAULT_ZALO_TOKEN

    @property
    def zalo(self) -> ZaloSandbox:
        assert self.running.zalo is not None
        return self.running.zalo

    def url(self, path: str) -> str:
        return f"{self.running.zalo_base_url}{path}"

    async def poll(self, timeout: int = 0) -> tuple[int, dict[str, Any]]:
        """getUpdates as Zalo's clients send it: the timeout a string of seconds."""
        return await self.call("getUpdates", timeout=str(timeout))
