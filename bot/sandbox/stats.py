"""What the bot did to the sandbox, counted for benchmarks and retry tests.

`Stats` counts Bot API requests per method, 429 answers, injected faults that hit,
messages the bot created per chat, and the busiest sliding windows of accepted bot
messages (overall per second, per group per minute, per private chat per second), so
a benchmark can show Telegram's limits were never exceeded.
"""

from collections import Counter
from typing import Any

from bot.sandbox.limits import ChatKey, WindowSet


class Stats:
    """Counters since the sandbox started or the last `clear`."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Start counting afresh."""
        self.requests: Counter[str] = Counter()
        self.http_429 = 0
        self.refused_by: Counter[str] = Counter()  # flood-limit 429s by the limit that refused
        self.faults_hit = 0
        self.messages_by_chat: Counter[ChatKey] = Counter()
        self._windows = WindowSet()
        self._max_global = 0
        self._max_group = 0
        self._max_private = 0

    def count_request(self, method: str) -> None:
        """One Bot API request to `method` (its canonical name)."""
        self.requests[method] += 1

    def count_response(self, status: int) -> None:
        """An error answer; only 429s are counted."""
        if status == 429:
            self.http_429 += 1

    def count_refusal(self, scope: str) -> None:
        """A message refused by a flood limit (`overall`, `group` or `private`)."""
        self.refused_by[scope] += 1

    def count_fault(self) -> None:
        """An injected fault hit a request."""
        self.faults_hit += 1

    def count_messages(self, now: float, chat_id: ChatKey, is_group: bool, count: int) -> None:
        """The bot created `count` messages in a chat at sandbox time `now`."""
        self.messages_by_chat[chat_id] += count
        overall, in_chat = self._windows.add(now, chat_id, is_group, count)
        self._max_global = max(self._max_global, overall)
        if is_group:
            self._max_group = max(self._max_group, in_chat)
        else:
            self._max_private = max(self._max_private, in_chat)

    def to_json(self) -> dict[str, Any]:
        """The body of GET /control/stats."""
        return {
            "requests": dict(sorted(self.requests.items())),
            "http_429": self.http_429,
            "refused_by": dict(sorted(self.refused_by.items())),
            "faults_hit": self.faults_hit,
            "messages_by_chat": {str(chat): n for chat, n in self.messages_by_chat.items()},
            "max_in_window": {
                "global_1s": self._max_global,
                "max_group_60s": self._max_group,
                "max_private_1s": self._max_private,
            },
        }
