"""Rate limits on the fake clock: sliding windows, pacing, pauses after 429, adaptation."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.clock import FakeClock
from scheduler.limits import ChannelLimiter, Limits, Scope, SlidingWindow


def test_sliding_window_counts_exactly() -> None:
    clock = FakeClock()
    window = SlidingWindow(3, timedelta(seconds=1))
    t0 = clock.now()
    for _ in range(3):
        assert window.ready_at(clock.now()) == clock.now()
        window.record(clock.now())
        clock.advance(0.1)
    assert window.ready_at(clock.now()) == t0 + timedelta(seconds=1)
    clock.set(t0 + timedelta(seconds=1))
    assert window.ready_at(clock.now()) == clock.now()


def _simulate(limiter: ChannelLimiter, clock: FakeClock, chats: list[tuple[int, bool]],
              seconds: float) -> list[tuple[float, int]]:
    """Send as fast as the limiter allows, round-robin over chats; returns (time, chat)."""
    start = clock.now()
    sent: list[tuple[float, int]] = []
    index = 0
    while (clock.now() - start).total_seconds() < seconds:
        now = clock.now()
        ready = limiter.global_ready_at(now)
        chat, group = chats[index % len(chats)]
        ready = max(ready, limiter.chat_ready_at(chat, group, now))
        if ready > now:
            clock.set(ready)
            continue
        limiter.record(chat, group, now)
        sent.append(((now - start).total_seconds(), chat))
        index += 1
    return sent


def _max_in_window(times: list[float], window: float) -> int:
    best, left = 0, 0
    for right, t in enumerate(times):
        while t - times[left] >= window:
            left += 1
        best = max(best, right - left + 1)
    return best


def test_global_limit_is_met_and_nearly_used() -> None:
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    sent = _simulate(limiter, clock, [(i, True) for i in range(10_000)], 20)
    times = [t for t, _ in sent]
    assert _max_in_window(times, 1.0) <= 30
    rate = len(sent) / 20
    assert 0.95 * 30 <= rate <= 30


def test_group_and_private_limits() -> None:
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    group = [t for t, _ in _simulate(limiter, clock, [(1, True)], 180)]
    assert _max_in_window(group, 60.0) <= 20
    assert len(group) >= 55  # 20 per minute over three minutes, minus the margin
    clock2 = FakeClock()
    limiter2 = ChannelLimiter(Limits(), clock2)
    private = [t for t, _ in _simulate(limiter2, clock2, [(2, False)], 30)]
    assert _max_in_window(private, 1.0) <= 1 and len(private) >= 28


def test_unlimited_when_zero() -> None:
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(0, 0, 0), clock)
    now = clock.now()
    for chat in range(1000):
        assert limiter.global_ready_at(now) == now
        assert limiter.chat_ready_at(chat % 3, True, now) == now
        limiter.record(chat % 3, True, now)


def test_429_near_the_overall_limit_pauses_everything_and_adapts() -> None:
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    _simulate(limiter, clock, [(i, True) for i in range(1000)], 2)
    now = clock.now()
    assert limiter.on_429(7, True, 3, now) is Scope.GLOBAL
    assert limiter.global_ready_at(now) >= now + timedelta(seconds=3)
    assert limiter.effective(Scope.GLOBAL) == 27
    clock.advance(61)
    limiter.global_ready_at(clock.now())
    assert limiter.effective(Scope.GLOBAL) > 27


def test_429_for_a_busy_chat_pauses_only_that_chat() -> None:
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    for _ in range(15):
        limiter.record(5, True, clock.now())
        clock.advance(2)
    now = clock.now()
    assert limiter.on_429(5, True, 10, now) is Scope.GROUP
    assert limiter.chat_ready_at(5, True, now) == now + timedelta(seconds=10)
    assert limiter.chat_ready_at(6, True, now) == now
    assert limiter.global_ready_at(now) <= now + timedelta(seconds=0.1)
    assert limiter.effective(Scope.GROUP) == 18


def test_429_for_a_chat_that_got_one_message_is_about_everything() -> None:
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    limiter.record(9, True, clock.now())
    assert limiter.on_429(9, True, 2, clock.now()) is Scope.GLOBAL


def _jittered_arrivals(answered: bool, seconds: float = 20) -> tuple[list[float], float]:
    """Send into many groups as fast as the limiter allows while each message takes 0–80 ms to
    reach the platform (a loaded loop, a network) and its answer 10 ms more; with `answered`,
    the limiter hears each answer. Returns the arrival times, sorted, and the send rate."""
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    delays = random.Random(7)
    start = clock.now()
    arrivals: list[float] = []
    answers: list[tuple[datetime, datetime, int]] = []  # (answer, sent, chat), by answer
    chat = 0
    while (clock.now() - start).total_seconds() < seconds:
        now = clock.now()
        while answered and answers and answers[0][0] <= now:
            at, sent, group = answers.pop(0)
            limiter.answered(group, True, sent, at)
        ready = max(limiter.global_ready_at(now), limiter.chat_ready_at(chat, True, now))
        if answers and answered:
            ready = min(ready, max(now, answers[0][0]))
        if ready > now:
            clock.set(ready)
            continue
        limiter.record(chat, True, now)
        arrival = now + timedelta(seconds=delays.uniform(0, 0.08))
        arrivals.append((arrival - start).total_seconds())
        answers.append((arrival + timedelta(seconds=0.01), now, chat))
        answers.sort()
        chat += 1
    return sorted(arrivals), len(arrivals) / seconds


def test_a_message_held_up_on_the_way_counts_from_when_it_arrived() -> None:
    """Counted from when they left, jitter on the way squeezes 31 arrivals into a second (the
    platform's 429); with each message's delay (its round trip beyond the quickest) added,
    never. The rate pays the mean delay (40 ms a window here), no more."""
    squeezed, fast = _jittered_arrivals(answered=False)
    assert _max_in_window(squeezed, 1.0) > 30  # the failure this guards against is real
    arrivals, rate = _jittered_arrivals(answered=True)
    assert _max_in_window(arrivals, 1.0) <= 30
    assert rate >= 0.97 * 30 / (1 + Limits().margin + 0.04)
    assert rate < fast


def test_a_steady_latency_costs_nothing() -> None:
    """Slow but steady answers (250 ms each, a server far from Telegram's) leave the rate as
    it is: only what varies counts."""
    clock = FakeClock()
    limiter = ChannelLimiter(Limits(), clock)
    start = clock.now()
    answers: list[tuple[datetime, datetime]] = []
    sent = 0
    while (clock.now() - start).total_seconds() < 20:
        now = clock.now()
        while answers and answers[0][0] <= now:
            at, left = answers.pop(0)
            limiter.answered(sent, True, left, at)
        ready = limiter.global_ready_at(now)
        if ready > now:
            clock.set(min(ready, answers[0][0]) if answers else ready)
            continue
        limiter.record(sent, True, now)
        answers.append((now + timedelta(seconds=0.25), now))
        sent += 1
    assert sent / 20 >= 0.95 * 30
