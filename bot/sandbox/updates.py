"""The bot's update queue, with Telegram's getUpdates semantics.

Update ids increase from 1 and are never reused. An update stays pending until a
getUpdates call confirms it by passing an `offset` above its id (a negative offset keeps
only the last `-offset` updates). A call with nothing to return waits up to `timeout`
seconds for a new update (long polling); a second call arriving while one waits
terminates the waiting one with 409 Conflict, as Telegram does. `allowed_updates`
persists between calls and decides which update types are produced at all. `LongPoll`,
the waiting and superseding part, also serves the Zalo emulator's getUpdates.

While a webhook is set (see bot.sandbox.webhooks), the delivery `take`s the oldest pending
update and the webhook's 200 confirms it, as an offset would; `on_push` wakes the delivery.

`push_raw` (tests only) queues an update exactly as given, whatever its shape, to see what
the bot makes of an update it cannot read. It still holds its place in the sequence of ids:
an offset above that place confirms it, whatever (if anything) its `update_id` field says.
"""

import asyncio
import contextlib
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import BotApiError

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


class LongPoll:
    """The one getUpdates call waiting for updates, if any.

    A newer call supersedes a waiting one (it is told so and answers 409 Conflict);
    `wake` ends the wait early, `close` ends it for good (server shutdown).
    """

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._ticket: _PollTicket | None = None
        self.closed = False

    @property
    def waiting(self) -> bool:
        """Whether a getUpdates call is currently long-polling."""
        return self._ticket is not None

    def wake(self) -> None:
        """End the current wait early (something arrived)."""
        if self._ticket is not None:
            self._ticket.wake.set()

    def supersede(self) -> None:
        """Tell the waiting call, if any, that a newer one replaced it."""
        if self._ticket is None:
            return
        self._ticket.superseded = True
        self._ticket.wake.set()
        self._ticket = None

    def close(self) -> None:
        """Answer a waiting call at once and stop long polling."""
        self.closed = True
        self.wake()

    async def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for `wake`; True if a newer call superseded this one."""
        ticket = _PollTicket()
        self._ticket = ticket
        self._on_change()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ticket.wake.wait(), seconds)
        finally:
            if self._ticket is ticket:
                self._ticket = None
            self._on_change()
        return ticket.superseded


class UpdateQueue:
    """Pending updates plus the one long-polling getUpdates call, if any."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._pending: list[tuple[int, Any]] = []  # (update id, what getUpdates returns)
        self._next_id = 1
        self._allowed: frozenset[str] | None = None
        self._poll = LongPoll(on_change)
        # being delivered to the webhook: (update id, body) by the handed copy's id()
        self._taken: dict[int, tuple[int, Any]] = {}
        self.poller_seen = False
        self.on_push: Callable[[], None] = lambda: None

    @property
    def pending_ids(self) -> list[int]:
        """Ids of the updates created but not yet confirmed."""
        return [update_id for update_id, _ in self._pending]

    @property
    def pending_count(self) -> int:
        """How many updates wait for getUpdates or the webhook."""
        return len(self._pending)

    def take(self, busy: Callable[[Any], bool] = lambda _update: False) -> Any | None:
        """The oldest pending update that `busy` does not refuse (its sender's previous update
        is still being delivered), for the webhook: a copy, which `confirm` or `put_back` is
        later given."""
        index = next((i for i, (_, body) in enumerate(self._pending) if not busy(body)), None)
        if index is None:
            return None
        update_id, body = self._pending.pop(index)
        handed = dict(body) if isinstance(body, dict) else copy.deepcopy(body)
        self._taken[id(handed)] = (update_id, body)
        self._on_change()
        return handed

    def confirm(self, handed: Any) -> None:
        """A taken update was answered (or given up): it is gone for good."""
        self._taken.pop(id(handed), None)

    def put_back(self, handed: Any) -> None:
        """A taken update goes back in its place among the pending (its delivery was cut
        short by deleteWebhook)."""
        taken = self._taken.pop(id(handed), None)
        if taken is None:
            return
        self._pending.append(taken)
        self._pending.sort(key=lambda item: item[0])
        self._poll.wake()
        self._on_change()

    def set_allowed(self, allowed_updates: Sequence[str] | None) -> None:
        """allowed_updates, as getUpdates or setWebhook set it (None: leave it; []: default)."""
        if allowed_updates is not None:
            self._allowed = frozenset(allowed_updates) if allowed_updates else None

    def interrupt(self) -> None:
        """End a waiting getUpdates early (a webhook was just set)."""
        self._poll.wake()

    @property
    def waiting(self) -> bool:
        """Whether a getUpdates call is currently long-polling."""
        return self._poll.waiting

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
        self._pending.append((update_id, {"update_id": update_id, update_type: payload}))
        self._poll.wake()
        self._on_change()
        self.on_push()
        return update_id

    def push_raw(self, body: Any, *, with_id: bool) -> int:
        """Queue `body` as it is (with `with_id`, a JSON object, its `update_id` set to its
        place in the sequence) and wake the poller; returns that place."""
        update_id = self._next_id
        self._next_id += 1
        if with_id:
            body = {**body, "update_id": update_id}
        self._pending.append((update_id, body))
        self._poll.wake()
        self._on_change()
        self.on_push()
        return update_id

    def drop_pending(self) -> None:
        """Forget every pending update (deleteWebhook with drop_pending_updates, reset)."""
        self._pending.clear()
        self._on_change()

    def close(self) -> None:
        """Answer a waiting poll at once and stop long polling (server shutdown)."""
        self._poll.close()

    async def get_updates(
        self,
        offset: int | None,
        limit: int | None,
        timeout: int | None,
        allowed_updates: Sequence[str] | None,
    ) -> list[Any]:
        """Telegram's getUpdates: confirm, then return or long-poll for updates."""
        self.poller_seen = True
        self._poll.supersede()
        self.set_allowed(allowed_updates)
        self._confirm(offset)
        self._on_change()
        batch = self._take(limit)
        if batch or not timeout or timeout <= 0 or self._poll.closed:
            return batch
        if await self._poll.wait(timeout):
            raise BotApiError(409, CONFLICT_DESCRIPTION)
        return self._take(limit)

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        self._pending = [entry for entry in self._pending if entry[0] >= offset]

    def _take(self, limit: int | None) -> list[Any]:
        size = MAX_LIMIT if not limit else min(max(limit, 1), MAX_LIMIT)
        return [dict(body) if isinstance(body, dict) else copy.deepcopy(body)
                for _, body in self._pending[:size]]
