"""Webhook delivery, as the Telegram and the Zalo emulators do it once a bot set a webhook.

`WebhookDelivery` POSTs the updates of a `Source` (the emulator's pending updates) to the
webhook's url as JSON, with the secret in the messenger's header
(`X-Telegram-Bot-Api-Secret-Token`, `X-Bot-Api-Secret-Token`) when one was set. Up to
`connections()` updates are in flight at once (Telegram's `max_connections`), but never two of
one sender: a sender's next update goes only once the previous one was answered, so one
person's updates arrive in order while many people's arrive in parallel, over several
connections, as they do from the platforms to a bot with several workers. Only a 200 answer
counts as delivered: anything else (another status, a refused connection, no answer within
`RetryPolicy.timeout`) is retried after a growing pause, and after `RetryPolicy.attempts` tries
the update is given up, as the platforms do. Every try is logged (`to_json`, for the control
API). An update whose delivery was cut short because the webhook was deleted goes back to the
source, for getUpdates.

HTTPS is checked as the platforms check it: a certificate that no trusted authority signed is
refused, unless the sandbox was told to trust its authority (`trust`, the test's throwaway CA:
Telegram takes a self-signed certificate uploaded with setWebhook the same way).
"""

import asyncio
import contextlib
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import aiohttp

Update = Any  # a dict, except what a test queued raw


def sender_of(update: Update) -> Hashable:
    """Whose update this is, for keeping one person's updates in order: the `from` of the
    first object in it that has one (a message, a pressed button, …), else its chat, else
    nobody in particular (the update itself)."""
    if isinstance(update, dict):
        for value in update.values():
            if isinstance(value, dict):
                person = value.get("from")
                if isinstance(person, dict) and isinstance(person.get("id"), int | str):
                    return ("from", person["id"])
                chat = value.get("chat")
                if isinstance(chat, dict) and isinstance(chat.get("id"), int | str):
                    return ("chat", chat["id"])
    return ("update", id(update))
MAX_LOGGED_ATTEMPTS = 500


class Source(Protocol):
    """Where the updates wait: `take` hands out the oldest that `busy` does not refuse (or
    None); `confirm` says it went (or was given up), `put_back` returns it."""

    @property
    def pending_count(self) -> int: ...

    def take(self, busy: Callable[[Update], bool] = lambda _update: False) -> Update | None: ...

    def confirm(self, update: Update) -> None: ...

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
        sender: Callable[[Update], Hashable] = sender_of,
        connections: Callable[[], int] = lambda: 1,
    ) -> None:
        self.webhook: Webhook | None = None
        self.retry = RetryPolicy()
        self.trusted: ssl.SSLContext | None = None  # `trust`
        self._sender = sender
        self._connections = connections
        self._in_flight: dict[asyncio.Task[bool], tuple[Hashable, Update]] = {}
        self._more = asyncio.Event()
        self.watchers: list[Callable[[Update, float], None]] = []
        """Called with each delivered update and the seconds its successful call took (from
        sending the request to the 200): lets a benchmark measure the bot's answer to the
        platform without a proxy of its own in between."""
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

    def trust(self, cafile: str) -> None:
        """Accept HTTPS certificates signed by the authority in `cafile` (besides the usual)."""
        self.trusted = ssl.create_default_context(cafile=cafile)

    @property
    def delivering(self) -> bool:
        return bool(self._in_flight)

    def kick(self) -> None:
        """Start delivering if a webhook is set, updates wait and no delivery runs; tell a
        running one that more came."""
        if self.webhook is None or self._closed or not self._source.pending_count:
            return
        self._more.set()
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
        try:
            while self.webhook is not None and not self._closed:
                self._more.clear()
                self._start_what_may_go()
                if not self._in_flight:
                    return
                more = asyncio.ensure_future(self._more.wait())
                done, _ = await asyncio.wait({*self._in_flight, more},
                                             return_when=asyncio.FIRST_COMPLETED)
                more.cancel()
                for task in done - {more}:
                    self._finished(task)
        finally:
            for task in self._in_flight:
                task.cancel()
            for task in list(self._in_flight):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                self._finished(task)

    def _start_what_may_go(self) -> None:
        busy = {sender for sender, _ in self._in_flight.values()}
        while len(self._in_flight) < max(1, self._connections()):
            update = self._source.take(lambda u: self._sender(u) in busy)
            if update is None:
                break
            sender = self._sender(update)
            busy.add(sender)
            task = asyncio.ensure_future(self._deliver(update))
            self._in_flight[task] = (sender, update)
            self._on_change()

    def _finished(self, task: asyncio.Task[bool]) -> None:
        _, update = self._in_flight.pop(task)
        delivered = not task.cancelled() and task.exception() is None and task.result()
        if delivered:
            self.delivered += 1
            self._source.confirm(update)
        elif self.webhook is None or self._closed:
            self._source.put_back(update)
        else:
            self.given_up += 1
            self._source.confirm(update)
        self._on_change()

    async def _deliver(self, update: Update) -> bool:
        for attempt in range(1, self.retry.attempts + 1):
            webhook = self.webhook
            if webhook is None or self._closed:
                return False
            started = time.perf_counter()
            status, error = await self._post(webhook, update)
            took = time.perf_counter() - started
            self._log(update, webhook, attempt, status, error)
            if status == 200:
                for watcher in self.watchers:
                    watcher(update, took)
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
                webhook.url, json=update, headers=headers, timeout=timeout,
                ssl=self.trusted if self.trusted is not None else True,
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
