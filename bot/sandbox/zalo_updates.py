"""How the Zalo emulator hands updates to the bot: getUpdates one at a time, or a webhook.

Zalo has no update ids, offsets or acknowledgements. `ZaloInbox` keeps the updates the
bot has not received, oldest first; a getUpdates call takes exactly one and it is gone,
so a bot that crashes after receiving it has lost it. A call finding none waits (long
polling, `LongPoll` shared with the Telegram sandbox); a newer call supersedes a waiting
one, which answers 409 Conflict.

While a webhook is set, `WebhookDelivery` POSTs the updates to its url instead, one at a
time and in order, as JSON with the secret in the `X-Bot-Api-Secret-Token` header. Only
a 200 answer counts as delivered: anything else (another status, a refused connection,
no answer within `RetryPolicy.timeout`) is retried after a growing pause, and after
`RetryPolicy.attempts` tries the update is given up, as a real platform would. Every
try is logged for GET /zalo/control/webhook. An update whose delivery was cut short by
deleteWebhook goes back to the front of the inbox for getUpdates.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp

from bot.sandbox.errors import BotApiError
from bot.sandbox.updates import CONFLICT_DESCRIPTION, LongPoll

Update = Any  # a dict, except what a test queued raw
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_LOGGED_ATTEMPTS = 500


class ZaloInbox:
    """The updates the bot has not received yet, and the getUpdates call waiting for one."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._pending: deque[Update] = deque()
        self._poll = LongPoll(on_change)
        self.poller_seen = False

    @property
    def pending_count(self) -> int:
        """How many updates wait to be handed out."""
        return len(self._pending)

    @property
    def waiting(self) -> bool:
        """Whether a getUpdates call is long-polling."""
        return self._poll.waiting

    def push(self, update: Update, *, front: bool = False) -> None:
        """Queue an update (`front`: put back one whose webhook delivery was cut short)
        and wake the waiting poller."""
        if front:
            self._pending.appendleft(update)
        else:
            self._pending.append(update)
        self._poll.wake()
        self._on_change()

    def pop(self) -> Update | None:
        """Hand out the oldest update; it is gone from the inbox."""
        update = self._pending.popleft() if self._pending else None
        self._on_change()
        return update

    async def wait(self, seconds: float) -> None:
        """Return once an update is pending or `seconds` passed; 409 if superseded."""
        self.poller_seen = True
        self._poll.supersede()
        self._on_change()
        if self._pending or seconds <= 0 or self._poll.closed:
            return
        if await self._poll.wait(seconds):
            raise BotApiError(409, CONFLICT_DESCRIPTION)

    def interrupt(self) -> None:
        """End a waiting getUpdates early (a webhook was just set)."""
        self._poll.wake()

    def clear(self) -> None:
        """Forget every update not handed out."""
        self._pending.clear()
        self._on_change()

    def close(self) -> None:
        """Answer a waiting getUpdates at once and stop long polling (shutdown)."""
        self._poll.close()


@dataclass(frozen=True)
class Webhook:
    """What setWebhook set."""

    url: str
    secret_token: str
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
    """Delivers the inbox to the webhook while one is set (see the module docstring)."""

    def __init__(
        self,
        inbox: ZaloInbox,
        now_ms: Callable[[], int],
        pause: Callable[[float], Awaitable[None]],
        on_change: Callable[[], None],
    ) -> None:
        self.webhook: Webhook | None = None
        self.retry = RetryPolicy()
        self.delivering = False
        self.delivered = 0
        self.given_up = 0
        self._inbox = inbox
        self._now_ms = now_ms
        self._pause = pause
        self._on_change = on_change
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
        if self.webhook is None or self._closed or not self._inbox.pending_count:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def to_json(self) -> dict[str, Any]:
        """The body of GET /zalo/control/webhook."""
        return {
            "webhook": None if self.webhook is None else asdict(self.webhook),
            "pending": self._inbox.pending_count,
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
            update = self._inbox.pop()
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
                self._inbox.push(update, front=True)
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
        headers = {SECRET_HEADER: webhook.secret_token}
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
        body = update if isinstance(update, dict) else {}  # a raw update may be any JSON
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        self._attempts.append(
            {
                "event_name": body.get("event_name"),
                "message_id": message.get("message_id"),
                "url": webhook.url,
                "attempt": attempt,
                "status": status,
                "error": error,
                "delivered": status == 200,
                "at": self._now_ms(),
            }
        )
