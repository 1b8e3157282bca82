"""Rate limits for one channel, on the injected clock.

We count exactly as the platform does — sliding windows (Telegram: 30 messages in any second,
20 per group in any minute, 1 per private chat in any second) — rather than with token buckets:
a bucket with burst capacity C and rate r lets C + r·W messages into one window W, so it either
overshoots the platform's window or leaves capacity unused. The platform counts arrivals and we
see departures, so a message whose answer came back slower than the quickest recent round trip
counts that much later (`ChannelLimiter.answered`: the delay it met on the way); each window is
also widened by a small margin, and the overall limit is paced (a minimum gap), so a burst sent
at a window's edge does not arrive inside the next window.

When the platform answers 429 anyway it is stricter than configured: the limit the 429 concerns
is lowered by 10% (never below a floor) and recovers by 5% per minute without a 429.
"""

from __future__ import annotations

import contextlib
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock

ADAPT_DOWN = 0.9
ADAPT_UP = 1.05
ADAPT_FLOOR = 0.3
RECOVER_AFTER = timedelta(seconds=60)
GLOBAL_SHARE_FOR_429 = 0.8
CHAT_SHARE_FOR_429 = 0.5
GRID_SLACK = 1.0  # how late (in gaps) a send may be and still keep the pacing grid
ROUND_TRIPS = 100  # the quickest of this many recent round trips is the latency without delay


class Scope(StrEnum):
    GLOBAL = "global"
    GROUP = "group"
    PRIVATE = "private"


@dataclass(frozen=True)
class Limits:
    """Messages allowed per window; 0 means unlimited."""

    global_per_second: float = 30
    group_per_minute: float = 20
    private_per_second: float = 1
    margin: float = 0.01


