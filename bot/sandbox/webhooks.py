"""Webhook delivery, as the Telegram and the Zalo emulators do it once a bot set a webhook.

`WebhookDelivery` POSTs the updates of a `Source` (the emulator's pending updates) to the
webhook's url, one at a time and in order, as JSON, with the secret in the messenger's header
(`X-Telegram-Bot-Api-Secret-Token`, `X-Bot-Api-Secret-Token`) when one was set. Only a 200
answer counts as delivered: anything else (another status, a refused connection, no answer
within `RetryPolicy.timeout`) is retried after a growing pause, and after
`RetryPolicy.attempts` tries the update is given up, as the platforms do. Every try is logged
(`to_json`, for the control API). An update whose delivery was cut short because the webhook
was deleted goes back to the front of the source, for getUpdates.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import aiohttp

Update = Any  # a dict, except what a test queued raw
MAX_LOGGED_ATTEMPTS = 500


class Source(Protocol):
    """Where the updates wait: `take` hands out the oldest (or None), `put_back` returns it."""

    @property
    def pending_count(self) -> int: ...

    def take(self) -> Update | None: ...

    def put_back(self, update: Update) -> None: ...


@dataclass(frozen=True)
class Webhook:
    """What setWebhook set (`secret_token` None: no secret header is sent)."""

    url: str
    secret_token: str | None
    updated_at: int


@dataclass(frozen=True)
class RetryPolicy:
    """How a delivery is tried: `attempts` tries, pauses doubling from `first_delay`
    seconds, each try given `timeout` seconds to be answered."""

    attempts: int = 4
    first_delay: float = 0.2
    timeout: float = 10.0

    def delay(self, attempt: int) -> float:
        """The pause after the `attempt`-th failed try (1-based)."""
        return self.first_delay * 2 ** (attempt - 1)


class WebhookDelivery:
    """Delivers a source's updates to the webhook while one is set (see the module docstring).

    `header` names the secret's header; `describe` says what the log shows of an update."""

    def __init__(
        self,
        source: Source,
        now_ms: Callable[[], int],
        pause: Callable[[float], Awaitable[None]],
        on_change: Callable[[], None],
        *,
        header: str,
        describe: Callable[[Update], dict[str, Any]],
    ) -> None:
        self.webhook: Webhook | None = None
        self.retry = RetryPolicy()
        self.delivering = False
        self.delivered = 0
        self.given_up = 0
        self._source = source
        self._now_ms = now_ms
        self._pause = pause
        self._on_change = on_change
        self._header = header
        self._describe = describe
        self._attempts: deque[dict[str, Any]] = deque(maxlen=MAX_LOGGED_ATTEMPTS)
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def set(self, webhook: Webhook | None) -> None:
        """Set or (with None) remove the webhook; deliver what is pending."""
        self.webhook = webhook
        self._on_change()
        self.kick()

    def kick(self) -> None:
        """Start delivering if a webhook is set, updates wait and no delivery runs."""
        if self.webhook is None or self._closed or not self._source.pending_count:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    @property
    def last_error(self) -> dict[str, Any] | None:
        """The latest failed try: {"at" (ms), "status", "error"}, or None."""
        for attempt in reversed(self._attempts):
            if not attempt["delivered"]:
                return attempt
        return None

    def to_json(self) -> dict[str, Any]:
        """The webhook, its counts and every logged try (the control API's view)."""
        return {
            "webhook": None if self.webhook is None else asdict(self.webhook),
            "pending": self._source.pending_count,
            "delivering": self.delivering,
            "delivered": self.delivered,
            "given_up": self.given_up,
            "retry": asdict(self.retry),
            "attempts": list(self._attempts),
        }

    def clear_log(self) -> None:
        """Forget the logged tries and the counts (reset)."""
        self._attempts.clear()
        self.delivered = self.given_up = 0

    async def close(self) -> None:
        """Stop delivering and close the HTTP client."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while self.webhook is not None and not self._closed:
            update = self._source.take()
            if update is None:
                return
            self.delivering = True
            self._on_change()
            try:
                delivered = await self._deliver(update)
            finally:
                self.delivering = False
                self._on_change()
            if delivered:
                self.delivered += 1
            elif self.webhook is None:
                self._source.put_back(update)
            else:
                self.given_up += 1

    async def _deliver(self, update: Update) -> bool:
        for attempt in range(1, self.retry.attempts + 1):
            webhook = self.webhook
            if webhook is None or self._closed:
                return False
            status, error = await self._post(webhook, update)
            self._log(update, webhook, attempt, status, error)
            if status == 200:
                return True
            if attempt < self.retry.attempts:
                await self._pause(self.retry.delay(attempt))
        return False

    async def _post(self, webhook: Webhook, update: Update) -> tuple[int | None, str | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.retry.timeout)
        headers = {} if webhook.secret_token is None else {self._header: webhook.secret_token}
        try:
            async with self._session.post(
                webhook.url, json=update, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                return response.status, None
        except (aiohttp.ClientError, TimeoutError) as error:
            return None, type(error).__name__

    def _log(
        self,
        update: Update,
        webhook: Webhook,
        attempt: int,
        status: int | None,
        error: str | None,
    ) -> None:
        self._attempts.append(
            {
                **self._describe(update),
                "url": webhook.url,
                "attempt": attempt,
                "status": status,
                "error": error,
                "delivered": status == 200,
                "at": self._now_ms(),
            }
        )
