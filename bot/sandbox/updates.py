"""The bot's update queue, with Telegram's getUpdates semantics.

Update ids increase from 1 and are never reused. An update stays pending until a
getUpdates call confirms it by passing an `offset` above its id (a negative offset keeps
only the last `-offset` updates). A call with nothing to return waits up to `timeout`
seconds for a new update (long polling); a second call arriving while one waits
terminates the waiting one with 409 Conflict, as Telegram does. `allowed_updates`
persists between calls and decides which update types are produced at all.
"""

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import BotApiError

Update = dict[str, Any]

CONFLICT_DESCRIPTION = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
DEFAULT_EXCLUDED_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_LIMIT = 100


@dataclass(eq=False)
class _PollTicket:
    """A getUpdates call that is waiting for updates."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: bool = False


class UpdateQueue:
    """Pending updates plus the one long-polling getUpdates call, if any."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._pending: list[Update] = []
        self._next_id = 1
        self._allowed: frozenset[str] | None = None
        self._poll: _PollTicket | None = None
        self._closed = False
        self.poller_seen = False

    @property
    def pending_ids(self) -> list[int]:
        """Ids of the updates created but not yet confirmed."""
        return [update["update_id"] for update in self._pending]

    @property
    def waiting(self) -> bool:
        """Whether a getUpdates call is currently long-polling."""
        return self._poll is not None

    @property
    def allowed_updates(self) -> list[str] | None:
        """The current allowed_updates setting; None means Telegram's default."""
        return None if self._allowed is None else sorted(self._allowed)

    def accepts(self, update_type: str) -> bool:
        """Whether the current allowed_updates setting lets this type through."""
        if self._allowed is None:
            return update_type not in DEFAULT_EXCLUDED_TYPES
        return update_type in self._allowed

    def push(self, update_type: str, payload: dict[str, Any]) -> int | None:
        """Queue an update and wake the poller; None if allowed_updates excludes it."""
        if not self.accepts(update_type):
            return None
        update_id = self._next_id
        self._next_id += 1
        self._pending.append({"update_id": update_id, update_type: payload})
        if self._poll is not None:
            self._poll.wake.set()
        self._on_change()
        return update_id

    def drop_pending(self) -> None:
        """Forget every pending update (deleteWebhook with drop_pending_updates, reset)."""
        self._pending.clear()
        self._on_change()

    def close(self) -> None:
        """Answer a waiting poll at once and stop long polling (server shutdown)."""
        self._closed = True
        if self._poll is not None:
            self._poll.wake.set()

    async def get_updates(
        self,
        offset: int | None,
        limit: int | None,
        timeout: int | None,
        allowed_updates: Sequence[str] | None,
    ) -> list[Update]:
        """Telegram's getUpdates: confirm, then return or long-poll for updates."""
        self.poller_seen = True
        self._supersede_waiting_poll()
        if allowed_updates is not None:
            self._allowed = frozenset(allowed_updates) if allowed_updates else None
        self._confirm(offset)
        self._on_change()
        batch = self._take(limit)
        if batch or not timeout or timeout <= 0 or self._closed:
            return batch
        ticket = await self._wait(timeout)
        if ticket.superseded:
            raise BotApiError(409, CONFLICT_DESCRIPTION)
        return self._take(limit)

    def _supersede_waiting_poll(self) -> None:
        if self._poll is None:
            return
        self._poll.superseded = True
        self._poll.wake.set()
        self._poll = None

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        self._pending = [update for update in self._pending if update["update_id"] >= offset]

    def _take(self, limit: int | None) -> list[Update]:
        size = MAX_LIMIT if not limit else min(max(limit, 1), MAX_LIMIT)
        return [dict(update) for update in self._pending[:size]]

    async def _wait(self, seconds: float) -> _PollTicket:
        ticket = _PollTicket()
        self._poll = ticket
        self._on_change()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticket.wake.wait(), seconds)
        finally:
            if self._poll is ticket:
                self._poll = None
            self._on_change()
        return ticket
