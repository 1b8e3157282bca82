"""Telegram-like flood limits on the messages a bot creates, over sliding windows.

Telegram answers 429 "Too Many Requests: retry after N" when a bot sends too fast:
about 30 messages per second overall, 20 per minute into one group and 1 per second
into one private chat. `RateLimiter` enforces those limits (when enabled) on the sandbox
clock: a request that would put more than the limit into ANY window of that length is
refused with the seconds until the window has room. Only accepted messages count.
`WindowSet` keeps the windows as deques of arrival times, so checking and recording
are O(1) amortised; the sandbox's statistics reuse it to measure the busiest windows.
"""

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.sandbox.errors import ControlError

GLOBAL_SPAN_SECONDS = 1.0
GROUP_SPAN_SECONDS = 60.0
PRIVATE_SPAN_SECONDS = 1.0
MAX_STRICTNESS = 100.0
_EPSILON = 1e-9
_LIMIT_FIELDS = ("global_per_second", "group_per_minute", "private_per_second")
LIMIT_FIELDS = frozenset({"enabled", *_LIMIT_FIELDS, "strictness"})
ChatKey = int | str  # Telegram chat ids are integers, Zalo's are strings


class SlidingWindow:
    """Arrival times of accepted messages within the last `span` seconds."""

    def __init__(self, span: float) -> None:
        self.span = span
        self._times: deque[float] = deque()

    def count(self, now: float) -> int:
        """How many messages arrived in (now - span, now]."""
        self._prune(now)
        return len(self._times)

    def add(self, now: float, count: int = 1) -> int:
        """Record `count` messages arriving now; returns the window's new size."""
        self._prune(now)
        self._times.extend([now] * count)
        return len(self._times)

    def wait_for_room(self, now: float, needed: int, limit: int) -> float:
        """Seconds until `needed` more messages fit under `limit` (0 if they fit now).

        A batch larger than the limit (a big album into a private chat) fits only into
        an empty window, so it is never refused for ever.
        """
        self._prune(now)
        excess = len(self._times) + needed - limit
        if excess <= 0 or not self._times:
            return 0.0
        if needed > limit:
            return self._times[-1] + self.span - now
        return self._times[excess - 1] + self.span - now

    def _prune(self, now: float) -> None:
        times, horizon = self._times, now - self.span
        while times and times[0] <= horizon:
            times.popleft()


class WindowSet:
    """One window over all chats plus one per chat (a minute for groups, a second else)."""

    def __init__(self) -> None:
        self.overall = SlidingWindow(GLOBAL_SPAN_SECONDS)
        self._chats: dict[ChatKey, SlidingWindow] = {}

    def chat(self, chat_id: ChatKey, is_group: bool) -> SlidingWindow:
        """The window of one chat, created on first use."""
        window = self._chats.get(chat_id)
        if window is None:
            span = GROUP_SPAN_SECONDS if is_group else PRIVATE_SPAN_SECONDS
            window = self._chats[chat_id] = SlidingWindow(span)
        return window

    def add(self, now: float, chat_id: ChatKey, is_group: bool, count: int) -> tuple[int, int]:
        """Record accepted messages; returns (messages in the overall, in the chat window)."""
        in_chat = self.chat(chat_id, is_group).add(now, count)
        return self.overall.add(now, count), in_chat

    def clear(self) -> None:
        """Forget every recorded message."""
        self.overall = SlidingWindow(GLOBAL_SPAN_SECONDS)
        self._chats.clear()


@dataclass(frozen=True)
class RateLimits:
    """The limits; `strictness` multiplies them (0.9 = 10% stricter)."""

    enabled: bool = False
    global_per_second: int = 30
    group_per_minute: int = 20
    private_per_second: int = 1
    strictness: float = 1.0

    def effective(self, limit: int) -> int:
        """floor(limit * strictness), at least 1."""
        return max(1, math.floor(limit * self.strictness + _EPSILON))

    def to_json(self) -> dict[str, Any]:
        """The settings and the effective limits, as GET /control/limits shows them."""
        effective = {name: self.effective(getattr(self, name)) for name in _LIMIT_FIELDS}
        return {**asdict(self), "effective": effective}


def parse_limits(body: Mapping[str, Any], current: RateLimits) -> RateLimits:
    """`current` with the fields a POST /control/limits body gives; ControlError if bad."""
    changes: dict[str, Any] = {}
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise ControlError('"enabled" must be true or false')
        changes["enabled"] = body["enabled"]
    for name in _LIMIT_FIELDS:
        if name in body:
            value = body[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ControlError(f'"{name}" must be an integer >= 1')
            changes[name] = value
    if "strictness" in body:
        value = body["strictness"]
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        if not valid or not 0 < value <= MAX_STRICTNESS:
            raise ControlError(f'"strictness" must be a number in (0, {MAX_STRICTNESS:g}]')
        changes["strictness"] = float(value)
    return replace(current, **changes)


class RateLimiter:
    """Decides whether a bot may create messages now; remembers the ones it did."""

    def __init__(self) -> None:
        self.limits = RateLimits()
        self._windows = WindowSet()

    def retry_after(self, now: float, chat_id: ChatKey, is_group: bool, count: int) -> int | None:
        """None if `count` messages into the chat are allowed now, else seconds to wait."""
        refused = self.refusal(now, chat_id, is_group, count)
        return refused[1] if refused is not None else None

    def refusal(self, now: float, chat_id: ChatKey, is_group: bool, count: int
                ) -> tuple[str, int] | None:
        """None if allowed, else which limit refuses (`overall`, `group`, `private`; the one
        with the longest wait) and the seconds to wait."""
        if not self.limits.enabled:
            return None
        limits = self.limits
        chat_limit = limits.group_per_minute if is_group else limits.private_per_second
        waits = {
            "overall": self._windows.overall.wait_for_room(
                now, count, limits.effective(limits.global_per_second)),
            "group" if is_group else "private": self._windows.chat(chat_id, is_group)
            .wait_for_room(now, count, limits.effective(chat_limit)),
        }
        scope = max(waits, key=lambda name: waits[name])
        if waits[scope] <= 0:
            return None
        return scope, max(1, math.ceil(waits[scope] - _EPSILON))

    def record(self, now: float, chat_id: ChatKey, is_group: bool, count: int) -> None:
        """Remember accepted messages (also while disabled, so enabling is seamless)."""
        self._windows.add(now, chat_id, is_group, count)

    def clear(self) -> None:
        """Forget the recorded messages (the limits stay)."""
        self._windows.clear()
