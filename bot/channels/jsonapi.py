"""A client for the small JSON Bot APIs shaped like Telegram's (Zalo's, the plain test
channel's): `POST {base}/bot<TOKEN>/<method>` with a JSON body; `{"ok": true, "result"}` back,
or `{"ok": false, "error_code", "description"}`. Network failures are `Transient` and never
carry the URL (it holds the token).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.channels.base import Transient


class ApiError(Exception):
    """The platform refused the call: HTTP `status`, its `error_code` and `description`."""

    def __init__(self, status: int, code: int | None, description: str) -> None:
        super().__init__(f"{status}/{code}: {description}")
        self.status = status
        self.code = code
        self.description = description


class JsonBotApi:
    """POST JSON, `{"ok": …, "result": …}` back; one HTTP session, opened on first use."""

    def __init__(self, token: str, api_url: str, timeout: float) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}"
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def call(self, method: str, body: dict[str, Any] | None = None, *,
                   timeout: float | None = None) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        wait = aiohttp.ClientTimeout(total=timeout or self._timeout)
        try:
            async with self._session.post(f"{self._base}/{method}", json=body or {},
                                          timeout=wait) as response:
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    data = {}
        except (aiohttp.ClientError, TimeoutError) as exc:
            # the URL carries the token: name the error, never print it
            raise Transient(f"network: {type(exc).__name__}") from None
        if not isinstance(data, dict):
            data = {}
        if status >= 400 or not data.get("ok", False):
            code = data.get("error_code")
            raise ApiError(status, code if isinstance(code, int) else None,
                           str(data.get("description") or "error"))
        return data.get("result")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
