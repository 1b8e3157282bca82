"""The resident's status lookup: their own linked tip by code alone, any other by code + PIN,
every guess counted before it is judged, with lock-outs per code and per account and pacing
under pressure. Unknown codes, other people's codes and wrong PINs all look the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import IdentityMode, Person, Tip, TipReporter
from bot.runtime import Runtime
from bot.services import guards
from bot.services.tips.codes import canonical_code, pin_matches, receipt_hash, reporter_ref
from bot.services.tips.followup import StatusView, status_view
from content import tips as words


@dataclass(frozen=True)
class Lookup:
    """What a lookup found: the tip and how its reporter sees it, or why not (`problem`).
    `needs_pin`: ask for the PIN; `again`: nothing was counted, the same PIN may simply be
    sent again a little later."""

    tip: Tip | None
    problem: str | None = None
    needs_pin: bool = False
    again: bool = False
    view: StatusView | None = None


PRESSURE_KEY = "lookup:global"


@dataclass(frozen=True)
class _Guards:
    """The counters one guess goes through, in the order it takes them."""

    account: str
    code: str | None
    pace: str
    per_account: guards.Window
    per_code: guards.Window
    pressure: guards.Window
    pacing: guards.Window


def _guards(rt: Runtime, canonical: str | None, person: Person) -> _Guards:
    settings = rt.settings
    hour = timedelta(hours=1)
    lockout = timedelta(minutes=settings.lookup_lockout_minutes)
    return _Guards(
        account=guards.guard_key(rt, "lookup-acct", str(person.id)),
        code=guards.guard_key(rt, "lookup-code", canonical) if canonical else None,
        pace=guards.guard_key(rt, "lookup-pace", str(person.id)),
        per_account=guards.Window(settings.lookup_failures_per_account, hour, lockout),
        per_code=guards.Window(settings.lookup_failures_per_code, hour, lockout),
        pressure=guards.Window(settings.lookup_failures_global_per_hour, hour),
        pacing=guards.Window(1, timedelta(seconds=settings.lookup_pace_seconds)),
    )


def _locked_out(rt: Runtime) -> str:
    return words.LOCKED.format(minutes=int(rt.settings.lookup_lockout_minutes))


def _pace_words(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return words.MINUTES.format(count=int(seconds // 60))
    return words.SECONDS.format(count=int(seconds))


async def _already_locked(session: AsyncSession, rt: Runtime, g: _Guards) -> str | None:
    """A look before asking for the PIN: an account or a code locked out now is told so at
    once. Counting happens only in `_take_guess`."""
    now = rt.clock.now()
    if await guards.is_blocked(session, g.account, g.per_account, now):
        return _locked_out(rt)
    if g.code and await guards.is_blocked(session, g.code, g.per_code, now):
        return _locked_out(rt)
    return None


async def _take_guess(session: AsyncSession, rt: Runtime, g: _Guards) -> Lookup | None:
    """Count the guess before it is judged, each counter in one statement that refuses when
    it is full (see guards.take): however many guesses arrive at once, no more than the
    limits are ever judged. A refusal by a later counter gives back what the earlier ones
    took. None when the guess may be judged, else the answer to give."""
    now = rt.clock.now()
    taken: list[tuple[str, guards.Window]] = []
    steps: list[tuple[str, guards.Window, Lookup]] = []
    if await guards.is_blocked(session, PRESSURE_KEY, g.pressure, now):
        pace = rt.settings.lookup_pace_seconds
        steps.append((g.pace, g.pacing, Lookup(None, words.SLOW_DOWN.format(
            wait=_pace_words(pace)), again=True)))
    steps.append((g.account, g.per_account, Lookup(None, _locked_out(rt))))
    if g.code:
        steps.append((g.code, g.per_code, Lookup(None, _locked_out(rt))))
    for key, window, refusal in steps:
        if not await guards.take(session, key, window, now):
            for earlier, earlier_window in taken:
                await guards.give_back(session, earlier, earlier_window)
            return refusal
        taken.append((key, window))
    return None


async def _is_own(session: AsyncSession, rt: Runtime, tip: Tip, person: Person) -> bool:
    if tip.identity_mode == IdentityMode.ANONYMOUS:
        return False  # nothing ties a fully anonymous tip to any account
    link = await session.get(TipReporter, tip.id)
    return link is not None and link.person_ref == reporter_ref(rt, person)


async def lookup(session: AsyncSession, rt: Runtime, typed_code: str, person: Person,
                 pin: str | None = None) -> Lookup:
    """Find a tip for a resident: their own linked tip by code alone, any other by code + PIN.

    Unknown codes, other people's codes and wrong PINs all look the same from outside (a PIN
    is asked whenever the code alone does not prove the person's right).

    Guarding the guesses, and only the guesses:
    - A reporter's own linked tip, from their own account, needs no guess, so nothing can
      pause or lock it: it is answered before any counter is looked at.
    - Per account: `lookup_failures_per_account` wrong guesses in an hour lock the account
      out for `lookup_lockout_minutes`.
    - Per code: `lookup_failures_per_code` wrong guesses on one code lock that code out for
      code + PIN lookups. This is what keeps the PIN's million values out of reach of many
      accounts working together, so it holds for everyone who needs the PIN, the holder of
      a fully anonymous tip too: nothing may tie that tip to any account, so the bot cannot
      tell the holder from a stranger who learnt the code. The price: a stranger who has the
      code (it is 50 random bits, shown only in the receipt) can delay its holder by one
      lock-out at a time, never learn anything. A linked reporter is never delayed.
    - Under pressure (more than `lookup_failures_global_per_hour` wrong guesses in the whole
      system this hour) nobody is stopped: each account may guess once every
      `lookup_pace_seconds`, so a resident who has not guessed lately gets the answer at
      once, while a farm of accounts is slowed to one guess per account per pace. A few
      strangers can make guessing slower; they cannot switch lookups off.

    Every guess is counted before it is judged (`_take_guess`); a right one is given back."""
    canonical = canonical_code(typed_code)
    tip = None
    if canonical is not None:
        tip = await session.scalar(select(Tip).where(
            Tip.receipt_hash == receipt_hash(rt, canonical)))
    if tip is not None and await _is_own(session, rt, tip, person):
        return Lookup(tip, view=await status_view(session, rt, tip))
    checks = _guards(rt, canonical, person)
    locked = await _already_locked(session, rt, checks)
    if locked:
        return Lookup(None, locked)
    if pin is None:
        return Lookup(None, needs_pin=True)
    refused = await _take_guess(session, rt, checks)
    if refused is not None:
        return refused
    if (tip is not None and canonical is not None and tip.pin_hash is not None
            and pin_matches(rt, canonical, pin, tip.pin_hash)):
        await guards.give_back(session, checks.account, checks.per_account)
        if checks.code:
            await guards.give_back(session, checks.code, checks.per_code)
        return Lookup(tip, view=await status_view(session, rt, tip))
    await guards.count(session, PRESSURE_KEY, checks.pressure, rt.clock.now())
    return Lookup(None, words.NOT_FOUND)
