"""What the Telegram and the Zalo emulators share: their Bot API plumbing and their settling.

`EmulatorCore` is the base of `TelegramSandbox` and `ZaloSandbox`. It holds the method
table (a call is `POST /bot{token}/{method}`, any letter case, 401 for a wrong token and
404 for an unknown method, parameters checked with bot.sandbox.params), the injected
`faults`, the flood `limiter` and the `stats` the server applies to every request, the
count of Bot API requests in flight and `settle`, which waits until the bot is idle.

A subclass says what its chat ids look like in a request (`_fault_chat_id`), what type
such a chat has (`_fault_chat_type`) and why it is busy (`_state_busy_reasons`), and
calls `_touch` whenever its state changes.
"""

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from bot.sandbox.errors import BotApiError
from bot.sandbox.faults import FaultBook, FaultRule, too_many_requests
from bot.sandbox.limits import LIMIT_FIELDS, ChatKey, RateLimiter
from bot.sandbox.params import Param, coerce_params
from bot.sandbox.stats import Stats

IdleProbe = Callable[[], Awaitable[bool]]
Clock = Callable[[], float]
MethodTable = Mapping[str, tuple[str, tuple[Param, ...]]]
Handler = Callable[..., Awaitable[Any]]

IDLE_GAP_SECONDS = 0.01
FIRST_RECHECK_SECONDS = 0.005
MAX_RECHECK_SECONDS = 0.05


