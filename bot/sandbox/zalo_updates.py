"""How the Zalo emulator hands updates to the bot: getUpdates one at a time, or a webhook.

Zalo has no update ids, offsets or acknowledgements. `ZaloInbox` keeps the updates the
bot has not received, oldest first; a getUpdates call takes exactly one and it is gone,
so a bot that crashes after receiving it has lost it. A call finding none waits (long
polling, `LongPoll` shared with the Telegram sandbox); a newer call supersedes a waiting
one, which answers 409 Conflict.

While a webhook is set, `bot.sandbox.webhooks.WebhookDelivery` POSTs the updates to its url
instead, with the secret in the `X-Bot-Api-Secret-Token` header (`SECRET_HEADER`); every try
is logged for GET /zalo/control/webhook. An update whose delivery was cut short by
deleteWebhook goes back to the front of the inbox for getUpdates.
"""

from collections import deque
from collections.abc import Callable
from typing import Any

from bot.sandbox.errors import BotApiError
from bot.sandbox.updates import CONFLICT_DESCRIPTION, LongPoll

Update = Any  # a dict, except what a test queued raw
SECRET_HEADER = "X-Bot-Api-Secret-Token"


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

    def take(self, busy: Callable[[Update], bool] = lambda _update: False) -> Update | None:
        """The oldest update `busy` does not refuse, for the webhook to deliver
        (`bot.sandbox.webhooks.Source`)."""
        for index, update in enumerate(self._pending):
            if not busy(update):
                del self._pending[index]
                self._on_change()
                return update
        return None

    def confirm(self, update: Update) -> None:
        """A taken update was answered (or given up): nothing to keep."""

    def put_back(self, update: Update) -> None:
        """An update whose delivery was cut short goes back to the front."""
        self.push(update, front=True)

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


def describe(update: Update) -> dict[str, Any]:
    """What the webhook log shows of a Zalo update: its event and message id."""
    body = update if isinstance(update, dict) else {}  # a raw update may be any JSON
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    return {"event_name": body.get("event_name"), "message_id": message.get("message_id")}
