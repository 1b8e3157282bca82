"""Rate limits on the fake clock: sliding windows, pacing, pauses after 429, adaptation."""

from __future__ import annotations

from datetime import timedelta

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