class EmulatorCore(ABC):
    """Method dispatch, faults, limits, statistics and idle tracking of one fake messenger.

    `methods` maps each canonical method name (sendMessage) to the name of the
    coroutine method implementing it and its declared parameters.
    """

    limit_fields: frozenset[str] = LIMIT_FIELDS

    def __init__(
        self, token: str, methods: MethodTable, clock: Clock, *, chat_id_type: type = int
    ) -> None:
        self.token = token
        self.idle_probe: IdleProbe | None = None
        self._clock = clock
        self._methods: dict[str, tuple[str, Handler, tuple[Param, ...]]] = {
            name.lower(): (name, getattr(self, attribute), params)
            for name, (attribute, params) in methods.items()
        }
        self._busy_requests = 0
        self._activity = 0
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self.faults = FaultBook(self.canonical_method, chat_id_type=chat_id_type)
        self.limiter = RateLimiter()
        self.stats = Stats()

    @property
    def clock(self) -> Clock:
        """What the emulator reads the time from (seconds since the epoch)."""
        return self._clock

    # ----------------------------------------------------------------- Bot API entry

    def resolve_method(self, token: str, method: str) -> tuple[Handler, tuple[Param, ...]]:
        """The handler and parameters of a Bot API method; 401 or 404."""
        _, handler, params = self._method_entry(token, method)
        return handler, params

    def method_name(self, token: str, method: str) -> str:
        """The canonical name of a Bot API method (sendMessage...); 401 or 404."""
        return self._method_entry(token, method)[0]

    def canonical_method(self, method: str) -> str | None:
        """The canonical name of a method the emulator implements, in any letter case."""
        entry = self._methods.get(method.lower())
        return None if entry is None else entry[0]

    async def call_bot_api(self, token: str, method: str, params: Mapping[str, Any]) -> Any:
        """Run one Bot API call with raw parameters (strings, JSON text, JSON values or
        `Upload` file parts)."""
        handler, specs = self.resolve_method(token, method)
        return await handler(**coerce_params(specs, params))

    def take_fault(self, method: str, params: Mapping[str, Any]) -> FaultRule | None:
        """The injected fault hitting this request (canonical method name), if any."""
        rule = self.faults.take(method, self._fault_chat_id(params))
        if rule is not None:
            self.stats.count_fault()
        return rule

    def fault_error(self, rule: FaultRule, params: Mapping[str, Any]) -> BotApiError:
        """The error a 429, 5xx, 403 or 400 fault answers this request with."""
        return rule.error_for(self._fault_chat_type(self._fault_chat_id(params)))

    def _admit_messages(self, chat_id: ChatKey, is_group: bool, count: int) -> float:
        """Let the bot create `count` messages in a chat now, or raise the 429 of the flood
        limits; the accepted messages are recorded and counted. Returns the clock's time."""
        now = self._clock()
        refused = self.limiter.refusal(now, chat_id, is_group, count)
        if refused is not None:
            self.stats.count_refusal(refused[0])
            raise too_many_requests(refused[1])
        self.limiter.record(now, chat_id, is_group, count)
        self.stats.count_messages(now, chat_id, is_group, count)
        return now

    def limits_json(self) -> dict[str, Any]:
        """The flood limits as GET /control/limits shows them."""
        return self.limiter.limits.to_json()

    def _method_entry(self, token: str, method: str) -> tuple[str, Handler, tuple[Param, ...]]:
        if token != self.token:
            raise BotApiError(401, "Unauthorized")
        entry = self._methods.get(method.lower())
        if entry is None:
            raise BotApiError(404, "Not Found")
        return entry

    @contextlib.contextmanager
    def track_request(self, method: str) -> Iterator[None]:
        """Count a Bot API request as work in flight while it is processed (see settle).

        getUpdates is not counted: while it waits, the bot is idle by definition.
        """
        counted = method.lower() != "getupdates"
        if counted:
            self._busy_requests += 1
        self._touch()
        try:
            yield
        finally:
            if counted:
                self._busy_requests -= 1
            self._touch()

    # -------------------------------------------------------------- time and shutdown

    async def pause(self, seconds: float) -> None:
        """Wait in real time (an injected delay), cut short when the emulator shuts down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    @property
    def stopping(self) -> bool:
        """Whether `shutdown` was called."""
        return self._stopping.is_set()

    def shutdown(self) -> None:
        """End injected delays (subclasses also answer a waiting getUpdates)."""
        self._stopping.set()

    # ------------------------------------------------------------------ settling

    async def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the bot has no work in flight; False if `timeout` passes first.

        Idle means, at two checks IDLE_GAP_SECONDS apart with no Bot API request or
        state change in between: no reason in `_state_busy_reasons` (updates the bot has
        not taken, requests in progress...) and `idle_probe`, if set, returning True.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        recheck = FIRST_RECHECK_SECONDS
        while True:
            if await self._idle_twice():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            changed = await self._wait_for_change(min(remaining, recheck))
            # Woken by a change: look again soon. Idle-probe state changes are not
            # signalled, so without one re-check at growing intervals up to the maximum.
            recheck = FIRST_RECHECK_SECONDS if changed else min(recheck * 2, MAX_RECHECK_SECONDS)

    async def busy_reasons(self) -> list[str]:
        """Why the bot does not count as idle right now (empty when it does)."""
        reasons = self._state_busy_reasons()
        if self.idle_probe is not None and not await self.idle_probe():
            reasons.append("idle_probe reports work in flight")
        return reasons

    def _requests_busy_reasons(self) -> list[str]:
        if not self._busy_requests:
            return []
        return [f"{self._busy_requests} Bot API request(s) in progress"]

    def _touch(self) -> None:
        self._activity += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for_change(self, seconds: float) -> bool:
        """Wait for the next state change or `seconds`; True if something changed."""
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _idle_once(self) -> bool:
        if self._state_busy_reasons():
            return False
        return self.idle_probe is None or bool(await self.idle_probe())

    async def _idle_twice(self) -> bool:
        stamp = self._activity
        if not await self._idle_once():
            return False
        await asyncio.sleep(IDLE_GAP_SECONDS)
        return stamp == self._activity and await self._idle_once()

    # ------------------------------------------------------------ for subclasses

    @abstractmethod
    async def reset(self) -> None:
        """Forget users, chats, pending updates, faults, statistics (POST /control/reset)."""

    @abstractmethod
    def _fault_chat_id(self, params: Mapping[str, Any]) -> int | str | None:
        """The chat a raw Bot API request names, as fault rules match it."""

    @abstractmethod
    def _fault_chat_type(self, chat_id: int | str | None) -> str | None:
        """The type of that chat ("private", "group"...), for the text of a 403."""

    @abstractmethod
    def _state_busy_reasons(self) -> list[str]:
        """Why the emulator's own state says the bot is busy (see `settle`)."""


class OneToOneEmulator(EmulatorCore):
    """An emulator whose every chat is one person's, named by a string id (Zalo's, the plain
    messenger's): faults match chats by that id, and there is no group limit."""

    limit_fields = LIMIT_FIELDS - {"group_per_minute"}

    def limits_json(self) -> dict[str, Any]:
        """The flood limits, without the group limit such a messenger has no use for."""
        body = super().limits_json()
        body.pop("group_per_minute")
        body["effective"].pop("group_per_minute")
        return body

    def _fault_chat_id(self, params: Mapping[str, Any]) -> str | None:
        value = params.get("chat_id")
        return None if value is None or isinstance(value, bool) else str(value)

    def _fault_chat_type(self, chat_id: int | str | None) -> str | None:
        return "private"