class SlidingWindow:
    """At most `limit` events in any `window`; remembers the last `limit` event times."""

    def __init__(self, limit: float, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self.events: deque[datetime] = deque()

    def _trim(self, now: datetime) -> None:
        while self.events and self.events[0] <= now - self.window:
            self.events.popleft()

    def ready_at(self, now: datetime, limit: float | None = None) -> datetime:
        cap = int(limit if limit is not None else self.limit)
        if cap <= 0:
            return now
        self._trim(now)
        if len(self.events) < cap:
            return now
        return self.events[len(self.events) - cap] + self.window

    def record(self, now: datetime) -> None:
        self.events.append(now)
        while len(self.events) > max(int(self.limit), 1) * 2:
            self.events.popleft()

    def count(self, now: datetime) -> int:
        self._trim(now)
        return len(self.events)

    def move(self, then: datetime, now: datetime) -> None:
        """An event recorded at `then` counts from `now` instead (later: the safe side), in its
        place among the others."""
        if now <= then:
            return
        with contextlib.suppress(ValueError):  # else already out of every window that counts
            self.events.remove(then)
        index = len(self.events)
        while index and self.events[index - 1] > now:
            index -= 1
        self.events.insert(index, now)


class ChannelLimiter:
    """When each chat may next receive a message, and how 429s change that."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        widen = 1 + limits.margin
        self.global_window = SlidingWindow(limits.global_per_second, timedelta(seconds=widen))
        self.min_gap = (
            timedelta(seconds=widen / limits.global_per_second)
            if limits.global_per_second else timedelta(0)
        )
        self.last_send: datetime | None = None
        self.chat_windows: dict[int, SlidingWindow] = {}
        self.paused_until: dict[int, datetime] = {}
        self.global_paused_until: datetime | None = None
        self.factor = {Scope.GLOBAL: 1.0, Scope.GROUP: 1.0, Scope.PRIVATE: 1.0}
        self.last_429: dict[Scope, datetime | None] = dict.fromkeys(Scope)
        self.http_429 = 0
        self._round_trips: deque[timedelta] = deque(maxlen=ROUND_TRIPS)

    # ---- limits in force ------------------------------------------------------------------
    def _configured(self, scope: Scope) -> float:
        return {
            Scope.GLOBAL: self.limits.global_per_second,
            Scope.GROUP: self.limits.group_per_minute,
            Scope.PRIVATE: self.limits.private_per_second,
        }[scope]

    def effective(self, scope: Scope) -> float:
        configured = self._configured(scope)
        if not configured:
            return 0
        return max(1.0, configured * self.factor[scope])

    def _recover(self, now: datetime) -> None:
        for scope, factor in self.factor.items():
            last = self.last_429[scope]
            if factor < 1.0 and last is not None and now - last >= RECOVER_AFTER:
                self.factor[scope] = min(1.0, factor * ADAPT_UP)
                self.last_429[scope] = now

    @property
    def paced(self) -> bool:
        """Whether an overall limit applies (then messages go one at a time, on a grid)."""
        return bool(self.effective(Scope.GLOBAL))

    # ---- decisions ------------------------------------------------------------------------
    def global_ready_at(self, now: datetime) -> datetime:
        self._recover(now)
        ready = now
        if self.global_paused_until and self.global_paused_until > ready:
            ready = self.global_paused_until
        limit = self.effective(Scope.GLOBAL)
        if limit:
            ready = max(ready, self.global_window.ready_at(now, limit))
            if self.last_send is not None:
                gap = self.min_gap / self.factor[Scope.GLOBAL]
                ready = max(ready, self.last_send + gap)
        return ready

    def _window(self, chat_id: int, group: bool) -> SlidingWindow:
        window = self.chat_windows.get(chat_id)
        if window is None:
            scope = Scope.GROUP if group else Scope.PRIVATE
            span = timedelta(seconds=60 if group else 1) * (1 + self.limits.margin)
            window = SlidingWindow(self._configured(scope), span)
            self.chat_windows[chat_id] = window
        return window

    def chat_ready_at(self, chat_id: int, group: bool, now: datetime) -> datetime:
        ready = self.paused_until.get(chat_id, now)
        limit = self.effective(Scope.GROUP if group else Scope.PRIVATE)
        if limit:
            ready = max(ready, self._window(chat_id, group).ready_at(now, limit))
        return max(ready, now)

    def record(self, chat_id: int, group: bool, now: datetime, *, chat: bool = True) -> None:
        """Count a message that leaves now. `chat=False`: not a message at all (a button's
        answer): the flood limits are about the messages a bot creates — overall, into a group,
        into a private chat — so it counts in none of them (the sandbox counts it nowhere
        either). Counted in the overall 30 a second, answers to 100 presses a second starved a
        broadcast and queued receipts behind them (`make bench-broadcasts` (b))."""
        if not chat:
            return
        self.global_window.record(now)
        # pace on an ideal grid: a send that is a little late (loop overhead) does not push
        # every later one back; after a real pause the grid starts again from now
        gap = self.min_gap / self.factor[Scope.GLOBAL] if self.min_gap else timedelta(0)
        slot = self.last_send + gap if self.last_send is not None else now
        self.last_send = slot if timedelta(0) <= now - slot < gap * GRID_SLACK else now
        if self.effective(Scope.GROUP if group else Scope.PRIVATE):
            self._window(chat_id, group).record(now)

    def answered(self, chat_id: int, group: bool, sent_at: datetime, now: datetime, *,
                 chat: bool = True) -> None:
        """The platform answered, at `now`, a message recorded as leaving at `sent_at`.

        The platform counts arrivals, and the way there jitters: counted from when they
        left, the 1st and the 31st message may arrive closer together than they left (the 1st
        held up on the way), and a 30-a-second window refuses the 31st (bench-broadcasts (b):
        429s of the overall limit with a 3 % margin, from jitter alone, each pausing every
        send for a second). So a message whose round trip took longer than the quickest of the
        last ROUND_TRIPS counts from that much later: the delay it met on the way, as near as
        the bot can tell. A steady latency costs nothing (only what varies is added); the
        rate drops only by the jitter, which is what the platform would refuse anyway."""
        if not chat or now <= sent_at:
            return
        took = now - sent_at
        self._round_trips.append(took)
        held_up = took - min(self._round_trips)
        if held_up <= timedelta(0):
            return
        if self.effective(Scope.GLOBAL):
            self.global_window.move(sent_at, sent_at + held_up)
        if self.effective(Scope.GROUP if group else Scope.PRIVATE):
            self._window(chat_id, group).move(sent_at, sent_at + held_up)

    def on_429(self, chat_id: int, group: bool, retry_after: float, now: datetime) -> Scope:
        """Pause what the 429 concerns and adapt; returns the scope judged to have been hit.

        Telegram does not say which limit a 429 is about. If the chat itself was busy (more than
        half its own limit used) while overall traffic was not near the overall limit, it is the
        chat's (pause only the chat); otherwise it is the overall one (pause everything)."""
        self.http_429 += 1
        until = now + timedelta(seconds=max(retry_after, 0.0))
        chat_scope = Scope.GROUP if group else Scope.PRIVATE
        if self._chat_was_busy(chat_id, group, now):
            scope = chat_scope
            self.paused_until[chat_id] = max(self.paused_until.get(chat_id, until), until)
        else:
            scope = Scope.GLOBAL
            self.global_paused_until = max(self.global_paused_until or until, until)
        self.factor[scope] = max(ADAPT_FLOOR, self.factor[scope] * ADAPT_DOWN)
        self.last_429[scope] = now
        return scope

    def _chat_was_busy(self, chat_id: int, group: bool, now: datetime) -> bool:
        """Could this chat's own limit explain a 429? Only if the chat itself was near it and
        the overall traffic was not: a group that got one message this minute cannot have hit
        its 20-a-minute limit, so that 429 was about everything."""
        scope = Scope.GROUP if group else Scope.PRIVATE
        chat_limit = self.effective(scope)
        window = self.chat_windows.get(chat_id)
        chat_recent = window.count(now) if window else 0
        global_limit = self.effective(Scope.GLOBAL)
        global_busy = bool(global_limit) and (
            self.global_window.count(now) >= GLOBAL_SHARE_FOR_429 * global_limit)
        return bool(chat_limit) and chat_recent > CHAT_SHARE_FOR_429 * chat_limit \
            and not global_busy

    def forget(self, chat_id: int) -> None:
        self.chat_windows.pop(chat_id, None)
        self.paused_until.pop(chat_id, None)
